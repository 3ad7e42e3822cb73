"""The safety key on FitShow: pulled is a fault and stops the belt; acknowledge is refused while
it is out and accepted once the console shows it back (status 06 01 left), so the runner can go
on after putting it back (docs/safety.md, the same contract on both protocols)."""

from __future__ import annotations

import asyncio

from tests.support.events import Recorder
from tests.support.fitshow_driven import guard_runs_the_belt
from tests.support.simulated import fake_time, link
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_acknowledge_waits_for_the_key_and_is_accepted_once_it_is_back() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            await guard_runs_the_belt(sim, guard, 5.0, take_control=False)

            await sim.set_fault(SimFault.SAFETY_KEY)
            tripped = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=10)
            assert isinstance(tripped, Fault) and tripped.fault == FaultKind.SAFETY_KEY.value
            assert await guard.wait_belt_stopped(timeout=60)
            assert sim.belt_speed_kmh == 0.0
            assert not guard.acknowledge().ok  # the key is still out

            await sim.clear_fault(SimFault.SAFETY_KEY)
            await asyncio.sleep(1)  # the polls have read it back
            verdict = guard.acknowledge()
            assert verdict.ok, verdict.reason
            release()
