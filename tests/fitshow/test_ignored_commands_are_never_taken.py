"""FitShow writes commands without response and its echo proves nothing: what a STOP or a PAUSE
did is judged by the status after it (docs/safety.md, contract item 9). A console that ignores
them (another app's session, a locked console) has taken nothing: the stop is never accepted
while the belt runs, and a pause that did not happen is a fault, stopped as one. Judged by the
simulator's belt, which goes on running under the ignored commands."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.events import Recorder
from tests.support.fitshow_driven import guard_runs_the_belt
from tests.support.simulated import fake_time, link
from treadlink.safety.events import Fault, StopAccepted, StopUnconfirmed
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink.treadmill.errors import CommandError
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_stop_the_console_ignores_is_never_accepted() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            await guard_runs_the_belt(connection.simulator, guard)
            await sim.set_fault(SimFault.CONTROL_REFUSED)  # every command ignored from here
            guard.trip(FaultKind.STOP_INPUT, "space bar")
            await asyncio.sleep(8)
            assert sim.belt_speed_kmh == 6.0  # the simulator's word: the belt still runs
            assert not any(isinstance(e, StopAccepted) for e in events)
            assert not guard.stop_accepted and not guard.belt_stopped
            warnings = [e for e in events if isinstance(e, StopUnconfirmed)]
            assert warnings and not any(w.accepted for w in warnings)

            await sim.clear_fault(SimFault.CONTROL_REFUSED)  # the stop loop gets through now
            assert await guard.wait_belt_stopped(timeout=60)
            assert sim.belt_speed_kmh == 0.0
            release()


@fake_time
@pytest.mark.parametrize("profile", ["noblepro-e8i", "fitshow-f15"])
async def test_a_pause_the_console_ignores_is_a_fault(profile: str) -> None:
    async with link(profile=profile, telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            await guard_runs_the_belt(connection.simulator, guard, 5.0)
            await sim.set_fault(SimFault.CONTROL_REFUSED)
            with pytest.raises(CommandError):
                await guard.pause()
            assert sim.belt_speed_kmh == 5.0  # not paused: the belt runs on
            assert guard.latched == FaultKind.COMMAND_FAILED
            assert any(isinstance(e, Fault) and e.latched for e in events)
            await sim.clear_fault(SimFault.CONTROL_REFUSED)
            assert await guard.wait_belt_stopped(timeout=60)
            assert sim.belt_speed_kmh == 0.0
            release()
