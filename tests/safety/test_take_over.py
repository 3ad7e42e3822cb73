"""Taking over a belt that runs already (started on the console or by another app): the same
checks as a Start, and from then on the belt is watched as one of ours. Against the simulator in
fake time."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.guard import rig, walk_from_the_console
from tests.support.simulated import fake_time
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind, InterlockError
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_take_over_is_refused_while_a_fault_is_latched() -> None:
    async with rig() as r:
        await walk_from_the_console(r)
        r.guard.trip(FaultKind.STOP_INPUT, "the runner pressed stop")
        await r.stopped()
        await r.sim.console_start()  # the console starts it again, unasked
        with pytest.raises(InterlockError, match="take over refused"):
            await r.guard.take_over()
        assert not r.guard.running


@fake_time
async def test_a_belt_taken_over_that_stops_on_its_own_is_a_fault() -> None:
    """Taken over, the belt is one treadmill runs: frames that go on reading 0 km/h mean it
    stopped unasked, found at the zero watch's debounce, before any counter contradicts them."""
    async with rig() as r:
        await walk_from_the_console(r)
        await r.guard.take_over()
        assert r.guard.running
        await asyncio.sleep(1)  # frames of the belt moving under us reach the guard
        await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
        fault = await r.events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=60)
        assert isinstance(fault, Fault)
        assert fault.fault == FaultKind.BELT_STOPPED.value
        await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
        await r.stopped()
