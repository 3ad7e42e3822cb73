"""The guard's own check on the ease-in: after an acknowledgement no speed above the belt's own goes
out (the session eases in by itself; the guard refuses it otherwise)."""

from __future__ import annotations

import pytest

from tests.support.guard import (
    rig,
)
from tests.support.simulated import fake_time, link
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard


@fake_time
async def test_the_guard_refuses_a_first_speed_above_the_belt_after_an_acknowledgement() -> None:
    """After an acknowledgement the guard itself refuses a first speed above the belt's
    (docs/safety.md: "the guard refuses it otherwise"), not only the session's ease-in."""

    from treadlink.safety.faults import InterlockError

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        await guard.request_control()
        await guard.start()
        await guard.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.0)
        guard.trip(FaultKind.STOP_INPUT, "test")
        assert await guard.wait_belt_stopped(timeout=30)
        assert guard.acknowledge()
        await guard.start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0)
        with pytest.raises(InterlockError):
            await guard.set_speed(8.0)
        guard.stop("end of test")
        assert await guard.wait_belt_stopped(timeout=30)


@fake_time
async def test_after_an_acknowledgement_no_speed_goes_above_a_belt_at_rest() -> None:
    """The ease-in's first speed must not exceed the belt's own: with the belt reading 0 km/h,
    not even the treadmill's slowest 1.0 km/h goes out before a Start has it moving."""
    from treadlink.safety.faults import InterlockError

    async with rig() as r:
        await r.run_at(6.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.stopped()
        assert r.guard.acknowledge().ok
        with pytest.raises(InterlockError, match="must not exceed the belt's 0 km/h"):
            await r.guard.set_speed(1.0)
