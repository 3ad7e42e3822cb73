"""`treadlink-sim --report FILE`: what the belt really did, as JSON lines, for tests and people.

One line per change of mode, target, connection, fault, belt motion (moving / at rest) or write to
the control point (`control_point`: the bytes written and what the machine answered, or would have
answered when indications are lost), and at least one a second (`event: "tick"`), each flushed as it
is written so a reader sees it while the simulator runs and nothing written is lost if the simulator
is killed. The first line is `event: "start"`, the last (on an orderly shutdown) `event: "final"`.

The writer waits on the simulator's own change notification (`wait_for`): the tick only evaluates a
cheap comparison with the last line written; formatting and writing happen in the writer's task.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import IO, Any, Final

from treadlink_sim.treadmill import ControlPointRecord, TreadmillSimulator

# Written at least this often, even when nothing changed.
HEARTBEAT_S: Final = 1.0

# Which `event` a line gets when several things changed at once: the most telling first.
_EVENT_ORDER: Final = ("fault", "connection", "mode", "target", "belt", "control")


class ReportError(ValueError):
    """The report file cannot be opened."""


@dataclass(frozen=True, slots=True)
class Facets:
    """The parts of the state whose change is worth a line of its own."""

    fault: tuple[str, ...]
    connection: bool
    mode: str
    target: tuple[float, float]
    belt: bool  # moving
    control: int  # control-point writes so far

    @classmethod
    def of(cls, sim: TreadmillSimulator) -> Facets:
        return cls(
            fault=tuple(sorted(sim.faults)),
            connection=sim.connected,
            mode=str(sim.mode),
            target=(sim.target_speed_kmh, sim.target_incline_pct),
            belt=sim.belt_speed_kmh > 0,
            control=len(sim.control_point_log),
        )

    def changed_since(self, before: Facets) -> list[str]:
        return [
            name
            for name, now, then in zip(_EVENT_ORDER, astuple(self), astuple(before), strict=True)
            if now != then
        ]


def open_report(path: str | Path) -> IO[str]:
    """The report file, opened for appending one line at a time."""
    try:
        return Path(path).open("a", encoding="utf-8", buffering=1)
    except OSError as error:
        raise ReportError(f"cannot open report {path}: {error.strerror}") from None


class BeltReport:
    """Writes `sim`'s state to `out` on every change and at least once a second.

    report = BeltReport(sim, out); report.start() … await report.close()  # writes the final line
    """

    def __init__(self, sim: TreadmillSimulator, out: IO[str]) -> None:
        self.sim = sim
        self._out = out
        self._origin = asyncio.get_running_loop().time()
        self._last: Facets | None = None
        self._last_at = self._origin
        self._writes_shown = len(sim.control_point_log)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Write the first line and follow the simulator from now on."""
        self._write("start")
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def close(self) -> None:
        """Stop following, write the final line and close the file. Safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not self._out.closed:
            self._write("final")
            self._out.close()

    def _due(self, sim: TreadmillSimulator) -> bool:
        # Runs inside the simulator's tick and every state change: keep it a cheap comparison.
        return Facets.of(sim) != self._last or self._now() - self._last_at >= HEARTBEAT_S

    async def _follow(self) -> None:
        while True:
            wait = max(0.0, self._last_at + HEARTBEAT_S - self._now())
            # The timeout covers a simulator whose tick is not running (not started, stopping).
            with contextlib.suppress(TimeoutError):
                await self.sim.wait_for(self._due, timeout=wait)
            facets = Facets.of(self.sim)
            changed = facets.changed_since(self._last) if self._last is not None else []
            self._write(changed[0] if changed else "tick", changed)

    def _write(self, event: str, changed: list[str] | None = None) -> None:
        sim = self.sim
        self._last = Facets.of(sim)
        self._last_at = self._now()
        line: dict[str, Any] = {
            "t": round(self._last_at - self._origin, 3),
            "event": event,
            "belt_speed_kmh": round(sim.belt_speed_kmh, 2),
            "target_speed_kmh": round(sim.target_speed_kmh, 2),
            "incline_pct": round(sim.incline_pct, 1),
            "target_incline_pct": round(sim.target_incline_pct, 1),
            "mode": str(sim.mode),
            "connected": sim.connected,
            "safety_key_in": sim.safety_key_in,
            "faults": sorted(sim.faults),
            "changed": changed or [],
            "control_point": [_describe(r) for r in sim.control_point_log[self._writes_shown :]],
        }
        self._writes_shown = len(sim.control_point_log)
        self._out.write(json.dumps(line, separators=(",", ":")) + "\n")
        self._out.flush()

    def _now(self) -> float:
        return asyncio.get_running_loop().time()


def _describe(record: ControlPointRecord) -> str:
    """`08 01 -> success`, `02 52 03 -> operation failed`, `08 01 -> ATT error 0xfe`,
    `02 53 03 50 03 -> stop` (FitShow: what the console did)."""
    if record.answer is not None:
        answer = record.answer
    elif record.att_error is not None:
        answer = f"ATT error {record.att_error:#04x}"
    elif record.result is not None:
        answer = record.result.name.lower().replace("_", " ")
    else:
        answer = "?"
    return f"{record.data.hex(' ')} -> {answer}"
