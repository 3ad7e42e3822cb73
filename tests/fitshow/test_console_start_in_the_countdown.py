"""A console start on FitShow shows first as its countdown, whose frames read 0 km/h: the belt
is about to move, so the treadmill is no longer idle at rest (docs/safety.md: "no console start
since"), and a link drop then is a fault, reconnected to stop the belt, not the treadmill going
to sleep. Judged by the simulator's belt."""

from __future__ import annotations

import asyncio

from tests.support.events import Recorder
from tests.support.simulated import fake_time, link
from treadlink.fitshow.protocol import BeltState
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_link_drop_in_a_console_started_countdown_is_a_fault() -> None:
    async with link(profile="fitshow-f15", telemetry_hz=4.0) as connection:  # a 5 s countdown
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            assert await guard.wait_belt_reported()
            await asyncio.sleep(10)
            assert guard.idle_at_rest  # nobody drives it, seen at rest over the window

            await sim.console_start()
            await sim.wait_for(lambda s: s.console_state == BeltState.COUNTDOWN, timeout=5)
            await asyncio.sleep(1)  # polls read the countdown, at 0 km/h
            assert sim.console_state == BeltState.COUNTDOWN
            assert not guard.idle_at_rest

            await sim.set_fault(SimFault.LINK_LOST)
            tripped = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=10)
            assert isinstance(tripped, Fault) and tripped.fault == FaultKind.LINK_DROPPED.value
            await asyncio.sleep(2)
            await sim.clear_fault(SimFault.LINK_LOST)  # reconnected: the Stop gets through
            assert await guard.wait_belt_stopped(timeout=60)
            assert sim.belt_speed_kmh == 0.0


@fake_time
async def test_a_start_of_ours_stopped_before_any_poll_leaves_console_starts_seen() -> None:
    """Our READY stopped at once (the runner quits as the belt starts): no poll saw it count
    down, and a console start later is still the console's, not taken for ours."""
    async with link(profile="fitshow-f15", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            assert await guard.wait_belt_reported()
            await guard.start()
            guard.stop("quit as the belt starts")
            assert await guard.wait_belt_stopped(timeout=30)
            await asyncio.sleep(10)
            assert sim.console_state == BeltState.IDLE and guard.idle_at_rest

            await sim.console_start()
            await sim.wait_for(lambda s: s.console_state == BeltState.COUNTDOWN, timeout=5)
            await asyncio.sleep(1)
            assert not guard.idle_at_rest  # the console's countdown: about to move
