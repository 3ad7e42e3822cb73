"""The FitShow driver end to end: treadlink's own code path (bleak → the bumble radio → the
driver → the guard → the session) against the simulator's FitShow units, in fake time. What the
belt did is the simulator's word; the safety contract holds as on FTMS."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.fitshow_driven import guard_runs_the_belt
from tests.support.session import write_stage
from tests.support.simulated import fake_time, link
from treadlink.fitshow.driver import FitShowTreadmill
from treadlink.fitshow.protocol import BeltState
from treadlink.safety.events import BeltStopped, Fault, StopAccepted
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import SegmentStarted
from treadlink_sim.faults import Fault as SimFault

STAGE = 'name: "Walk, run"\nincline: 0\nitems:\n  - walk: 1:00\n  - run: 1:00\n'  # the F15: flat
FITSHOW_UNITS = ["noblepro-e8i", "fitshow-f15"]


@fake_time
@pytest.mark.parametrize("profile", FITSHOW_UNITS)
async def test_a_stage_runs_and_ends_with_the_belt_stopped(profile: str, tmp_path: Path) -> None:
    async with link(profile=profile, telemetry_hz=4.0) as connection:
        assert connection.link.protocol == "fitshow"
        assert isinstance(connection.treadmill, FitShowTreadmill)
        sim = connection.simulator
        speeds: list[float] = []
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="end")
            events = Recorder()
            session.subscribe(events)

            def sample(_: object) -> None:
                speeds.append(sim.belt_speed_kmh)

            session.subscribe(sample)
            finished = await session.run()
        assert finished.completed, [e for e in events if isinstance(e, Fault)]
        assert [e.segment_kind for e in events if isinstance(e, SegmentStarted)] == ["walk", "run"]
        assert max(speeds) == pytest.approx(8.5)  # the belt ran the plan's speed, no more
        assert sim.belt_speed_kmh == 0.0  # the session returned with the belt at rest


@fake_time
@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (SimFault.SAFETY_KEY, FaultKind.SAFETY_KEY),
        (SimFault.TELEMETRY_SILENT, FaultKind.STALE_TELEMETRY),
        (SimFault.LINK_LOST, FaultKind.LINK_DROPPED),
    ],
)
async def test_faults_stop_the_belt_on_fitshow_as_on_ftms(fault: SimFault, kind: FaultKind) -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            await guard_runs_the_belt(connection.simulator, guard)
            await sim.set_fault(fault)
            tripped = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=30)
            assert isinstance(tripped, Fault) and tripped.fault == kind.value
            if fault is not SimFault.SAFETY_KEY:
                await asyncio.sleep(1)
                await sim.clear_fault(fault)  # the stop can now be seen taken and the belt at rest
            await events.first(lambda e: isinstance(e, StopAccepted), timeout=60)
            await events.first(lambda e: isinstance(e, BeltStopped), timeout=60)
            assert sim.belt_speed_kmh == 0.0  # the simulator's word
            release()


@fake_time
async def test_a_console_stop_while_treadlink_drives_is_a_fault() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            await guard_runs_the_belt(connection.simulator, guard)
            await sim.console_stop()
            tripped = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=30)
            assert isinstance(tripped, Fault) and tripped.fault == FaultKind.CONSOLE_STOP.value
            await events.first(lambda e: isinstance(e, BeltStopped), timeout=60)
            release()


@fake_time
async def test_the_status_is_polled_and_a_silent_poll_is_silent_telemetry() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        treadmill = connection.treadmill
        assert isinstance(treadmill, FitShowTreadmill)
        before = treadmill.polls
        await asyncio.sleep(2.0)
        # Every 0.25 s: 8 polls in 2 s, give or take the one in flight.
        assert 7 <= treadmill.polls - before <= 9
        assert treadmill.belt == BeltState.IDLE
        assert treadmill.state.speed_kmh == 0.0
