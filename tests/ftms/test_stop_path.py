"""The control point's stop path, against the simulator in fake time: how long one stop attempt
may take, what a late answer means, and a stop on a link that is gone.

The guard's stop loop builds on these (docs/safety.md): each attempt is bounded by its own
timeout so the next one goes out on time, and a dead link fails an attempt at once.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.simulated import commanded, fake_time, link
from treadlink.ftms.control import ProcedureFailed, ProcedureTimeout
from treadlink.ftms.protocol import OpCode, ResultCode
from treadlink.treadmill.errors import CommandPreempted, LinkLost
from treadlink.treadmill.state import StopTaken, TreadmillEvent
from treadlink_sim.faults import Fault
from treadlink_sim.profile import load_profile

STOP = bytes([OpCode.STOP_OR_PAUSE, 0x01])


@fake_time
@pytest.mark.parametrize("timeout", [0.25, None])
async def test_one_stop_attempt_never_outlasts_its_timeout(timeout: float | None) -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await controlled.start()
        await sim.set_fault(Fault.INDICATIONS_LOST)  # the belt obeys, no answer comes
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        limit = controlled.procedure_timeout if timeout is None else timeout
        with pytest.raises(ProcedureTimeout) as timed_out:
            await controlled.stop(timeout=timeout)
        assert str(timed_out.value) == (
            f"stop or pause: no response from the treadmill within {limit:g} s"
        )
        assert timed_out.value.op == OpCode.STOP_OR_PAUSE
        assert loop.time() - t0 == pytest.approx(limit, abs=0.01)
        assert sim.control_point_log[-1].data == STOP
        assert sim.stopped


@fake_time
async def test_a_late_answer_to_a_stop_is_reported_and_never_taken_for_the_next_one() -> None:
    # The treadmill answers half a second after each write: later than a stop attempt lasts.
    profile = load_profile("noblepro-elite", indication_delay_s=0.5)
    async with link(profile=profile) as connection:
        treadmill, sim = connection.treadmill, connection.simulator
        answers: list[StopTaken] = []

        def heard(event: TreadmillEvent) -> None:
            if isinstance(event, StopTaken):
                answers.append(event)

        controlled = treadmill.take_control(heard)
        await controlled.request_control()
        await controlled.start()
        answers.clear()
        with pytest.raises(ProcedureTimeout):
            await controlled.stop(timeout=0.25)
        await asyncio.sleep(0.5)
        # The late success still reaches whoever listens: the treadmill did accept a stop.
        assert [a.how for a in answers] == ["indication"]
        # ...but the next attempt waits for its own answer, not the one already in.
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await controlled.stop(timeout=2.0)  # raises unless the treadmill said success
        assert loop.time() - t0 >= 0.5
        assert sum(r.data == STOP for r in sim.control_point_log) == 2


@fake_time
async def test_a_stop_in_flight_fails_at_once_when_the_link_drops() -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await controlled.start()
        await sim.set_fault(Fault.INDICATIONS_LOST)
        loop = asyncio.get_running_loop()
        attempt = asyncio.ensure_future(controlled.stop(timeout=10.0))
        await sim.wait_for(
            lambda s: bool(s.control_point_log) and s.control_point_log[-1].data == STOP
        )
        t0 = loop.time()
        await sim.drop_link()
        with pytest.raises(LinkLost):
            await attempt
        assert loop.time() - t0 < 1.0, "a stop on a dead link waited for its timeout"
        # Until the link is back, every attempt fails at once: nothing to write on.
        t1 = loop.time()
        with pytest.raises(LinkLost):
            await controlled.stop(timeout=10.0)
        assert loop.time() - t1 < 0.01


@fake_time
async def test_a_refused_stop_says_what_the_treadmill_answered() -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await sim.set_fault(Fault.CONTROL_FAILING)
        with pytest.raises(ProcedureFailed) as refused:
            await controlled.stop(timeout=1.0)
        assert str(refused.value) == "stop or pause: treadmill answered operation failed"
        assert refused.value.op == OpCode.STOP_OR_PAUSE
        assert refused.value.response.result == ResultCode.OPERATION_FAILED


@fake_time
async def test_a_stop_attempt_is_bounded_even_behind_a_slow_procedure() -> None:
    # The treadmill answers a second after each write: a speed change holds the control point
    # (0xFE to anything else) for longer than a stop attempt may last.
    profile = load_profile("noblepro-elite", indication_delay_s=1.0)
    async with link(profile=profile) as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await controlled.start()
        speed = asyncio.ensure_future(controlled.set_speed(9.0))
        await sim.wait_for(lambda s: s.control_point_log[-1].data[:1] == b"\x02")
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(ProcedureTimeout):
            await controlled.stop(timeout=0.25)
        assert loop.time() - t0 == pytest.approx(0.25, abs=0.01)
        await speed


@fake_time
async def test_every_stop_drops_the_commands_queued_before_it() -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await controlled.start()
        for kmh in (9.0, 11.0):  # a second stop drops what was queued after the first one
            first = asyncio.ensure_future(controlled.set_speed(kmh - 1.0))
            queued = asyncio.ensure_future(controlled.set_speed(kmh))
            await asyncio.sleep(0)
            await controlled.stop()
            await first
            with pytest.raises(CommandPreempted):
                await queued
            assert sim.target_speed_kmh != kmh
