"""How the FitShow driver starts the belt: READY (compatibility mode: the console counts down and
starts) from rest, START only to resume a pause, nothing at all to a belt already moving; an
unanswered start is tried three times, then fails with CommandTimeout, reported as CommandFailed;
a start in flight when the link drops fails at once."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.fitshow_driven import driven
from tests.support.simulated import fake_time
from treadlink.fitshow.protocol import BeltState, Control
from treadlink.fitshow.requests import ControlRequest, ReadyRequest
from treadlink.treadmill.errors import Command, CommandTimeout, LinkLost
from treadlink.treadmill.state import CommandFailed, StartedOnConsole
from treadlink_sim.faults import Fault

START = ControlRequest(Control.START)


@fake_time
async def test_a_start_from_rest_is_ready_and_the_console_counts_down_and_starts() -> None:
    async with driven("fitshow-f15") as d:
        await d.commands.start()  # returns at READY's answer: the countdown is the console's
        await d.polled(BeltState.COUNTDOWN)
        await d.polled(BeltState.RUNNING)
        assert d.written(ReadyRequest) == [ReadyRequest()]
        assert START not in d.written(ControlRequest)
        assert not d.heard.of(StartedOnConsole)


@fake_time
async def test_a_start_to_a_moving_belt_writes_nothing() -> None:
    async with driven() as d:
        await d.commands.start()
        await d.polled(BeltState.COUNTDOWN)
        await d.commands.start()  # counting down: moving
        await d.polled(BeltState.RUNNING)
        await d.commands.start()
        await d.heard.polls(2)
        assert d.written(ReadyRequest) == [ReadyRequest()]
        assert d.written(ControlRequest) == []


@fake_time
async def test_a_start_after_a_pause_resumes_with_start_not_ready() -> None:
    async with driven() as d:
        await d.commands.start()
        await d.polled(BeltState.RUNNING)
        await d.commands.pause()
        await d.polled(BeltState.PAUSED)
        await d.commands.start()
        await d.arrival(START)
        await d.polled(BeltState.RUNNING)
        assert d.written(ReadyRequest) == [ReadyRequest()]  # the first start's only
        assert d.sim.console_state == BeltState.RUNNING
        assert not d.heard.of(StartedOnConsole)  # the resume was ours


@fake_time
@pytest.mark.parametrize("paused", [False, True], ids=["ready", "resume"])
async def test_an_unanswered_start_is_tried_three_times_then_times_out(paused: bool) -> None:
    async with driven(procedure_timeout=2.5) as d:
        if paused:
            await d.commands.start()
            await d.polled(BeltState.RUNNING)
            await d.commands.pause()
            await d.polled(BeltState.PAUSED)
        await d.sim.set_fault(Fault.CONTROL_REFUSED)  # every command ignored, unanswered
        sent = len(d.writes)
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with asyncio.timeout(60):
            with pytest.raises(CommandTimeout) as raised:
                await d.commands.start()
        assert raised.value.command == Command.START
        assert raised.value.timeout == 2.5  # each try waits the procedure timeout
        assert loop.time() - began == pytest.approx(3 * 2.5, abs=0.01)
        tried = [request for _, request in d.writes[sent:]]
        assert tried == [START] * 3 if paused else tried == [ReadyRequest()] * 3
        (failed,) = d.heard.of(CommandFailed)
        assert failed.command == Command.START
        assert d.sim.console_state == (BeltState.PAUSED if paused else BeltState.IDLE)


@fake_time
async def test_a_start_in_flight_fails_at_once_when_the_link_drops() -> None:
    async with driven(procedure_timeout=2.5) as d:
        await d.sim.set_fault(Fault.INDICATIONS_LOST)  # READY taken, never answered
        starting = asyncio.create_task(d.commands.start())
        await d.arrival(ReadyRequest())
        loop = asyncio.get_running_loop()
        await d.sim.set_fault(Fault.LINK_LOST)
        dropped = loop.time()
        with pytest.raises(LinkLost):
            await starting
        assert loop.time() - dropped < 1.0  # not after the READY's own timeout
