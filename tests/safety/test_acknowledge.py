"""Only the runner unlatches: `acknowledge()` is refused, with the reason, while the safety key is
out, the stop is not accepted, the belt is not seen stopped or the link is down."""

from __future__ import annotations

import asyncio

from tests.support.guard import (
    next_guard_event,
    running_belt,
)
from tests.support.simulated import fake_time, link
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_acknowledge_waits_for_the_safety_key_the_stop_and_the_link() -> None:
    """Acknowledge is refused with the reason while the safety key is out, the stop unconfirmed or
    the link down, and allowed once each is over."""
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link) as guard:
        sim = c.simulator
        await running_belt(guard)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 8.5, timeout=30)
        fault = next_guard_event(guard, Fault)
        await sim.set_fault(SimFault.SAFETY_KEY)
        await fault
        assert await guard.wait_belt_stopped(30)
        verdict = guard.acknowledge()
        assert not verdict and "safety key" in verdict.reason
        await sim.clear_fault(SimFault.SAFETY_KEY)
        await asyncio.sleep(1)
        assert guard.acknowledge()

        # Unconfirmed: the treadmill fails every Stop; the belt keeps running.
        await guard.start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=30)
        await sim.set_fault(SimFault.CONTROL_FAILING)
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(5)
        verdict = guard.acknowledge()
        assert not verdict and "not accepted the stop" in verdict.reason
        assert sim.running  # and nothing claimed otherwise
        await sim.clear_fault(SimFault.CONTROL_FAILING)
        assert await guard.wait_belt_stopped(30)
        assert guard.acknowledge()
        await guard.start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=30)

        # Link down: nothing can watch the belt.
        fault = next_guard_event(guard, Fault)
        await sim.set_fault(SimFault.LINK_LOST)
        await fault
        verdict = guard.acknowledge()
        assert not verdict and "not connected" in verdict.reason
        await sim.clear_fault(SimFault.LINK_LOST)
        assert await guard.wait_belt_stopped(60)
        assert guard.acknowledge()


@fake_time
async def test_acknowledge_is_refused_until_the_belt_is_seen_stopped() -> None:
    """The treadmill has accepted the Stop but the belt is still running down from 8 km/h:
    acknowledging now is refused."""
    from treadlink.safety.events import StopAccepted

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        accepted = asyncio.get_running_loop().create_future()
        guard.subscribe(
            lambda e: (
                accepted.set_result(None)
                if isinstance(e, StopAccepted) and not accepted.done()
                else None
            )
        )
        await guard.request_control()
        await guard.start()
        await guard.set_speed(8.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 8.0)
        guard.trip(FaultKind.STOP_INPUT, "test")
        await accepted
        assert sim.belt_speed_kmh > 1.0
        verdict = guard.acknowledge()
        assert not verdict, "acknowledged while the belt was still running down"
        assert await guard.wait_belt_stopped(timeout=30)
