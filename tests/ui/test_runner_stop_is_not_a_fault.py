"""The runner's own stop (space) is not a fault: the screen says STOPPED — you pressed stop, the
two facts apart, and p resume / q finish; p resumes with one key. A real fault keeps the red
takeover that asks for the acknowledgement first. On a real simulated stage, in fake time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.screen import short_stage
from tests.support.screen_rig import screen_over, text
from tests.support.simulated import fake_time
from treadlink.session.events import (
    BeltStopped,
    Fault,
    Refused,
    Resumed,
    SetpointSent,
)
from treadlink.ui.lines import describe
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_space_shows_stopped_by_you_and_p_resumes(tmp_path: Path) -> None:
    async with screen_over(short_stage(tmp_path)) as rig:
        app = rig.app
        await rig.at(10.5)
        await rig.pilot.press("space")
        await rig.events.next(BeltStopped)
        await asyncio.sleep(0.25)  # a few frames
        shown = text(app, "fault")
        assert app.query_one("#fault").display and not app.query_one("#main").display
        assert "STOPPED — you pressed stop" in shown
        assert "FAULT" not in shown
        assert "Treadmill accepted stop:   YES" in shown
        assert "Belt seen stopped:         YES" in shown
        assert "p resume / q finish" in shown
        assert app.query_one("#fault").has_class("stopped")
        assert "q stop and quit" in text(app, "keys")

        mark = len(rig.events)
        await rig.pilot.press("p")  # one key: the runner's own stop needs no acknowledgement
        resumed = await rig.events.next(Resumed, after=mark)
        assert not rig.events.of(Refused)[mark:]
        await asyncio.sleep(2)
        assert not app.query_one("#fault").display and app.face is not None
        assert app.face.word == "WALK" and resumed.at > rig.first.at
        await rig.events.next(SetpointSent, lambda e: e.speed_kmh == 5.5, after=mark)


@fake_time
async def test_a_fault_keeps_the_takeover_and_asks_for_the_acknowledgement(tmp_path: Path) -> None:
    async with screen_over(short_stage(tmp_path)) as rig:
        app = rig.app
        await rig.at(5)
        simulator = rig.simulator
        await simulator.set_fault(SimFault.SAFETY_KEY)
        await rig.events.next(BeltStopped)
        await asyncio.sleep(0.25)
        shown = text(app, "fault")
        assert "FAULT — THE BELT IS BEING HELD STOPPED" in shown
        assert "STOPPED — you pressed stop" not in shown
        assert not app.query_one("#fault").has_class("stopped")
        await rig.pilot.press("p")
        assert app.message.startswith("pause/resume: REFUSED — ") and "latched" in app.message
        await simulator.clear_fault(SimFault.SAFETY_KEY)


def test_the_plain_line_of_the_runners_stop_is_no_fault() -> None:
    line = describe(
        Fault(at=3.0, message="runner's key", fault="stop_input", latched=True), keys=True
    )
    assert line is not None and line.startswith("STOPPED — you pressed stop")
    assert "FAULT" not in line and "p resumes" in line
