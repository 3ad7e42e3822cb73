"""Byte layouts against hand-written frames, the specification's grids, and pyftms's decoders."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyftms.models.realtime_data.treadmill import TreadmillData

from treadlink.ftms.layouts import (
    TREADMILL_DATA_GROUPS,
    ControlResponse,
    Features,
    MachineStatus,
    decode_incline_range,
    decode_speed_range,
    decode_treadmill_data,
    encode_range,
    encode_treadmill_data,
)
from treadlink.ftms.protocol import MachineFeature, MachineStatusOp, ResultCode
from treadlink.treadmill.errors import MalformedFrame
from treadlink.treadmill.units import SetpointError, incline_range, setpoint_units, speed_range

SPEED = speed_range(100, 2000, 10)
INCLINE = incline_range(0, 150, 5)


def test_speed_grid_goes_out_rounded_never_truncated() -> None:
    grid = SPEED.grid()
    assert len(grid) == 191
    for i, kmh in enumerate(grid):
        assert setpoint_units("speed", kmh, SPEED) == 100 + 10 * i
    # Computed the way a plan would compute it, not read off the grid.
    assert setpoint_units("speed", 5.5 + 2.7, SPEED) == 0x0334


def test_incline_grid_goes_out_rounded() -> None:
    for i in range(31):
        assert setpoint_units("incline", i * 0.5, INCLINE) == 5 * i


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        (-1.0, "negative"),
        (0.5, "not one the treadmill takes"),
        (20.1, "not one the treadmill takes"),
        (8.25, "not one the treadmill takes"),
        (8.2001, "not one the treadmill takes"),
        (True, "not a finite number"),
    ],
)
def test_setpoints_off_range_or_off_step_are_refused(value: float, words: str) -> None:
    with pytest.raises(SetpointError, match=words):
        setpoint_units("speed", value, SPEED)


def test_hand_written_treadmill_frame() -> None:
    # flags 0x040C: distance, inclination, elapsed time; speed present (bit 0 clear)
    frame = bytes.fromhex("0c043403d204000f00ff7f3c00")
    assert decode_treadmill_data(frame).values == {
        "speed_kmh": 8.2,
        "distance_m": 1234,
        "incline_pct": 1.5,  # ramp angle 0x7FFF: "data not available", so absent
        "elapsed_time_s": 60,
    }
    assert encode_treadmill_data(decode_treadmill_data(frame).values) == frame


def test_step_count_and_unknown_trailing_bytes_are_kept_apart() -> None:
    frame = encode_treadmill_data({"speed_kmh": 5.0, "step_count": 1234}) + b"\x99\x98"
    decoded = decode_treadmill_data(frame)
    assert decoded.values == {"speed_kmh": 5.0, "step_count": 1234}
    assert decoded.extra == b"\x99\x98"


@pytest.mark.parametrize("cut", range(0, 13))
def test_truncated_frames_raise_malformed(cut: int) -> None:
    frame = encode_treadmill_data(
        {"speed_kmh": 8.0, "distance_m": 10, "incline_pct": 1.0, "elapsed_time_s": 9}
    )
    with pytest.raises(MalformedFrame):
        decode_treadmill_data(frame[:cut])


_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "speed_kmh": st.integers(0, 2500).map(lambda u: u / 100),
        "distance_m": st.integers(0, 2**24 - 2),
        "incline_pct": st.integers(-150, 150).map(lambda u: u / 10),
        "heart_rate_bpm": st.integers(0, 254),
        "elapsed_time_s": st.integers(0, 65534),
        "energy_total_kcal": st.integers(0, 65534),
    },
)


@given(_FIELDS)
def test_round_trip_and_pyftms_agrees(values: dict[str, float]) -> None:
    frame = encode_treadmill_data(values)
    ours = decode_treadmill_data(frame).values
    for name, value in values.items():
        assert math.isclose(ours[name], value, abs_tol=1e-9)
    theirs = TreadmillData._deserialize(io.BytesIO(frame))
    inclination = theirs.inclination.inclination if theirs.inclination else None
    pairs = [
        (theirs.speed_instant, "speed_kmh"),
        (theirs.distance_total, "distance_m"),
        (theirs.heart_rate, "heart_rate_bpm"),
        (theirs.time_elapsed, "elapsed_time_s"),
        (inclination, "incline_pct"),
    ]
    for their_value, name in pairs:
        if name not in ours:
            assert their_value is None, name
        else:  # pyftms multiplies by the resolution, so 201 units come back as 2.0100000000000002
            assert math.isclose(their_value, ours[name], abs_tol=1e-9), name


@given(st.binary(max_size=40))
def test_decoder_never_raises_anything_but_malformed(data: bytes) -> None:
    try:
        decoded = decode_treadmill_data(data)
    except MalformedFrame:
        return
    assert set(decoded.values) <= {f.name for _, g in TREADMILL_DATA_GROUPS for f in g}


def test_ranges_round_trip() -> None:
    assert encode_range(SPEED) == bytes.fromhex("6400 d007 0a00")
    assert decode_speed_range(encode_range(SPEED)) == SPEED
    assert decode_incline_range(encode_range(incline_range(-30, 150, 5))).minimum == -30
    assert str(SPEED) == "1.0–20.0 km/h in steps of 0.1"


def test_features_control_response_and_status() -> None:
    features = Features.decode(bytes.fromhex("0c100000 03000000"))
    assert MachineFeature.ELAPSED_TIME in features.machine
    assert ControlResponse.decode(bytes.fromhex("800201")) == ControlResponse(2, ResultCode.SUCCESS)
    assert ControlResponse.decode(bytes.fromhex("8002ee")).result == 0xEE
    with pytest.raises(MalformedFrame):
        ControlResponse.decode(bytes.fromhex("0102"))
    status = MachineStatus.decode(bytes.fromhex("053403"))
    assert status.op == MachineStatusOp.TARGET_SPEED_CHANGED
    assert status.value == 8.2
    assert MachineStatus.decode(bytes.fromhex("0201")).stop_pause == 1
    with pytest.raises(MalformedFrame):
        MachineStatus.decode(b"")
    with pytest.raises(MalformedFrame):
        MachineStatus.decode(b"\x05\x01")
