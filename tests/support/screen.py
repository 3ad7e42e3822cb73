"""Helpers for the runner's screen tests: a short stage, and events to await."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from treadlink.config import RunnerProfile
from treadlink.events import Event
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.plans.timeline import Timeline

WAIT_S = 60.0
PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0, max_speed=9.0)
SHORT_STAGE = """\
name: "Screen check"
items:
  - walk: 0:40
    cue: "Warm-up walk: easy, tall posture"
  - run: 0:30
    cue: "Run: relaxed, short quick steps"
  - walk: 1:00
    cue: "Walk"
"""


def short_stage(tmp_path: Path, text: str = SHORT_STAGE) -> Timeline:
    path = tmp_path / "stage.yaml"
    path.write_text(text)
    return load_stage(path, PROFILE, TreadmillLimits())


class Events(list[Event]):
    """Every event of a session, and a way to await one (past or future)."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.append(event)
        self._changed.set()

    def of[E: Event](self, kind: type[E]) -> list[E]:
        return [e for e in self if isinstance(e, kind)]

    async def next[E: Event](
        self, kind: type[E], where: Callable[[E], bool] = lambda _: True, *, after: int = 0
    ) -> E:
        """The first `kind` event from position `after` on that satisfies `where` (within a
        minute of loop time: in fake time, a missing event fails fast instead of hanging)."""
        async with asyncio.timeout(WAIT_S):
            while True:
                for e in self[after:]:
                    if isinstance(e, kind) and where(e):
                        return e
                self._changed.clear()
                await self._changed.wait()
