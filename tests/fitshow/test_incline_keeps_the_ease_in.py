"""FitShow sets speed and incline in one TARGET frame: an incline change must not carry a speed
the guard has not let through now. After an acknowledged fault the belt comes back from its own
speed one ease step at a time (docs/safety.md, contract item 4), whatever else is changed
meanwhile. Judged by the simulator's belt."""

from __future__ import annotations

import asyncio
import contextlib

from tests.support.fitshow_driven import guard_runs_the_belt
from tests.support.simulated import fake_time, link
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.treadmill.errors import CommandError


@fake_time
async def test_an_incline_change_after_a_fault_never_brings_back_the_speed_before_it() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        settings = GuardSettings(cap_kmh=12.0)
        async with SafetyGuard(connection.link, settings=settings) as guard:
            release = guard.hold_plan()
            await guard_runs_the_belt(sim, guard, 8.0)

            guard.trip(FaultKind.STOP_INPUT, "space bar")
            assert await guard.wait_belt_stopped(timeout=60)
            assert guard.acknowledge().ok

            # The belt comes back: started, at the lowest speed it takes (1.0 km/h on the E8i).
            await guard.start()
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=30)
            assert guard.easing_in
            # The runner raises the incline before the ease-in's first step.
            with contextlib.suppress(CommandError):  # refused is safe too
                await guard.set_incline(1.0)
            fastest = 0.0
            for _ in range(40):  # 10 s of what the belt really did
                await asyncio.sleep(0.25)
                fastest = max(fastest, sim.belt_speed_kmh)
            assert fastest <= 1.0 + settings.ease_step_kmh + 0.01, (
                f"the belt ran {fastest:g} km/h right after the fault, not eased in"
            )
            guard.stop("done")
            assert await guard.wait_belt_stopped(timeout=60)
            release()
