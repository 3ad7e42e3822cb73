"""The guard's watches on the frames: it hears each frame before anyone else; the runner's cap is
checked on every frame whoever moves the belt (at the cap is fine, above it a fault); telemetry
that falls silent under a belt the console started is a fault."""

from __future__ import annotations

import asyncio

from tests.support.guard import (
    next_guard_event,
    recording,
    rig,
    running_belt,
    stop_writes,
)
from tests.support.simulated import fake_time, link
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_the_cap_is_checked_on_every_frame_whoever_moves_the_belt() -> None:
    """The belt above the cap with nothing of ours running (the console) trips."""
    settings = GuardSettings(cap_kmh=10.0)
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link, settings=settings) as guard:
        writes = recording(c.simulator)
        await guard.request_control()
        fault = next_guard_event(guard, Fault)
        await c.simulator.console_start()
        await c.simulator.console_set_speed(14.0)
        assert (await asyncio.wait_for(fault, 60)).fault == "above_cap"
        assert guard.latched is FaultKind.ABOVE_CAP
        assert await guard.wait_belt_stopped(30)
        assert stop_writes(writes)
        assert c.simulator.belt_speed_kmh == 0.0


@fake_time
async def test_the_guard_hears_every_frame_before_anyone_else() -> None:
    """Whoever subscribed first, the guard's watcher has the frame already."""
    async with link(telemetry_hz=4.0) as c:
        behind: list[bool] = []

        def early(event: TreadmillEvent) -> None:  # subscribed before the guard exists
            if isinstance(event, Telemetry):
                behind.append(guard._watch.last_speed != event.state.speed_kmh)

        c.treadmill.subscribe(early)
        async with SafetyGuard(c.link) as guard:
            await running_belt(guard, 6.0)
            await c.simulator.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=30)
            await asyncio.sleep(1)
        assert behind and not any(behind)


@fake_time
async def test_silent_telemetry_from_a_belt_started_on_the_console_is_a_fault() -> None:
    """A belt the runner started on the console (no Start from us) goes silent: the guard latches on
    stale telemetry and stops it."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        await guard.request_control()
        await sim.console_start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 0.5)
        await asyncio.sleep(1.0)
        await sim.set_fault(SimFault.TELEMETRY_SILENT)
        await asyncio.sleep(5.0)
        assert guard.latched == FaultKind.STALE_TELEMETRY
        await sim.clear_fault(SimFault.TELEMETRY_SILENT)
        assert await guard.wait_belt_stopped(timeout=30)


@fake_time
async def test_a_belt_exactly_at_the_runners_cap_is_no_fault() -> None:
    """The cap is the highest speed the runner allows: the belt at it is fine, above it is not."""

    async with rig(cap_kmh=8.0) as r:
        await r.run_at(8.0)
        await asyncio.sleep(5.0)
        assert r.guard.latched is None
        await r.sim.console_set_speed(8.1)
        await r.events.first(lambda e: getattr(e, "fault", None) == "above_cap", timeout=10)
