"""What the FitShow driver's Stop and Pause wait for, and when they give up.

A FitShow echo says only that the console read the frame: a Stop returns once a poll after it
shows the belt stopping, stopped, idle or with the safety key out (also on a belt already at
rest: the poll before the STOP is not the console's answer to it), and raises CommandTimeout
when the treadmill never stops. The guard learns "stop taken"
from the polls too, so these are pinned on the driver alone, no guard in between.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.fitshow_driven import Driven, driven
from tests.support.simulated import fake_time
from treadlink.fitshow.protocol import BeltState, Control
from treadlink.fitshow.requests import ControlRequest
from treadlink.treadmill.errors import Command, CommandTimeout, LinkLost
from treadlink.treadmill.state import (
    CommandFailed,
    Disconnected,
    StoppedOnConsole,
    StopTaken,
    Telemetry,
)
from treadlink_sim.faults import Fault

STOP_TAKEN = {BeltState.STOPPING, BeltState.STOPPED, BeltState.IDLE, BeltState.SAFETY_KEY_OUT}


async def running(d: Driven, kmh: float = 6.0) -> None:
    await d.commands.start()
    await d.polled(BeltState.RUNNING)
    await d.commands.set_speed(kmh)
    await d.sim.wait_for(lambda s: s.belt_speed_kmh == kmh, timeout=30)


@fake_time
async def test_a_stop_returns_once_a_poll_shows_the_belt_stopping_and_says_so_once() -> None:
    async with driven() as d:
        await running(d)
        await d.commands.stop()
        assert d.treadmill.belt in STOP_TAKEN  # not before the console said so
        assert d.written(ControlRequest)[-1] == ControlRequest(Control.STOP)
        (taken,) = d.heard.of(StopTaken)
        events = [e for e, _ in d.heard.events]
        after = events[events.index(taken) + 1]
        assert isinstance(after, Telemetry) and taken.at == after.at  # said with the poll
        assert taken.how == f"status {d.treadmill.belt}"
        await d.polled(BeltState.IDLE)
        await d.heard.polls(4)
        assert len(d.heard.of(StopTaken)) == 1  # the stop was taken once, not at every poll
        # Said when the poll that showed it was read, not at an earlier poll of the running belt.
        assert [belt for e, belt in d.heard.events if isinstance(e, StopTaken)] == [
            BeltState.STOPPING
        ]
        assert not d.heard.of(StoppedOnConsole)  # it was ours


@fake_time
async def test_a_stop_on_a_belt_at_rest_is_not_taken_until_a_poll_after_it_answers() -> None:
    """The last poll before the STOP showed the belt at rest, but only a poll after it is the
    console's word: with none answering, the stop is not taken (docs/safety.md)."""
    async with driven(procedure_timeout=1.5) as d:
        assert d.treadmill.belt == BeltState.IDLE
        await d.sim.set_fault(Fault.TELEMETRY_SILENT)
        async with asyncio.timeout(30):
            with pytest.raises(CommandTimeout):
                await d.commands.stop()
        await d.arrival(ControlRequest(Control.STOP))  # written all the same
        assert not d.heard.of(StopTaken)


@fake_time
async def test_a_stop_on_a_sleeping_console_returns_at_once() -> None:
    async with driven() as d:
        await d.sim.set_fault(Fault.SLEEPING)  # commands ignored, status 06 02
        await d.polled(BeltState.SLEEPING)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await d.commands.stop(timeout=5.0)
        assert loop.time() - began < 0.25
        await d.arrival(ControlRequest(Control.STOP))  # written all the same


@fake_time
@pytest.mark.parametrize(("timeout", "waited"), [(None, 1.5), (3.0, 3.0)])
async def test_a_stop_the_treadmill_never_takes_raises_command_timeout(
    timeout: float | None, waited: float
) -> None:
    """`timeout`: the stop's own, else the driver's procedure timeout."""
    async with driven(procedure_timeout=1.5) as d:
        await running(d)
        await d.sim.set_fault(Fault.CONTROL_REFUSED)  # every command ignored: the belt runs on
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with asyncio.timeout(30):
            with pytest.raises(CommandTimeout) as raised:
                await d.commands.stop(timeout=timeout)
        assert raised.value.command == Command.STOP
        assert raised.value.timeout == waited
        assert loop.time() - began == pytest.approx(waited, abs=0.01)
        assert d.treadmill.belt == BeltState.RUNNING
        assert not d.heard.of(StopTaken)
        assert not d.heard.of(CommandFailed)  # stop and pause are the guard's to judge


@fake_time
async def test_a_stop_is_taken_when_the_safety_key_is_pulled_meanwhile() -> None:
    async with driven() as d:
        await running(d)
        await d.sim.set_fault(Fault.CONTROL_REFUSED)  # the STOP is ignored ...
        stopping = asyncio.create_task(d.commands.stop(timeout=5.0))
        await d.heard.polls(2)
        assert not stopping.done()
        await d.sim.set_fault(Fault.SAFETY_KEY)  # ... and the key stops the belt
        await stopping
        assert d.treadmill.belt == BeltState.SAFETY_KEY_OUT
        assert len(d.heard.of(StopTaken)) == 1


@fake_time
async def test_a_pause_returns_once_a_poll_shows_the_belt_pausing_and_says_so_once() -> None:
    async with driven() as d:
        await running(d)
        await d.commands.pause()
        assert d.treadmill.belt in {BeltState.PAUSED, BeltState.STOPPING}
        assert d.written(ControlRequest)[-1] == ControlRequest(Control.PAUSE)
        (taken,) = d.heard.of(StopTaken)
        assert taken.at is not None and taken.how == f"status {d.treadmill.belt}"
        await d.polled(BeltState.PAUSED)
        await d.heard.polls(4)
        assert len(d.heard.of(StopTaken)) == 1
        assert [belt for e, belt in d.heard.events if isinstance(e, StopTaken)] == [
            BeltState.STOPPING
        ]
        assert not d.heard.of(StoppedOnConsole)  # it was ours


@fake_time
@pytest.mark.parametrize(("timeout", "waited"), [(None, 1.5), (3.0, 3.0)])
async def test_a_pause_the_treadmill_never_takes_raises_command_timeout(
    timeout: float | None, waited: float
) -> None:
    async with driven(procedure_timeout=1.5) as d:
        await running(d)
        await d.sim.set_fault(Fault.CONTROL_REFUSED)
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with asyncio.timeout(30):
            with pytest.raises(CommandTimeout) as raised:
                await d.commands.pause(timeout=timeout)
        assert raised.value.command == Command.PAUSE
        assert raised.value.timeout == waited
        assert loop.time() - began == pytest.approx(waited, abs=0.01)
        assert d.written(ControlRequest)[-1] == ControlRequest(Control.PAUSE)
        assert not d.heard.of(StopTaken)


@fake_time
async def test_a_stop_with_the_link_gone_raises_link_lost_at_once() -> None:
    async with driven() as d:
        await running(d)
        await d.sim.set_fault(Fault.LINK_LOST)
        await d.heard.first(lambda e: isinstance(e, Disconnected), timeout=30)
        for command in (d.commands.stop, d.commands.pause):
            with pytest.raises(LinkLost):  # a CommandError the guard knows, written nowhere
                await command()
