"""Every control-point procedure through bleak → bumble → simulator, checked byte by byte."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.support.simulated import commanded, fake_time, link
from treadlink.ftms.control import ProcedureFailed, ProcedureTimeout
from treadlink.ftms.protocol import ATT_PROCEDURE_ALREADY_IN_PROGRESS, ResultCode
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.errors import CommandPreempted, LinkLost
from treadlink.treadmill.units import SetpointError
from treadlink_sim.faults import Fault
from treadlink_sim.profile import load_profile
from treadlink_sim.treadmill import TreadmillSimulator


def wire(sim: TreadmillSimulator) -> list[str]:
    """What the simulator received, as hex, with its answer."""
    return [
        f"{r.data.hex()}:{r.result.name if r.result else f'att{r.att_error:02x}'}"
        for r in sim.control_point_log
    ]


async def test_reads_what_the_treadmill_is(treadmill: Treadmill) -> None:
    assert treadmill.capabilities.info.manufacturer == "NoblePro"
    assert str(treadmill.speed_range) == "1.0–20.0 km/h in steps of 0.1"
    assert str(treadmill.incline_range) == "0.0–15.0 % in steps of 0.5"
    assert treadmill.supports_incline


async def test_each_procedure_on_the_wire(controlled: Treadmill, sim: TreadmillSimulator) -> None:
    await controlled.set_speed(8.2)
    await controlled.set_incline(1.5)
    await controlled.start()
    await controlled.pause()
    await controlled.start()
    await controlled.stop()
    await controlled.reset()
    assert wire(sim) == [
        "00:SUCCESS",
        "023403:SUCCESS",  # 8.2 km/h is 820 = 0x0334, never 819
        "030f00:SUCCESS",
        "07:SUCCESS",
        "0802:SUCCESS",
        "07:SUCCESS",
        "0801:SUCCESS",
        "01:SUCCESS",
    ]


async def test_control_not_permitted_before_request_control(
    treadmill: Treadmill, sim: TreadmillSimulator
) -> None:
    with pytest.raises(ProcedureFailed) as failure:
        await commanded(treadmill).set_speed(5.0)
    assert failure.value.response.result == ResultCode.CONTROL_NOT_PERMITTED
    assert "control not permitted" in str(failure.value)


async def test_full_speed_grid(controlled: Treadmill, sim: TreadmillSimulator) -> None:
    speeds = [round(1.0 + i * 0.1, 1) for i in range(191)]
    for kmh in speeds:
        await controlled.set_speed(kmh)
    sent = [int.from_bytes(r.data[1:], "little") for r in sim.control_point_log[1:]]
    assert sent == [100 + 10 * i for i in range(191)]
    assert all(r.result == ResultCode.SUCCESS for r in sim.control_point_log)


async def test_full_incline_grid(controlled: Treadmill, sim: TreadmillSimulator) -> None:
    for i in range(31):
        await controlled.set_incline(i * 0.5)
    sent = [int.from_bytes(r.data[1:], "little", signed=True) for r in sim.control_point_log[1:]]
    assert sent == [5 * i for i in range(31)]
    assert sim.target_incline_pct == 15.0


@pytest.mark.parametrize(
    ("speed", "words"),
    [
        (25.0, "not one the treadmill takes"),
        (0.5, "not one"),
        (8.25, "not one"),
        (float("nan"), "not a finite number"),
        (-3.0, "negative"),
    ],
)
async def test_bad_setpoints_are_refused_before_anything_is_written(
    controlled: Treadmill, sim: TreadmillSimulator, speed: float, words: str
) -> None:
    before = len(sim.control_point_log)
    with pytest.raises(SetpointError, match=words):
        await controlled.set_speed(speed)
    with pytest.raises(SetpointError):
        await controlled.set_incline(15.5)
    assert len(sim.control_point_log) == before


@pytest.mark.parametrize(
    ("fault", "result"),
    [
        (Fault.CONTROL_REFUSED, ResultCode.CONTROL_NOT_PERMITTED),
        (Fault.CONTROL_FAILING, ResultCode.OPERATION_FAILED),
    ],
)
async def test_refusals_raise_with_the_result_code(
    controlled: Treadmill, sim: TreadmillSimulator, fault: Fault, result: ResultCode
) -> None:
    await sim.set_fault(fault)
    with pytest.raises(ProcedureFailed) as failure:
        await controlled.start()
    assert failure.value.response.result == result


@fake_time
async def test_a_procedure_with_no_indication_times_out() -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await sim.set_fault(Fault.INDICATIONS_LOST)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(ProcedureTimeout, match="no response"):
            await controlled.set_speed(6.0)
        assert loop.time() - t0 == pytest.approx(controlled.procedure_timeout, abs=0.05)
        # The treadmill did act on it; only the answer is missing.
        assert sim.target_speed_kmh == 6.0


@asynccontextmanager
async def running_on_a_radio() -> AsyncIterator[tuple[Any, TreadmillSimulator]]:
    """The belt started by a client holding control, with 30 ms between each write and its
    indication, as on a real radio; the control-point log starts empty."""
    profile = load_profile("noblepro-elite", indication_delay_s=0.03)
    async with link(profile=profile) as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await controlled.start()
        sim.control_point_log.clear()
        yield controlled, sim


@fake_time
async def test_stop_is_written_while_a_command_is_in_flight_and_retried_after_0xfe() -> None:
    async with running_on_a_radio() as (controlled, sim):
        speed = asyncio.ensure_future(controlled.set_speed(9.0))
        await sim.wait_for(lambda s: len(s.control_point_log) == 1)
        await controlled.stop()
        await speed
        log = wire(sim)
    assert log[0] == "028403:SUCCESS"
    # The stop reached the treadmill while the speed's indication was outstanding, was refused
    # with 0xFE, and went through as soon as that procedure ended: never after a queue.
    assert log[1] == f"0801:att{ATT_PROCEDURE_ALREADY_IN_PROGRESS:02x}"
    assert log[-1] == "0801:SUCCESS"
    retries = [r.at for r in sim.control_point_log[1:]]
    assert retries[-1] - retries[0] <= 0.03 + 0.006  # no later than one retry after the answer


async def test_commands_queued_before_a_stop_never_reach_the_belt(
    controlled: Treadmill, sim: TreadmillSimulator
) -> None:
    await controlled.start()
    sim.control_point_log.clear()
    first = asyncio.ensure_future(controlled.set_speed(9.0))
    queued = asyncio.ensure_future(controlled.set_speed(12.0))
    await asyncio.sleep(0)
    await controlled.stop()
    await first
    with pytest.raises(CommandPreempted):
        await queued
    assert not any(r.data == bytes.fromhex("02b004") for r in sim.control_point_log)
    assert sim.target_speed_kmh != 12.0


@fake_time
async def test_two_stops_at_once_both_hear_the_treadmill_take_the_stop() -> None:
    """The second Stop is refused with 0xFE while the first is answered: that refusal must not
    take the first caller's waiter away, so both return success, neither times out."""
    async with running_on_a_radio() as (controlled, sim):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        first = asyncio.ensure_future(controlled.stop())
        second = asyncio.ensure_future(controlled.stop())
        await asyncio.gather(first, second)  # each raises unless the treadmill said success
        assert loop.time() - t0 < 0.1  # answered, not timed out (2 s)
        assert wire(sim)[0] == "0801:SUCCESS"
        assert f"0801:att{ATT_PROCEDURE_ALREADY_IN_PROGRESS:02x}" in wire(sim)


@fake_time
async def test_a_stop_given_up_on_then_a_drop_logs_no_unretrieved_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A waiter can outlive its caller (here a stop refused with 0xFE until its deadline); when
    the link then drops, its LinkLost is nobody's news, not an asyncio error in the log."""
    profile = load_profile("noblepro-elite", indication_delay_s=0.5)
    async with link(profile=profile) as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        speed = asyncio.ensure_future(controlled.set_speed(5.0))
        await sim.wait_for(lambda s: len(s.control_point_log) == 2)
        with pytest.raises(ProcedureTimeout):
            await controlled.stop(timeout=0.1)
        await sim.drop_link()
        with pytest.raises(LinkLost):
            await speed
    gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


async def test_an_answer_nobody_asked_for_is_logged_not_raised(
    treadmill: Treadmill, caplog: pytest.LogCaptureFixture
) -> None:
    """A treadmill may answer a request we never made, or twice: the indication handler is
    the radio's callback and must never raise; the answer is logged and dropped."""
    treadmill.on_control_point(bytes([0x80, 0x07, 0x01]))  # "Start: success", unasked
    assert any("matches no request" in r.getMessage() for r in caplog.records)
