"""Frames reading 0 km/h while the belt runs under them are caught by whichever counter the
treadmill sends: the distance alone, the elapsed time alone, and counters that restart from 0
at rest (judged from where they restarted, not from where they stood before). Against the
simulator in fake time; the simulator's belt is what ran."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.guard import Rig, rig
from tests.support.simulated import fake_time
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind
from treadlink_sim.faults import Fault as SimFault
from treadlink_sim.profile import load_profile
from treadlink_sim.quirks import Quirk


async def paused_then_run_unseen(r: Rig) -> tuple[Fault, float]:
    """Paused at rest, the frames start reading 0 and the console starts the belt: the fault
    the guard latches, and when the belt started."""
    await r.guard.start()
    await r.guard.set_speed(6.0)
    await r.sim.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=60)
    await asyncio.sleep(30)  # the counters stand well above 0
    await r.guard.pause()
    await r.sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
    await asyncio.sleep(5)  # at rest: counters that reset on stop have restarted from 0
    await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
    started = asyncio.get_running_loop().time()
    await r.sim.console_start()
    fault = await r.events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=120)
    assert isinstance(fault, Fault)
    return fault, started


@fake_time
@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"elapsed_time": False}, "the distance grew"),
        ({"total_distance": False}, "the elapsed time went on"),
        ({"elapsed_time": False, "quirks": [Quirk.COUNTERS_RESET_ON_STOP]}, "the distance grew"),
        ({"total_distance": False, "quirks": [Quirk.COUNTERS_RESET_ON_STOP]}, "elapsed time"),
    ],
    ids=["distance only", "time only", "distance only, reset at rest", "time only, reset at rest"],
)
async def test_a_belt_run_under_frames_reading_zero_is_caught_by_the_one_counter_sent(
    fields: dict[str, object], why: str
) -> None:
    async with rig(profile=load_profile("generic", **fields)) as r:
        release = r.guard.hold_plan()
        try:
            fault, started = await paused_then_run_unseen(r)
            assert fault.fault == FaultKind.CONTRADICTING_TELEMETRY.value
            assert why in fault.message
            # Within seconds of the belt starting, not when the counters pass their old values.
            assert fault.at - started < 10.0
            await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
            assert await r.guard.wait_belt_stopped(60)
            assert r.sim.belt_speed_kmh == 0.0
        finally:
            release()
