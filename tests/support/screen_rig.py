"""The runner's screen over a real simulated session, at a chosen terminal size, with the
simulator at hand (for its faults): the rig of the screen's behaviour tests. Fake time: looptime
drives the loop's clock, which the session, the simulator and the screen's frames all read; the
pilot's key presses go through textual's own driver path (docs/decisions/0007-runner-screen.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from textual.pilot import Pilot
from textual.widgets import Static

from tests.support.screen import PROFILE, WAIT_S, Events
from tests.support.simulated import link
from treadlink.plans.timeline import Timeline
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Finished, SegmentStarted
from treadlink.session.view import ViewTracker
from treadlink.ui.commands import RunnerCommands
from treadlink.ui.screen.app import RunnerScreen
from treadlink_sim.treadmill import TreadmillSimulator

SET_SPEED = 0x02


def text(app: RunnerScreen, widget: str) -> str:
    return str(app.query_one(f"#{widget}", Static).content)


def speeds_sent(writes: list[bytes]) -> list[float]:
    return [int.from_bytes(w[1:3], "little") / 100 for w in writes if w[0] == SET_SPEED]


@dataclass
class ScreenRig:
    session: Session
    simulator: TreadmillSimulator
    events: Events
    app: RunnerScreen
    pilot: Pilot[None]
    writes: list[bytes]  # every control-point write the simulated treadmill received
    first: SegmentStarted
    run: asyncio.Task[Finished]

    async def at(self, segment_s: float, segment: SegmentStarted | None = None) -> None:
        """Until `segment_s` session seconds into `segment` (default: the first)."""
        await asyncio.sleep((segment or self.first).at + segment_s - self.session.clock())

    async def quit(self) -> Finished:
        await self.pilot.press("q")
        return await self.run


@asynccontextmanager
async def screen_over(
    stage: Timeline, *, size: tuple[int, int] = (80, 24)
) -> AsyncIterator[ScreenRig]:
    """The screen over a session of `stage` on the simulator, once its first segment began;
    on the way out the session is ended and the belt seen stopped."""
    settings = GuardSettings(cap_kmh=PROFILE.max_speed)
    async with (
        link(telemetry_hz=2.0) as connection,
        SafetyGuard(connection.link, settings=settings) as guard,
    ):
        writes: list[bytes] = []
        connection.simulator.add_control_point_listener(lambda data: writes.append(bytes(data)))
        session = Session(guard, stage, on_fault="pause")
        events = Events()
        session.subscribe(events)
        tracker = ViewTracker(stage)
        session.subscribe(tracker)
        app = RunnerScreen(tracker, session.clock, RunnerCommands(session))
        async with app.run_test(size=size) as pilot:
            run = asyncio.create_task(session.run())
            first = await events.next(SegmentStarted)
            rig = ScreenRig(session, connection.simulator, events, app, pilot, writes, first, run)
            try:
                yield rig
            finally:
                if not run.done():
                    session.quit("the test is over")
                    async with asyncio.timeout(WAIT_S):
                        await run
        assert connection.simulator.stopped
