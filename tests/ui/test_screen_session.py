"""The runner's screen on a real simulated stage, in fake time: textual's pilot presses the keys,
the session runs through the full Bluetooth stack to the simulator.

Fake time: looptime drives the loop's clock, which the session, the simulator and the screen's
frames all read; the pilot's key presses go through textual's own driver path. (See
docs/decisions/0007-runner-screen.md.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Digits, Static

from tests.support.screen import PROFILE, WAIT_S, Events, short_stage
from tests.support.simulated import fake_time, link
from treadlink.plans.timeline import Timeline
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    Acknowledged,
    BeltStopped,
    Finished,
    Paused,
    Refused,
    Resumed,
    SegmentStarted,
    StopRequested,
)
from treadlink.session.view import ViewTracker
from treadlink.ui.commands import RunnerCommands
from treadlink.ui.screen.app import RunnerScreen

pytestmark = pytest.mark.slow

STOP, SET_SPEED = 0x08, 0x02
SIZE = (100, 30)


def text(app: RunnerScreen, widget: str) -> str:
    return str(app.query_one(f"#{widget}", Static).content)


def countdown(app: RunnerScreen) -> str:
    return app.query_one("#countdown", Digits).value


def speeds_sent(writes: list[bytes]) -> list[float]:
    return [int.from_bytes(w[1:3], "little") / 100 for w in writes if w[0] == SET_SPEED]


@dataclass
class Rig:
    session: Session
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
async def screen_on(stage: Timeline) -> AsyncIterator[Rig]:
    """The screen over a session of `stage` on the simulator, once its first segment began."""
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
        async with app.run_test(size=SIZE) as pilot:
            run = asyncio.create_task(session.run())
            first = await events.next(SegmentStarted)
            rig = Rig(session, events, app, pilot, writes, first, run)
            try:
                yield rig
                if not run.done():
                    await rig.quit()
            finally:
                if not run.done():  # a failed test: still end the session and stop the belt
                    session.quit("the test failed")
                    async with asyncio.timeout(WAIT_S):
                        await run
        assert connection.simulator.stopped


@fake_time
async def test_countdown_segments_and_speeds_then_space_stops_the_belt(tmp_path: Path) -> None:
    async with screen_on(short_stage(tmp_path)) as rig:
        app = rig.app
        # Half a second past a whole one: every frame of the last 0.1 s shows the same second.
        await rig.at(10.5)
        assert app.face is not None and app.face.word == "WALK"
        assert "█   █  ███  █" in text(app, "word")  # W A L drawn large
        assert countdown(app) == "0:30"  # 40 s walk, 10.5 s in
        assert text(app, "cue") == "Warm-up walk: easy, tall posture"
        assert text(app, "then") == "then: RUN 0:30 at 8.5 km/h"
        assert "(target 5.5)" in text(app, "stats")
        assert app.beeps == 0

        running = await rig.events.next(SegmentStarted, lambda e: e.index == 1)
        assert app.beeps == 3  # three short beeps before the change
        await rig.at(5.5, running)
        assert app.face is not None and app.face.word == "RUN"
        assert countdown(app) == "0:25"
        assert text(app, "then") == "then: WALK 1:00 at 5.5 km/h"
        assert "(target 8.5)" in text(app, "stats")
        assert "of 2:10" in text(app, "bar")

        await rig.pilot.press("space")
        assert any(w[0] == STOP for w in rig.writes), "the Stop bytes reached the treadmill"
        assert rig.events.of(StopRequested)[0].reason == "runner's key"
        await rig.events.next(BeltStopped)
        await asyncio.sleep(0.25)  # a few frames
        fault = text(app, "fault")
        assert app.query_one("#fault").display and not app.query_one("#main").display
        assert "Treadmill accepted stop:   YES" in fault
        assert "Belt seen stopped:         YES" in fault
        assert "press a to acknowledge" in fault
        assert "STOP" in text(app, "keys")  # the stop key stays on screen
        finished = await rig.quit()
    assert not finished.completed


@fake_time
async def test_acknowledge_and_speed_keys_refused_while_latched(tmp_path: Path) -> None:
    async with screen_on(short_stage(tmp_path)) as rig:
        app, press, events = rig.app, rig.pilot.press, rig.events
        await rig.at(5)
        await press("space")
        sent = len(speeds_sent(rig.writes))
        await press("plus")  # latched: refused at once, with its reason; nothing sent
        assert app.message.startswith("faster: REFUSED — ")
        await press("minus")
        assert app.message.startswith("slower: REFUSED — ")
        await press("p")  # no resume while latched either
        assert app.message.startswith("pause/resume: REFUSED — ") and "latched" in app.message
        assert len(speeds_sent(rig.writes)) == sent
        assert {e.command for e in events.of(Refused)} >= {"resume"}

        await events.next(BeltStopped)
        await press("a")
        await events.next(Acknowledged)
        await press("p")
        resumed = await events.next(Resumed)
        await rig.at(3, resumed)
        assert app.face is not None and app.face.word == "WALK"

        mark = len(rig.writes)
        await press("minus")
        assert app.message == "slower"
        await press("plus")
        await asyncio.sleep(1)
        # From the belt's target, step by step: 5.5 - 0.5, then + 0.5.
        assert speeds_sent(rig.writes[mark:]) == [5.0, 5.5]


@fake_time
async def test_faster_refused_above_the_runners_cap(tmp_path: Path) -> None:
    at_the_cap = "name: At the cap\nitems:\n  - speed: 9.0\n    for: 1:00\n"
    async with screen_on(short_stage(tmp_path, at_the_cap)) as rig:
        await rig.pilot.press("plus")
        assert "faster: REFUSED" in rig.app.message and "cap" in rig.app.message


@fake_time
async def test_ctrl_c_on_the_screen_stops_the_belt_and_ends(tmp_path: Path) -> None:
    # In the full screen the terminal is raw: Ctrl-C is a key, not SIGINT.
    async with screen_on(short_stage(tmp_path)) as rig:
        await rig.at(3)
        await rig.pilot.press("ctrl+c")
        finished = await rig.run
    assert not finished.completed
    assert rig.events.of(StopRequested)[0].reason == "runner quit"


@fake_time
async def test_pause_holds_the_countdown_and_says_how_to_resume(tmp_path: Path) -> None:
    async with screen_on(short_stage(tmp_path)) as rig:
        await rig.at(10.5)
        await rig.pilot.press("p")
        await rig.events.next(Paused)
        await asyncio.sleep(20)  # the plan clock stands still while paused
        assert rig.app.face is not None and rig.app.face.word == "PAUSED"
        assert countdown(rig.app) == "0:30"
        assert text(rig.app, "cue") == "Paused (runner's key): press p to resume."
        await rig.pilot.press("p")
        await rig.events.next(Resumed)
        await asyncio.sleep(0.3)
        assert rig.app.face is not None and rig.app.face.word == "WALK"
