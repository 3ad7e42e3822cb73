"""Silent telemetry is a fault while treadlink drives the belt (docs/safety.md, contract item 3),
also when the treadmill fell silent while the belt stood still, before the plan started it: a
Start never leaves the belt running with nothing to show what it does. On both protocols;
judged by the simulator's belt."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.events import Recorder
from tests.support.simulated import fake_time, link
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind, InterlockError
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
@pytest.mark.parametrize("profile", ["generic", "noblepro-e8i"])
async def test_a_start_after_the_telemetry_fell_silent_at_rest_is_stopped(profile: str) -> None:
    async with link(profile=profile, telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            assert await guard.wait_belt_reported()
            await sim.set_fault(SimFault.TELEMETRY_SILENT)
            await asyncio.sleep(10)  # at rest, not driven: silence is no fault yet
            assert guard.latched is None

            release = guard.hold_plan()
            await guard.request_control()
            try:
                await guard.start()
            except InterlockError:
                release()
                return  # refused: nothing started a belt nobody can see
            stale = guard.settings.stale_after_s
            await asyncio.sleep(stale + 1.0)
            faults = [e for e in events if isinstance(e, Fault) and e.latched]
            assert [f.fault for f in faults] == [FaultKind.STALE_TELEMETRY.value], (
                f"the belt runs at {sim.belt_speed_kmh:g} km/h {stale + 1:g} s after our Start "
                "with no frame since, and no fault"
            )
            await asyncio.sleep(10)
            assert sim.belt_speed_kmh == 0.0  # the Stop went out and the belt took it
            release()
