"""A stage on a simulated real unit through `treadlink run`'s own composition: the in-process
radio, `connect` (the runner's config applied to the link), the stage checked against the
treadmill's ranges (`--flat` or not), and `drive` (plain lines, events written to a file), in
fake time. What the belt did is the simulator's `--report` (treadlink_sim.report), written as it
runs: the tests judge by that."""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from treadlink.app.connection import IN_PROCESS, Target, connect, radio_for
from treadlink.ble.protocols import Protocol
from treadlink.cli.run import RunOptions, drive
from treadlink.config import RunnerProfile
from treadlink.plans.loader import load_stage
from treadlink.session.events import Finished
from treadlink.session.recorder import EventLog
from treadlink_sim.report import BeltReport

RUNNER = RunnerProfile(walk_speed=3.0, run_speed=5.0, incline=1.0, max_speed=6.5)
# Within every shipped profile's range (the CITYSPORTS pad's 1.0–6.0 km/h by 0.5, the mph pad's
# 0.6–3.8 mph): a walk and a run, long enough for the belt to get there and hold it.
STAGE = 'name: "Every unit"\nitems:\n  - walk: 1:00\n  - run: 1:30\n  - walk: 0:30\n'


class _Kept(io.StringIO):
    def close(self) -> None:  # the report closes its file at the end: keep what it wrote
        pass


@dataclass
class Run:
    code: int
    finished: Finished
    events: list[dict[str, Any]]
    report: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)  # the plan_adapted lines

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == kind]

    def belt_between(self, start: float, end: float) -> list[float]:
        """The belt's true km/h the report gave from loop time `start` to `end`."""
        return [line["belt_speed_kmh"] for line in self.report if start <= line["t"] <= end]


def _written(folder: Path, stage: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "stage.yaml"
    path.write_text(stage)
    return path


async def run_stage(
    tmp_path: Path, profile: str, *, runner: RunnerProfile = RUNNER, flat: bool = True,
    stage: str = STAGE, protocol: Protocol | None = None,
) -> Run:  # fmt: skip
    """`profile`: a shipped profile's name or a profile file's path. The stage and the events
    are written in `tmp_path` (made if need be)."""
    path = _written(tmp_path, stage)
    target = Target(sim=IN_PROCESS, profile=profile, protocol=protocol)
    options = RunOptions(target=target, runner=runner, plain=True)
    written = _Kept()
    async with radio_for(target) as radio, connect(radio, target, runner) as connection:
        assert radio.simulator is not None
        report = BeltReport(radio.simulator, written)
        report.start()
        limits = dataclasses.replace(connection.limits, flat=flat)
        timeline = load_stage(path, runner, limits)
        with EventLog(tmp_path / "events.jsonl") as log:
            code, finished = await drive(options, connection.guard, timeline, log)
        await report.close()
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    report_lines = [json.loads(line) for line in written.getvalue().splitlines()]
    notes = [e["message"] for e in events if e["event"] == "plan_adapted"]
    return Run(code, finished, events, report_lines, notes)
