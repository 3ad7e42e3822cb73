"""The console wins: a speed change on it, even right after our own command, is the console's, and
its target is the one overspeed is judged by from then on."""

from __future__ import annotations

import asyncio

from tests.support.guard import (
    rig,
)
from tests.support.simulated import fake_time
from treadlink.safety.faults import FaultKind
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_console_change_right_after_our_own_command_is_the_consoles() -> None:
    """Our own target is echoed by status 05 with its value; another value within the echo
    window is the runner on the console, and the plan must hear of it."""
    from treadlink.safety.events import ConsoleOverride

    async with rig() as r:
        await r.run_at(6.0)
        await r.guard.set_speed(7.0)
        await r.sim.console_set_speed(5.0)  # within the 2 s echo window of our 7.0
        override = await r.events.first(lambda e: isinstance(e, ConsoleOverride), timeout=5)
    assert isinstance(override, ConsoleOverride) and override.speed_kmh == 5.0


@fake_time
async def test_after_a_console_speed_change_overspeed_is_judged_by_the_consoles_target() -> None:
    """The runner takes the belt from 6 to 9 km/h on the console: 9 is the target now. The belt
    at 9 is no overspeed, and a motor that then runs away above 9 is one."""
    from treadlink.safety.events import ConsoleOverride

    async with rig() as r:  # no cap: only the overspeed watch can see the runaway
        await r.run_at(6.0)
        await r.sim.console_set_speed(9.0)
        await r.events.first(lambda e: isinstance(e, ConsoleOverride), timeout=5)
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 9.0, timeout=30)
        await asyncio.sleep(5.0)
        assert r.guard.latched is None, "the console's own speed taken for an overspeed"
        await r.sim.set_fault(SimFault.SPEED_RUNAWAY, runaway_kmh=3.0)  # 9 → 12 km/h
        await r.events.first(lambda e: getattr(e, "fault", None) == "overspeed", timeout=30)
        assert r.guard.latched is FaultKind.OVERSPEED
        await r.sim.clear_fault(SimFault.SPEED_RUNAWAY)
        await r.stopped()
