"""Control-point procedures through a raw bumble central: result codes, ATT errors, statuses."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.sim_central import RawCentral, connected_rig
from treadlink.ftms.layouts import Features, decode_speed_range, decode_treadmill_data
from treadlink.ftms.protocol import (
    ATT_CCCD_IMPROPERLY_CONFIGURED,
    ATT_PROCEDURE_ALREADY_IN_PROGRESS,
    MachineFeature,
    ResultCode,
)
from treadlink.ftms.protocol import Characteristic as Char
from treadlink_sim.physics import BeltMode
from treadlink_sim.profile import load_profile
from treadlink_sim.rig import sim_rig

pytestmark = [pytest.mark.looptime]

CP, STATUS, TRAINING, DATA = (
    Char.FITNESS_MACHINE_CONTROL_POINT,
    Char.FITNESS_MACHINE_STATUS,
    Char.TRAINING_STATUS,
    Char.TREADMILL_DATA,
)


async def test_reads_features_ranges_and_device_information() -> None:
    async with connected_rig(control=False) as (_, central):
        features = Features.decode(await central.read(Char.FITNESS_MACHINE_FEATURE))
        assert MachineFeature.INCLINATION in features.machine
        assert MachineFeature.HEART_RATE_MEASUREMENT in features.machine
        assert await central.read(Char.SUPPORTED_SPEED_RANGE) == bytes.fromhex("6400d0070a00")
        assert decode_speed_range(await central.read(Char.SUPPORTED_SPEED_RANGE)).step == 10
        assert await central.read(Char.SUPPORTED_INCLINATION_RANGE) == bytes.fromhex("000096000500")
        assert await central.read(Char.TRAINING_STATUS) == b"\x00\x01"
        assert await central.read(Char.MANUFACTURER_NAME) == b"NoblePro"
        assert await central.read(Char.MODEL_NUMBER) == b"Elite E8.0"
        assert await central.read(Char.SERIAL_NUMBER) == b"NP-SIM-000001"
        assert await central.read(Char.FIRMWARE_REVISION) == b"1.7.4"


async def test_control_is_needed_first() -> None:
    async with connected_rig(control=False) as (rig, central):
        assert await central.request(bytes.fromhex("02 20 03")) == bytes.fromhex("80 02 05")
        assert await central.request(b"\x07") == bytes.fromhex("80 07 05")
        assert await central.request(b"\x00") == bytes.fromhex("80 00 01")
        assert rig.simulator.controller_address == "F0:F0:F0:F0:F0:02"
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")


@pytest.mark.parametrize(
    ("request_", "response"),
    [
        ("02 20 03", "80 02 01"),  # 8.00 km/h
        ("02 34 03", "80 02 01"),  # 8.20 km/h, the value pyftms truncates to 8.19
        ("02 33 03", "80 02 03"),  # 8.19 km/h: off the 0.1 grid
        ("02 63 00", "80 02 03"),  # 0.99 km/h: below the minimum
        ("02 d1 07", "80 02 03"),  # 20.01 km/h: above the maximum
        ("02 20", "80 02 03"),  # short parameter
        ("02 20 03 00", "80 02 03"),  # long parameter
        ("03 14 00", "80 03 01"),  # 2.0 %
        ("03 13 00", "80 03 03"),  # 1.9 %: off the 0.5 grid
        ("03 fb ff", "80 03 03"),  # -0.5 %: below the minimum
        ("07", "80 07 01"),
        ("07 00", "80 07 03"),
        ("08 01", "80 08 01"),
        ("08 02", "80 08 01"),
        ("08 03", "80 08 03"),
        ("08", "80 08 03"),
        ("01", "80 01 01"),
        ("04 00 00", "80 04 02"),  # set target resistance: not a treadmill's
        ("7f", "80 7f 02"),
    ],
)
async def test_result_codes(request_: str, response: str) -> None:
    async with connected_rig() as (rig, central):
        got = await central.request(bytes.fromhex(request_))
        assert got == bytes.fromhex(response)
        record = rig.simulator.control_point_log[-1]
        assert record.data == bytes.fromhex(request_)
        assert record.result == ResultCode(got[2])


async def test_speed_while_stopped_is_stored_and_start_goes_there() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        assert await central.request(bytes.fromhex("02 20 03")) == bytes.fromhex("80 02 01")
        assert await central.next(STATUS) == bytes.fromhex("05 20 03")
        await asyncio.sleep(2)
        assert (sim.target_speed_kmh, sim.belt_speed_kmh, sim.mode) == (8.0, 0.0, BeltMode.STOPPED)
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")
        assert await central.next(STATUS) == b"\x04"
        assert await central.next(TRAINING) == bytes([0x00, 0x0D])
        start = asyncio.get_running_loop().time()
        async with asyncio.timeout(30):
            await sim.wait_for(lambda s: s.belt_speed_kmh == 8.0)
        # 1.0 km/h/s up: eight seconds, to within one telemetry tick.
        assert asyncio.get_running_loop().time() - start == pytest.approx(8.0, abs=0.26)


async def test_needs_start_before_speed_profile_option() -> None:
    profile = load_profile("noblepro-elite", needs_start_before_speed=True)
    async with connected_rig(profile) as (rig, central):
        assert await central.request(bytes.fromhex("02 20 03")) == bytes.fromhex("80 02 04")
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")
        assert await central.request(bytes.fromhex("02 20 03")) == bytes.fromhex("80 02 01")
        assert rig.simulator.target_speed_kmh == 8.0


async def test_statuses_and_training_status_follow_the_control_point() -> None:
    async with connected_rig() as (rig, central):
        for request_ in ("02 84 03", "03 28 00", "07", "08 02", "07", "08 01", "01"):
            await central.request(bytes.fromhex(request_))
        await asyncio.sleep(0.1)
        assert central.pending(STATUS) == [
            bytes.fromhex("05 84 03"),
            bytes.fromhex("06 28 00"),
            b"\x04",
            bytes.fromhex("02 02"),
            b"\x04",
            bytes.fromhex("02 01"),
            b"\x01",
        ]
        assert [t[1] for t in central.pending(TRAINING)] == [0x0D, 0x01, 0x0D, 0x0F, 0x01]
        # Reset hands control back: the client must ask again.
        assert await central.request(b"\x07") == bytes.fromhex("80 07 05")
        assert rig.simulator.controller_address is None


async def test_write_while_indication_unconfirmed_gets_0xfe() -> None:
    async with connected_rig() as (rig, central):
        release = central.hold_confirmations()
        await central.write(bytes.fromhex("02 20 03"))
        assert await central.next(CP) == bytes.fromhex("80 02 01")
        error = await central.write_error(b"\x07")
        assert error == ATT_PROCEDURE_ALREADY_IN_PROGRESS
        assert rig.simulator.control_point_log[-1].att_error == ATT_PROCEDURE_ALREADY_IN_PROGRESS
        assert not rig.simulator.running  # refused writes do nothing
        release()
        await asyncio.sleep(0)
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")


async def test_write_without_indications_enabled_gets_0xfd() -> None:
    async with sim_rig() as rig:
        central = await RawCentral.on_controller(rig.bridge_controller)
        await central.connect(rig.address)
        await central.subscribe(control_point=False)
        assert await central.write_error(b"\x00") == ATT_CCCD_IMPROPERLY_CONFIGURED
        assert rig.simulator.control_point_log[-1].att_error == ATT_CCCD_IMPROPERLY_CONFIGURED


async def test_indication_follows_the_write_response() -> None:
    async with connected_rig() as (_, central):
        pdus = central.record_pdus()
        assert await central.request(b"\x07") == bytes.fromhex("80 07 01")
        answers = [p for p in pdus if p != "ATT_HANDLE_VALUE_NOTIFICATION"]
        assert answers == ["ATT_WRITE_RESPONSE", "ATT_HANDLE_VALUE_INDICATION"]


async def test_listener_sees_the_bytes_before_processing() -> None:
    async with connected_rig() as (rig, central):
        seen: list[tuple[bytes, bool]] = []
        rig.simulator.add_control_point_listener(
            lambda data: seen.append((data, rig.simulator.running))
        )
        await central.request(b"\x07")
        await central.request(bytes.fromhex("08 01"))
        assert seen == [(b"\x07", False), (bytes.fromhex("08 01"), True)]


async def test_telemetry_reports_the_belt() -> None:
    async with connected_rig(telemetry_hz=4) as (rig, central):
        await central.request(bytes.fromhex("02 58 02"))  # 6.00 km/h
        await central.request(bytes.fromhex("03 1e 00"))  # 3.0 %
        await central.request(b"\x07")
        await asyncio.sleep(60)
        central.pending(DATA)
        frame = decode_treadmill_data(await central.next(DATA))
        v = frame.values
        assert v["speed_kmh"] == 6.0
        assert v["incline_pct"] == 3.0
        assert v["ramp_angle_deg"] == 1.7
        assert 55 <= v["distance_m"] <= 95  # ≈ 6 km/h for 60 s less the ramp-up
        assert v["elapsed_time_s"] == 60
        assert 100 < v["heart_rate_bpm"] < 140
        assert v["step_count"] > 100
        assert frame.extra == b""
        assert rig.simulator.telemetry_hz == 4


async def test_telemetry_rate() -> None:
    async with connected_rig(telemetry_hz=10) as (_, central):
        central.pending(DATA)
        await asyncio.sleep(5.01)
        assert len(central.pending(DATA)) == 50


async def test_generic_profile_has_no_optional_fields() -> None:
    async with connected_rig("generic") as (_, central):
        frame = decode_treadmill_data(await central.next(DATA))
        assert "heart_rate_bpm" not in frame.values
        assert "step_count" not in frame.values


async def test_pause_holds_elapsed_and_stop_starts_a_new_workout() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await central.request(bytes.fromhex("02 e8 03"))
        await central.request(b"\x07")
        await asyncio.sleep(30)
        await central.request(bytes.fromhex("08 02"))
        await asyncio.sleep(30)
        assert sim.paused
        assert sim.elapsed_s == pytest.approx(30, abs=0.3)
        await central.request(b"\x07")
        await asyncio.sleep(10)
        assert sim.target_speed_kmh == 10.0  # resume keeps the setpoint
        await central.request(bytes.fromhex("08 01"))
        await sim.wait_for(lambda s: s.belt_speed_kmh == 0)
        assert sim.distance_m > 100
        await central.request(b"\x07")
        assert sim.distance_m == 0
        assert sim.elapsed_s == 0
        assert sim.target_speed_kmh == 1.0  # bare Start after Stop: the slowest speed
