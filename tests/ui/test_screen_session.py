"""The runner's screen on a real simulated stage, in fake time: textual's pilot presses the keys,
the session runs through the full Bluetooth stack to the simulator.

Fake time: looptime drives the loop's clock, which the session, the simulator and the screen's
frames all read; the pilot's key presses go through textual's own driver path. (See
docs/decisions/0007-runner-screen.md.)
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from tests.support.screen import short_stage
from tests.support.screen_rig import ScreenRig, screen_over, speeds_sent, text
from tests.support.simulated import fake_time
from treadlink.plans.timeline import Timeline
from treadlink.session.events import (
    Acknowledged,
    BeltStopped,
    Paused,
    Refused,
    Resumed,
    SegmentStarted,
    StopRequested,
)
from treadlink.ui.screen.app import RunnerScreen

pytestmark = pytest.mark.slow

STOP = 0x08
SIZE = (100, 30)


def countdown(app: RunnerScreen) -> str:
    """The countdown drawn (in large type: read from the face the screen draws)."""
    assert app.face is not None
    return app.face.countdown


def screen_on(stage: Timeline) -> contextlib.AbstractAsyncContextManager[ScreenRig]:
    return screen_over(stage, size=SIZE)


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
        assert "STOPPED — you pressed stop" in fault and "p resume / q finish" in fault
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
        await press("p")  # no resume until the belt is seen stopped either
        assert app.message.startswith("pause/resume: REFUSED — ") and "still" in app.message
        assert len(speeds_sent(rig.writes)) == sent
        assert {e.command for e in events.of(Refused)} >= {"acknowledge"}

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
