"""`treadlink-sim --report FILE`: the belt's state as JSON lines, read while the simulator runs."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
from pathlib import Path

import pytest

from tests.support.sim_process import SIM, central_over, simulator_process
from tests.support.sim_report import read, until

pytestmark = pytest.mark.slow

FIELDS = {
    "t",
    "event",
    "belt_speed_kmh",
    "target_speed_kmh",
    "incline_pct",
    "target_incline_pct",
    "mode",
    "connected",
    "safety_key_in",
    "faults",
    "changed",
    "control_point",
}


SCENARIO = """
- {at: 0.2, do: console_start}
- {at: 0.4, do: console_speed, speed_kmh: 6}
- {at: 1.5, do: set_fault, fault: safety_key}
- {at: 2.5, do: clear_fault, fault: safety_key}
"""


async def test_report_follows_console_faults_and_belt(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    report = tmp_path / "belt.jsonl"
    async with simulator_process("--scenario", str(scenario), "--report", str(report)):
        # Written line by line while the simulator runs: the key is back in, the belt at rest.
        lines = await until(
            report,
            lambda ls: any(
                line["safety_key_in"] and line["belt_speed_kmh"] == 0 and line["t"] > 2.5
                for line in ls
            ),
        )
    final = read(report)
    assert final[: len(lines)] == lines  # appended to, never rewritten

    assert all(set(line) == FIELDS for line in final)
    assert final[0]["event"] == "start"
    assert final[-1]["event"] == "final"
    assert [line["t"] for line in final] == sorted(line["t"] for line in final)
    events = [line["event"] for line in final]
    assert events.index("mode") < events.index("target") < events.index("fault")

    started = next(line for line in final if line["event"] == "mode")
    assert started["mode"] == "running"
    speed = next(line for line in final if line["event"] == "target")
    assert speed["target_speed_kmh"] == 6.0
    pulled = next(line for line in final if line["event"] == "fault")
    assert pulled["faults"] == ["safety_key"]
    assert not pulled["safety_key_in"]
    assert pulled["t"] >= 1.5
    # The belt's own motion gets lines: moving after the start, at rest after the key.
    belt = [line for line in final if "belt" in line["changed"]]
    assert belt[0]["belt_speed_kmh"] > 0
    assert any(line["belt_speed_kmh"] == 0 and line["t"] > pulled["t"] for line in belt)
    back = next(line for line in final if line["event"] == "fault" and line is not pulled)
    assert back["faults"] == []
    assert back["safety_key_in"]


async def test_report_writes_at_least_once_a_second_when_nothing_changes(tmp_path: Path) -> None:
    report = tmp_path / "belt.jsonl"
    async with simulator_process("--report", str(report)):
        lines = await until(report, lambda ls: sum(line["event"] == "tick" for line in ls) >= 3)
    assert [line["event"] for line in lines] == ["start", "tick", "tick", "tick"]
    times = [line["t"] for line in lines]
    # One a second, on the simulator's own clock; the slack is for a loaded machine.
    assert all(0.9 <= later - earlier < 2.0 for earlier, later in itertools.pairwise(times))


async def test_report_shows_the_bridge_connecting_writing_and_leaving(tmp_path: Path) -> None:
    report = tmp_path / "belt.jsonl"
    async with simulator_process("--report", str(report)) as (spec, _):
        async with asyncio.timeout(15), central_over(spec) as central:
            await central.connect("F0:F0:F0:F0:F0:01")
            await until(report, lambda ls: ls[-1]["connected"])
            await central.subscribe()
            await central.request(b"\x00")
            await central.request(bytes.fromhex("02 52 03"))  # 8.5 km/h
            await central.request(bytes.fromhex("08 01"))
            await central.disconnect()
        lines = await until(report, lambda ls: not ls[-1]["connected"])
    connection = [line for line in lines if line["event"] == "connection"]
    assert [line["connected"] for line in connection] == [True, False]
    written = [entry for line in lines for entry in line["control_point"]]
    assert written == ["00 -> success", "02 52 03 -> success", "08 01 -> success"]
    target = next(line for line in lines if line["event"] == "target")
    assert target["target_speed_kmh"] == 8.5
    assert "control" in target["changed"]


def test_unwritable_report_exits_2(tmp_path: Path) -> None:
    report = tmp_path / "no-such-dir" / "belt.jsonl"
    done = subprocess.run(
        [*SIM, "--report", str(report)], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 2
    assert f"cannot open report {report}: No such file or directory" in done.stderr
    assert "Traceback" not in done.stderr
