"""A setpoint the treadmill answers with success is done only once the belt follows it: judged by
the treadmill's own telemetry, against real treadmills' quirks on the simulator (through the
production bleak path, in fake time). What the belt did is the simulator's word."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.session import write_stage
from tests.support.simulated import fake_time, link
from treadlink.safety.events import BeltStopped, Fault
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    SegmentStarted,
    SetpointConfirmed,
    SetpointNotFollowed,
    SetpointSent,
)
from treadlink.session.follow import FOLLOW
from treadlink.session.view import ViewTracker
from treadlink.ui.lines import describe
from treadlink.ui.screen.face import face
from treadlink_sim.faults import Fault as SimFault
from treadlink_sim.profile import load_profile

STAGE = 'name: "Walk, run"\nitems:\n  - walk: 1:00\n  - run: 1:00\n'
FLAT = STAGE.replace("items:", "incline: 0\nitems:")  # the F15 has no incline


@fake_time
async def test_a_speed_answered_with_success_and_ignored_is_not_followed(tmp_path: Path) -> None:
    """`ignores-speed` answers Set Target Speed with success and leaves the belt at its lowest
    speed: each speed is sent again a bounded number of times, then the runner is told (a line,
    the screen) and the plan goes on; it is never counted as done."""
    async with link(profile="ignores-speed", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            timeline = write_stage(tmp_path, STAGE)
            session = Session(guard, timeline, on_fault="end")
            events, tracker = Recorder(), ViewTracker(timeline)
            session.subscribe(events)
            session.subscribe(tracker)
            run = asyncio.create_task(session.run())
            told = await events.first(lambda e: isinstance(e, SetpointNotFollowed), timeout=60)
            assert isinstance(told, SetpointNotFollowed)
            shown = face(tracker, session.clock())
            belt = sim.belt_speed_kmh
            finished = await run
    assert told.index == 0 and told.outcome == "slower" and told.resent == FOLLOW.resends
    assert told.belt_kmh == pytest.approx(belt, abs=0.1) and belt < 1.0  # its lowest speed
    sent = [e for e in events if isinstance(e, SetpointSent) and e.index == 0]
    assert len(sent) == 1 + FOLLOW.resends  # bounded: sent again twice, then told
    writes = [r for r in sim.control_point_log if r.data[0] == 0x02]  # Set Target Speed
    assert len(writes) == 2 * (1 + FOLLOW.resends)  # both segments, never more
    assert not [e for e in events if isinstance(e, SetpointConfirmed)]
    line = describe(told)
    assert line is not None and "5.5 km/h" in line and "does not follow" in line
    assert "does not follow" in shown.cue
    # The plan went on (both segments ran) and ended with the belt at rest; not done, though.
    assert [e.index for e in events if isinstance(e, SegmentStarted)] == [0, 1]
    assert not finished.completed and finished.belt == "stopped"
    assert finished.not_followed == 2  # the walk's speed and the run's
    end = describe(finished)
    assert end is not None and "not completed (the belt did not follow 2 speeds)" in end
    assert sim.belt_speed_kmh == 0.0


@fake_time
async def test_a_belt_that_settles_faster_than_asked_is_stopped(tmp_path: Path) -> None:
    """A belt 0.3 km/h above its setpoint (inside the guard's runaway tolerance) once it should
    have got there: the setpoint is not followed, and faster is stopped."""
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="end")
            events = Recorder()
            session.subscribe(events)
            await sim.set_fault(SimFault.SPEED_RUNAWAY, runaway_kmh=0.3)
            finished = await session.run()
    told = next(e for e in events if isinstance(e, SetpointNotFollowed))
    assert told.outcome == "faster" and told.resent == 0
    assert told.belt_kmh == pytest.approx(5.8, abs=0.05)
    fault = next(e for e in events if isinstance(e, Fault) and e.latched)
    assert fault.fault == FaultKind.OVERSPEED.value and "faster" in fault.message
    assert any(isinstance(e, BeltStopped) for e in events)
    assert not finished.completed and sim.belt_speed_kmh == 0.0


@fake_time
async def test_a_target_overridden_right_after_the_start_is_sent_again(tmp_path: Path) -> None:
    """The F15 with a console that puts its start speed back 3 s after a start (the FS 465D50):
    the belt went back to its lowest speed, so the speed is sent again, and then it sticks."""
    f15 = load_profile("fitshow-f15")
    quirky = f15.with_overrides(quirks=[*f15.quirks, "target_overridden_after_start"])
    async with link(profile=quirky, telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, FLAT), on_fault="end")
            events = Recorder()
            session.subscribe(events)
            belt: list[float] = []
            session.subscribe(lambda _: belt.append(sim.belt_speed_kmh))
            run = asyncio.create_task(session.run())
            confirmed = await events.first(
                lambda e: isinstance(e, SetpointConfirmed) and e.index == 0, timeout=60
            )
            walking = sim.belt_speed_kmh
            finished = await run
    sent = [e for e in events if isinstance(e, SetpointSent) and e.index == 0]
    assert len(sent) == 2  # once, and again after the console took it back
    assert isinstance(confirmed, SetpointConfirmed) and walking == 5.5
    assert not [e for e in events if isinstance(e, SetpointNotFollowed)]
    assert finished.completed, [e for e in events if isinstance(e, Fault)]
    assert max(belt) == pytest.approx(8.5) and sim.belt_speed_kmh == 0.0
