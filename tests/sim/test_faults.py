"""Faults and console actions, set and cleared from Python, seen through a raw central."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.sim_central import RawCentral, connected_rig
from treadlink.ftms.layouts import MalformedFrame, decode_treadmill_data
from treadlink.ftms.protocol import Characteristic as Char
from treadlink_sim.faults import GARBAGE_INDICATION, TRAILING, Fault

pytestmark = [pytest.mark.looptime]

CP, STATUS, DATA = (
    Char.FITNESS_MACHINE_CONTROL_POINT,
    Char.FITNESS_MACHINE_STATUS,
    Char.TREADMILL_DATA,
)


async def running(central: RawCentral, speed: str = "20 03") -> None:
    assert await central.request(bytes.fromhex("02" + speed)) == bytes.fromhex("80 02 01")
    assert await central.request(b"\x07") == bytes.fromhex("80 07 01")


async def test_console_actions_are_reported() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await running(central)
        await asyncio.sleep(10)
        central.pending(STATUS)
        await sim.console_set_speed(9.5)
        await sim.console_set_incline(4.5)
        await sim.console_pause()
        await sim.console_start()
        await sim.console_stop()
        await asyncio.sleep(0.1)
        assert central.pending(STATUS) == [
            bytes.fromhex("05 b6 03"),
            bytes.fromhex("06 2d 00"),
            bytes.fromhex("02 02"),
            b"\x04",
            bytes.fromhex("02 01"),
        ]
        with pytest.raises(ValueError, match="not one this treadmill offers"):
            await sim.console_set_speed(25.0)


async def test_safety_key() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await running(central, "d0 07")  # 20 km/h
        async with asyncio.timeout(60):
            await sim.wait_for(lambda s: s.belt_speed_kmh == 20.0)
        central.pending(STATUS)
        await sim.set_fault(Fault.SAFETY_KEY)
        assert await central.next(STATUS) == b"\x03"
        start = asyncio.get_running_loop().time()
        async with asyncio.timeout(10):
            await sim.wait_for(lambda s: s.belt_speed_kmh == 0)
        assert asyncio.get_running_loop().time() - start < 4  # 6 km/h/s, not the 1.5 of a stop
        assert not sim.safety_key_in
        assert await central.request(b"\x07") == bytes.fromhex("80 07 04")
        await sim.clear_fault(Fault.SAFETY_KEY)
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")


async def test_link_drop_keeps_the_belt_running_and_allows_reconnection() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await running(central)
        await sim.drop_link()
        async with asyncio.timeout(5):
            await sim.wait_for(lambda s: not s.connected)
        assert sim.running
        assert sim.target_speed_kmh == 8.0
        await central.connect(rig.address)  # it advertises again
        assert sim.connected
        assert sim.controller_address is None  # control went with the link


async def test_link_lost_stops_advertising_until_cleared() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await sim.set_fault(Fault.LINK_LOST)
        async with asyncio.timeout(5):
            await sim.wait_for(lambda s: not s.connected)
        with pytest.raises(asyncio.TimeoutError):
            async with asyncio.timeout(3):
                await central.connect(rig.address)
        await sim.clear_fault(Fault.LINK_LOST)
        async with asyncio.timeout(5):
            await central.connect(rig.address)
        assert sim.connected


async def test_indications_lost_still_processes_and_never_blocks() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await sim.set_fault(Fault.INDICATIONS_LOST)
        await central.write(bytes.fromhex("02 20 03"))
        await central.write(b"\x07")  # no 0xFE although nothing was indicated
        await asyncio.sleep(1)
        assert central.pending(CP) == []
        assert sim.running
        assert sim.target_speed_kmh == 8.0
        assert central.pending(STATUS) == [bytes.fromhex("05 20 03"), b"\x04"]
        await sim.clear_fault(Fault.INDICATIONS_LOST)
        assert await central.request(bytes.fromhex("08 01")) == bytes.fromhex("80 08 01")


@pytest.mark.parametrize(
    ("fault", "code"), [(Fault.CONTROL_REFUSED, 0x05), (Fault.CONTROL_FAILING, 0x04)]
)
async def test_control_refused_or_failing(fault: Fault, code: int) -> None:
    async with connected_rig() as (rig, central):
        await rig.simulator.set_fault(fault)
        for request_ in ("00", "02 20 03", "07", "08 01"):
            response = await central.request(bytes.fromhex(request_))
            assert response == bytes([0x80, int(request_[:2], 16), code])
        assert rig.simulator.stopped
        await rig.simulator.clear_fault(fault)
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")


async def test_request_control_answered_04_is_granted_while_failing() -> None:
    async with connected_rig(control=False) as (rig, central):
        await rig.simulator.set_fault(Fault.CONTROL_FAILING)
        assert await central.request(b"\x00") == bytes.fromhex("80 00 04")
        assert rig.simulator.controller_address == "F0:F0:F0:F0:F0:02"
        await rig.simulator.clear_fault(Fault.CONTROL_FAILING)
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")


async def test_telemetry_silence() -> None:
    async with connected_rig() as (rig, central):
        await rig.simulator.set_fault(Fault.TELEMETRY_SILENT)
        await asyncio.sleep(0.01)
        central.pending(DATA)
        await asyncio.sleep(5)
        assert central.pending(DATA) == []
        assert rig.simulator.connected
        await rig.simulator.clear_fault(Fault.TELEMETRY_SILENT)
        assert await central.next(DATA)


async def test_speed_runaway() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await running(central)
        await sim.set_fault(Fault.SPEED_RUNAWAY, runaway_kmh=2.0)
        async with asyncio.timeout(30):
            await sim.wait_for(lambda s: s.belt_speed_kmh == 10.0)
        central.pending(DATA)
        assert decode_treadmill_data(await central.next(DATA)).values["speed_kmh"] == 10.0
        assert sim.target_speed_kmh == 8.0
        await sim.clear_fault(Fault.SPEED_RUNAWAY)
        async with asyncio.timeout(30):
            await sim.wait_for(lambda s: s.belt_speed_kmh == 8.0)
        with pytest.raises(ValueError, match="runaway_kmh"):
            await sim.set_fault(Fault.SPEED_RUNAWAY)


async def test_malformed_treadmill_data() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await sim.set_fault(Fault.TRUNCATED_TREADMILL_DATA)
        await asyncio.sleep(0.3)
        central.pending(DATA)
        with pytest.raises(MalformedFrame):
            decode_treadmill_data(await central.next(DATA))
        await sim.clear_fault(Fault.TRUNCATED_TREADMILL_DATA)
        await sim.set_fault(Fault.TRAILING_BYTES)
        await asyncio.sleep(0.3)
        central.pending(DATA)
        assert decode_treadmill_data(await central.next(DATA)).extra == TRAILING
        await sim.clear_fault(Fault.TRAILING_BYTES)
        await asyncio.sleep(0.3)
        central.pending(DATA)
        assert decode_treadmill_data(await central.next(DATA)).extra == b""


async def test_empty_machine_status_and_garbage_indication() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await sim.set_fault(Fault.EMPTY_MACHINE_STATUS)
        await sim.set_fault(Fault.GARBAGE_INDICATION)
        assert await central.request(bytes.fromhex("02 20 03")) == GARBAGE_INDICATION
        assert await central.next(STATUS) == b""
        await sim.clear_fault(Fault.EMPTY_MACHINE_STATUS)
        await sim.clear_fault(Fault.GARBAGE_INDICATION)
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")
        assert await central.next(STATUS) == b"\x04"


async def test_second_client_takes_control() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await sim.set_fault(Fault.CONTROL_TAKEN)
        assert await central.next(STATUS) == b"\xff"
        assert sim.controller_address is None
        assert await central.request(b"\x07") == bytes.fromhex("80 07 05")
        assert await central.request(b"\x00") == bytes.fromhex("80 00 05")
        await sim.clear_fault(Fault.CONTROL_TAKEN)
        assert await central.request(b"\x00") == bytes.fromhex("80 00 01")
        assert sim.faults == frozenset()


async def test_link_refused_drops_every_link_as_it_is_made_until_cleared() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await running(central)
        await sim.set_fault(Fault.LINK_REFUSED)
        async with asyncio.timeout(5):
            await sim.wait_for(lambda s: not s.connected)
        assert sim.running  # the belt keeps going, as on any drop
        # Still advertising: the link is made, and dropped at once. (bumble cancels the GATT
        # request in flight; our bleak backend makes that bleak's error, see tests/link.)
        attempt = asyncio.ensure_future(central.connect(rig.address))
        await asyncio.wait([attempt], timeout=1)
        assert attempt.cancelled()
        assert [c.refused for c in sim.connection_log] == [False, True]
        assert sim.connection_log[-1].peer == rig.bridge_address
        assert not sim.connected
        await sim.clear_fault(Fault.LINK_REFUSED)
        async with asyncio.timeout(5):
            await central.connect(rig.address)
        assert sim.connected
        assert [c.refused for c in sim.connection_log] == [False, True, False]


async def test_request_control_unanswered_is_ignored_and_holds_nothing() -> None:
    async with connected_rig(control=False) as (rig, central):
        sim = rig.simulator
        await sim.set_fault(Fault.REQUEST_CONTROL_UNANSWERED)
        await central.write(b"\x00")
        await asyncio.sleep(5)
        assert central.pending(CP) == []
        assert sim.controller_address is None  # not granted either
        assert sim.control_point_log[-1].result is None
        # No procedure held: the next write is processed (and refused, without control).
        assert await central.request(b"\x07") == bytes.fromhex("80 07 05")
        await sim.clear_fault(Fault.REQUEST_CONTROL_UNANSWERED)
        assert await central.request(b"\x00") == bytes.fromhex("80 00 01")


async def test_late_answers_come_late_and_hold_the_procedure_meanwhile() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        loop = asyncio.get_running_loop()
        await sim.set_fault(Fault.LATE_ANSWERS, late_s=0.5)
        t0 = loop.time()
        await central.write(b"\x07")
        assert await central.write_error(bytes.fromhex("08 01")) == 0xFE  # still in procedure
        assert await central.next(CP) == bytes.fromhex("80 07 01")
        assert loop.time() - t0 == pytest.approx(0.5, abs=0.01)
        assert sim.running  # done at once, answered late
        await sim.clear_fault(Fault.LATE_ANSWERS)
        t1 = loop.time()
        assert await central.request(bytes.fromhex("08 01")) == bytes.fromhex("80 08 01")
        assert loop.time() - t1 == pytest.approx(0.0, abs=0.01)
        with pytest.raises(ValueError, match="late_answers needs late_s > 0"):
            await sim.set_fault(Fault.LATE_ANSWERS)
