"""A belt that settles faster than its setpoint is "faster" (and stopped: docs/decisions/0020)
even when the frame read last, as the judgement falls due, is a stray 0 km/h (a firmware glitch
seen in the field): a lone glitch never hides a belt running faster than asked. The belt here
runs 0.4 km/h over its setpoint, inside the guard's own runaway tolerance, so only this
judgement sees it. The belt's speed is the simulator's word."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.simulated import fake_time, link
from treadlink.safety.guard import SafetyGuard
from treadlink.session.follow import FOLLOW, FollowWatch
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_stray_zero_at_the_judgement_does_not_hide_a_faster_belt() -> None:
    async with link(profile="generic", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            release = guard.hold_plan()
            await guard.request_control()
            await sim.set_fault(SimFault.SPEED_RUNAWAY, runaway_kmh=0.4)
            await guard.start()
            await guard.set_speed(6.0)
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.39, timeout=60)
            assert guard.latched is None  # 0.4 km/h over: below the guard's tolerance

            watch = FollowWatch(guard.treadmill)
            judging = asyncio.create_task(watch.watch(6.0))
            # No progress for progress_s: judged then. The last frames before it read 0.
            await asyncio.sleep(FOLLOW.progress_s - 0.45)
            await sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
            judged = await judging
            await sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
            assert sim.belt_speed_kmh == pytest.approx(6.4)
            assert judged.outcome == "faster", judged
            guard.stop("done")
            assert await guard.wait_belt_stopped(timeout=60)
            release()
