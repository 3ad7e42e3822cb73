"""The TARGET frames the FitShow driver writes: speed and incline go together (the last of each
we set), in the console's own units (NoblePro's 0.5 % incline, 0.1 mph on a mile console);
an incline before any speed of ours carries the belt's own; an unanswered target is tried
three times, then fails with CommandTimeout, reported as CommandFailed for the command asked."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.fitshow_driven import Driven, driven
from tests.support.simulated import fake_time
from treadlink.fitshow.protocol import BeltState
from treadlink.fitshow.requests import TargetRequest
from treadlink.treadmill.errors import Command, CommandTimeout
from treadlink.treadmill.state import CommandFailed
from treadlink.treadmill.units import KM_PER_MILE, SpeedUnit
from treadlink_sim.faults import Fault


async def running(d: Driven) -> None:
    await d.commands.start()
    await d.polled(BeltState.RUNNING)


@fake_time
async def test_an_incline_before_any_speed_of_ours_carries_the_belts_own_speed() -> None:
    """TARGET sets both: with no speed of ours in force (none set since the belt last stopped),
    an incline change carries the belt's own speed, down to the grid, never a faster one."""
    async with driven() as d:
        await running(d)
        await d.commands.set_speed(3.0)
        await d.sim.wait_for(lambda s: s.belt_speed_kmh == 3.0, timeout=30)
        await d.commands.stop()  # the console drops its target: no speed of ours in force
        await d.commands.start()
        await d.polled(BeltState.RUNNING)
        await d.sim.wait_for(lambda s: s.belt_speed_kmh > 0, timeout=30)
        await d.heard.polls(2)  # the belt's speed as the console reports it
        belt_kmh = d.treadmill.state.speed_kmh or 0.0
        await d.commands.set_incline(2.5)
        target = d.written(TargetRequest)[-1]
        # The belt's own speed (or the console's lowest, which it is heading to), never 3.0.
        lowest = (d.treadmill.speed_range.minimum + 9) // 10 if d.treadmill.speed_range else 0
        assert target == TargetRequest(max(int(belt_kmh * 10 + 1e-9), lowest), 5)
        await d.heard.polls(8)
        assert d.sim.belt_speed_kmh < 3.0


@fake_time
async def test_speed_and_incline_go_together_in_noblepro_half_percent_units() -> None:
    async with driven("noblepro-e8i") as d:
        await running(d)
        await d.commands.set_speed(6.0)
        await d.commands.set_incline(2.5)
        await d.commands.set_speed(7.5)  # the incline we set goes with it
        await d.commands.set_incline(4.0)
        assert d.written(TargetRequest) == [
            TargetRequest(60),
            TargetRequest(60, 5),
            TargetRequest(75, 5),
            TargetRequest(75, 8),
        ]
        await d.sim.wait_for(lambda s: s.target_incline_pct == 4.0, timeout=5)
        assert d.sim.target_speed_kmh == 7.5  # the simulator's word


@fake_time
async def test_a_mile_console_labelled_km_is_sent_mph() -> None:
    async with driven("fitshow-mph") as d:  # the FS-BT-T4: a known unit whose km/h are mph
        assert d.treadmill.unit_choice is not None
        assert d.treadmill.speed_range is not None
        assert d.treadmill.speed_range.speed_unit is SpeedUnit.MPH
        await running(d)
        await d.commands.set_speed(2.5 * KM_PER_MILE)  # true km/h: 2.5 mph
        assert d.written(TargetRequest) == [TargetRequest(25)]
        await d.sim.wait_for(lambda s: s.belt_speed_kmh == pytest.approx(2.5 * KM_PER_MILE), 30)


@fake_time
@pytest.mark.parametrize("command", [Command.SET_SPEED, Command.SET_INCLINE])
async def test_an_unanswered_target_is_tried_three_times_then_times_out(command: Command) -> None:
    async with driven(procedure_timeout=2.5) as d:
        await running(d)
        await d.commands.set_speed(6.0)
        await d.commands.set_incline(1.0)
        await d.sim.set_fault(Fault.CONTROL_REFUSED)
        sent = len(d.writes)
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with asyncio.timeout(60):
            change = (
                d.commands.set_speed(7.0)
                if command == Command.SET_SPEED
                else d.commands.set_incline(2.0)
            )
            with pytest.raises(CommandTimeout) as raised:
                await change
        assert raised.value.command == command  # named for what was asked, not "set speed"
        assert raised.value.timeout == 2.5
        assert loop.time() - began == pytest.approx(3 * 2.5, abs=0.01)
        wanted = TargetRequest(70, 2) if command == Command.SET_SPEED else TargetRequest(60, 4)
        assert [request for _, request in d.writes[sent:]] == [wanted] * 3
        (failed,) = d.heard.of(CommandFailed)
        assert failed.command == command
        # Not taken: the next target still carries what the console last took.
        await d.sim.clear_fault(Fault.CONTROL_REFUSED)
        await d.commands.set_speed(6.5)
        assert d.written(TargetRequest)[-1] == TargetRequest(65, 2)
