"""Frames of real FTMS units that bend the specification are decoded, never raised: the
CITYSPORTS-Linker pad's captured frames byte for byte (vendor step count behind flag bit 13,
a Machine Status one byte longer than the spec, energy rates "not available"), and the same
quirks, with reserved flag bits, through the FTMS driver on the simulator's `citysports-wp8`.

Frames: reference §4.1, nRF Connect logs in hughesjs/FitnessMachine `protocol/CS-WP8` @ b51f893.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.simulated import fake_time, link
from treadlink.ftms.layouts import MachineStatus, decode_speed_range, decode_treadmill_data
from treadlink.ftms.protocol import MachineStatusOp
from treadlink.ftms.treadmill import FtmsTreadmill
from treadlink.treadmill.state import (
    StartedOnConsole,
    StoppedOnConsole,
    TargetSpeedChanged,
    Telemetry,
    TreadmillEvent,
)
from treadlink_sim.profile import load_profile

# (frame, speed km/h, distance m, energy kcal, elapsed s, steps), as captured with a person on it.
TREADMILL_DATA = [
    ("84 24 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 0.0, 0, 0, 0, 0),
    ("84 24 64 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 1.0, 0, 0, 0, 0),
    ("84 24 64 00 00 00 00 00 00 00 00 00 01 00 01 00 00", 1.0, 0, 0, 1, 1),
    ("84 24 96 00 00 00 00 00 00 00 00 00 01 00 01 00 00", 1.5, 0, 0, 1, 1),
    ("84 24 C8 00 00 00 00 00 00 00 00 00 02 00 01 00 00", 2.0, 0, 0, 2, 1),
    ("84 24 FA 00 01 00 00 00 00 00 00 00 03 00 02 00 00", 2.5, 1, 0, 3, 2),
    ("84 24 2C 01 01 00 00 00 00 00 00 00 03 00 02 00 00", 3.0, 1, 0, 3, 2),
    ("84 24 2C 01 20 00 00 01 00 00 00 00 28 00 38 00 00", 3.0, 32, 1, 40, 56),
    ("84 24 2C 01 31 00 00 02 00 00 00 00 3D 00 5B 00 00", 3.0, 49, 2, 61, 91),
    ("84 24 22 01 31 00 00 02 00 00 00 00 3E 00 5C 00 00", 2.9, 49, 2, 62, 92),
    ("84 24 E6 00 31 00 00 02 00 00 00 00 40 00 5F 00 00", 2.3, 49, 2, 64, 95),
    ("84 24 AA 00 31 00 00 03 00 00 00 00 42 00 61 00 00", 1.7, 49, 3, 66, 97),
    ("84 24 5A 00 31 00 00 03 00 00 00 00 44 00 64 00 00", 0.9, 49, 3, 68, 100),
    ("84 24 14 00 31 00 00 03 00 00 00 00 46 00 64 00 00", 0.2, 49, 3, 70, 100),
    ("84 24 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 0.0, 0, 0, 0, 0),
]

# Fitness Machine Status, run without a person, from the remote: (frame, op, value).
MACHINE_STATUS = [
    ("04 00 00", MachineStatusOp.STARTED_OR_RESUMED_BY_USER, None),
    ("05 96 00", MachineStatusOp.TARGET_SPEED_CHANGED, 1.5),
    ("05 C8 00", MachineStatusOp.TARGET_SPEED_CHANGED, 2.0),
    ("05 FA 00", MachineStatusOp.TARGET_SPEED_CHANGED, 2.5),
    ("05 2C 01", MachineStatusOp.TARGET_SPEED_CHANGED, 3.0),
    ("05 58 02", MachineStatusOp.TARGET_SPEED_CHANGED, 6.0),
    ("05 26 02", MachineStatusOp.TARGET_SPEED_CHANGED, 5.5),
    ("05 64 00", MachineStatusOp.TARGET_SPEED_CHANGED, 1.0),
    ("02 01 00", MachineStatusOp.STOPPED_OR_PAUSED_BY_USER, 1),
]


@pytest.mark.parametrize(("hex_", "kmh", "metres", "kcal", "seconds", "steps"), TREADMILL_DATA)
def test_citysports_treadmill_data_byte_for_byte(
    hex_: str, kmh: float, metres: int, kcal: int, seconds: int, steps: int
) -> None:
    frame = decode_treadmill_data(bytes.fromhex(hex_))
    assert frame.values == {
        "speed_kmh": kmh,
        "distance_m": metres,
        "energy_total_kcal": kcal,
        "energy_per_hour_kcal": 0,
        "energy_per_minute_kcal": 0,
        "elapsed_time_s": seconds,
        "step_count": steps,  # the vendor's uint16 and its trailing 00, as bit 13's uint24
    }
    assert frame.extra == b""


def test_not_available_energy_rates_and_reserved_flag_bits_are_left_out() -> None:
    # The long walk's FF FF / FF energy rates, and reserved bit 15 set on top of 0x2484.
    frame = decode_treadmill_data(
        bytes.fromhex("84 a4 2C 01 31 00 00 02 00 ff ff ff 3D 00 5B 00 00")
    )
    assert frame.values == {
        "speed_kmh": 3.0,
        "distance_m": 49,
        "energy_total_kcal": 2,
        "elapsed_time_s": 61,
        "step_count": 91,
    }


@pytest.mark.parametrize(("hex_", "op", "value"), MACHINE_STATUS)
def test_citysports_machine_status_with_its_extra_byte(
    hex_: str, op: MachineStatusOp, value: float | None
) -> None:
    status = MachineStatus.decode(bytes.fromhex(hex_))
    assert (status.op, status.value) == (op, value)


def test_citysports_supported_speed_range() -> None:
    assert str(decode_speed_range(bytes.fromhex("64 00 58 02 32 00"))) == (
        "1.0–6.0 km/h in steps of 0.5"
    )


@fake_time
async def test_the_driver_reads_every_quirky_frame_and_status_on_the_pad() -> None:
    pad = load_profile("citysports-wp8")
    quirky = pad.with_overrides(quirks=[*pad.quirks, "reserved_flag_bits"])
    async with link(profile=quirky) as connection:
        sim, treadmill = connection.simulator, connection.treadmill
        assert isinstance(treadmill, FtmsTreadmill)
        heard: list[TreadmillEvent] = []
        treadmill.subscribe(heard.append)
        await sim.console_start()
        await sim.console_set_speed(3.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 3.0, timeout=30)
        await asyncio.sleep(10)
        await sim.console_stop()
        await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
        await asyncio.sleep(3)
    assert treadmill.frames_dropped == 0
    frames = [e.state for e in heard if isinstance(e, Telemetry)]
    assert max(f.speed_kmh or 0 for f in frames) == 3.0
    assert max(f.step_count or 0 for f in frames) > 0 and frames[-1].distance_m == 0  # reset
    assert all(f.energy_per_hour_kcal is None for f in frames)  # "not available", not 65535
    kinds = [type(e) for e in heard if not isinstance(e, Telemetry)]
    assert StartedOnConsole in kinds and StoppedOnConsole in kinds
    assert [e.speed_kmh for e in heard if isinstance(e, TargetSpeedChanged)] == [3.0]
