"""Framing errors name their reason; units, ranges and setpoints are exact or refused."""

from __future__ import annotations

import pytest

from treadlink.fitshow.frames import Frame, MalformedFrame
from treadlink.fitshow.protocol import (
    QZ_PAUSE,
    BeltState,
    Control,
    StatusCode,
)
from treadlink.fitshow.replies import (
    ControlAck,
    InclineInfo,
    StatusReply,
    TargetAck,
    Workout,
    decode_reply,
)
from treadlink.fitshow.requests import (
    ControlRequest,
    decode_request,
    pause_request,
    start_request,
    status_request,
    stop_request,
    target_request,
)
from treadlink.fitshow.units import NOBLEPRO_UNITS, STANDARD, SpeedUnit, Units
from treadlink.ftms import layouts
from treadlink.treadmill.units import SetpointError


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "0 byte"),
        ("02 51 03", "at least 4"),
        ("03 51 51 03", "starts with 0x03"),
        ("02 51 51 02", "ends with 0x02"),
        ("02 51 00 50 03", "checksum 0x50, the bytes give 0x51"),
    ],
)
def test_a_broken_frame_says_why(raw: str, reason: str) -> None:
    with pytest.raises(MalformedFrame, match=reason):
        Frame.decode(hx(raw))


def test_the_error_is_the_ftms_one_too() -> None:
    # One except clause catches "a frame we cannot read" from either protocol.
    assert issubclass(MalformedFrame, layouts.MalformedFrame)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("02 51 51 03", "no state byte"),
        (Frame(0x51, hx("07")).encode().hex(), "unknown state 0x07"),
        (Frame(0x51, hx("03 08 00 10")).encode().hex(), "RUNNING status .* expected 12"),
        (Frame(0x50, hx("02 78")).encode().hex(), "no minimum speed"),
        (Frame(0x50, hx("02 08 78")).encode().hex(), "minimum 120 above maximum 8"),
        (Frame(0x50, hx("03 05 0a")).encode().hex(), "minimum 10 above maximum 5"),
        (Frame(0x50, hx("00 01")).encode().hex(), "shorter than brand and model"),
    ],
)
def test_a_frame_that_does_not_fit_its_message_says_why(raw: str, reason: str) -> None:
    with pytest.raises(MalformedFrame, match=reason):
        decode_reply(hx(raw))


def test_extra_bytes_are_kept_not_refused() -> None:
    workout = Workout(50, 2, 10, 20, 30, 40, 120, 1)
    frame = Frame(0x51, bytes([3]) + workout.encode() + hx("de ad be ef"))
    reply = decode_reply(frame.encode())
    assert reply == StatusReply(StatusCode.RUNNING, workout, extra=hx("de ad be ef"))
    # The program segment is optional: a record that stops after the heart rate is still read.
    short = decode_reply(Frame(0x51, bytes([3]) + workout.encode()[:-1]).encode())
    assert isinstance(short, StatusReply) and short.workout == Workout(50, 2, 10, 20, 30, 40, 120)


@pytest.mark.parametrize(
    ("data", "state"),
    [
        ("00", BeltState.IDLE),
        ("01" + "00" * 12, BeltState.STOPPED),
        ("02 03", BeltState.COUNTDOWN),
        ("09", BeltState.COUNTDOWN),
        ("03" + "00" * 12, BeltState.RUNNING),
        ("04" + "00" * 12, BeltState.STOPPING),
        ("0a" + "00" * 12, BeltState.PAUSED),
        ("05 11", BeltState.ERROR),
        ("06 01", BeltState.SAFETY_KEY_OUT),
        ("06", BeltState.SAFETY_KEY_OUT),  # QZ reads every 06 as the safety key
        ("06 02", BeltState.SLEEPING),
    ],
)
def test_every_state(data: str, state: BeltState) -> None:
    reply = decode_reply(Frame(0x51, hx(data)).encode())
    assert isinstance(reply, StatusReply)
    assert reply.state is state


def test_error_and_disable_keep_their_code() -> None:
    reply = decode_reply(Frame(0x51, hx("05 11")).encode())
    assert isinstance(reply, StatusReply) and reply.detail == 0x11


def test_paused_and_stopped_frames_show_no_belt_speed() -> None:
    # The speed byte of a paused or stopped console is the last speed, not the belt's (QZ).
    for code in (StatusCode.PAUSED, StatusCode.END):
        reply = StatusReply(code, Workout(50, 0, 10, 20, 30, 40, 0, 0))
        assert "speed_kmh" not in reply.values(STANDARD)
        assert reply.values(STANDARD)["elapsed_time_s"] == 10


# --- NoblePro's half-percent incline, one parameter -----------------------------------------------
def test_noblepro_incline_is_half_percent_units_both_ways() -> None:
    # QZ: the target incline is written ×2 and the status incline divided by 2 (#1303).
    assert target_request(5.0, 4.5, NOBLEPRO_UNITS) == Frame(0x53, hx("02 32 09")).encode()
    reply = StatusReply(StatusCode.RUNNING, Workout(50, 9, 0, 0, 0, 0, 0, 0))
    assert reply.values(NOBLEPRO_UNITS)["incline_pct"] == 4.5
    assert reply.values(STANDARD)["incline_pct"] == 9.0
    with pytest.raises(SetpointError, match=r"4\.25 %"):
        target_request(5.0, 4.25, NOBLEPRO_UNITS)
    with pytest.raises(SetpointError, match=r"4\.5 %"):
        target_request(5.0, 4.5, STANDARD)  # a 1 % console has no 4.5: refused, not rounded


def test_incline_info_signed_minimum_and_config_bits() -> None:
    reply = decode_reply(Frame(0x50, hx("03 0f fd 03")).encode())
    assert reply == InclineInfo(maximum=15, minimum=-3, config=3)
    assert isinstance(reply, InclineInfo)
    assert (reply.speed_unit, reply.pause_supported) == (SpeedUnit.MPH, True)
    inclines = reply.range(STANDARD)
    assert (inclines.lowest, inclines.highest, str(inclines)) == (
        -3.0,
        15.0,
        "-3.0–15.0 % in steps of 1.0",
    )
    assert reply.range(NOBLEPRO_UNITS).highest == 7.5
    assert str(reply.range(NOBLEPRO_UNITS).to_ftms()) == "-1.5–7.5 % in steps of 0.5"
    no_config = decode_reply(Frame(0x50, hx("03 0f 00")).encode())
    assert isinstance(no_config, InclineInfo)
    assert (no_config.speed_unit, no_config.pause_supported) == (None, None)


def test_a_mile_range_is_reported_in_miles_and_never_made_km() -> None:
    miles = Units(speed=SpeedUnit.MPH).speed_range(6, 38)  # FS-BT-T4: "0.6–3.8", in mph
    assert str(miles) == "0.6–3.8 mph in steps of 0.1"
    grid = miles.to_ftms()  # the interface's grid, still in miles: 0.01 mph
    assert (grid.minimum, grid.maximum, grid.step, grid.speed_unit) == (60, 380, 10, "mph")
    assert grid.value(340) == pytest.approx(5.4717696)  # 3.4 mph, given in km/h


def test_speed_setpoints_are_exact_or_refused() -> None:
    assert STANDARD.speed_wire(8.2) == 82  # 8.2 / 0.1 is 81.999…: rounded to the grid, exactly
    with pytest.raises(SetpointError):
        STANDARD.speed_wire(8.25)
    with pytest.raises(SetpointError):
        STANDARD.speed_wire(25.6)  # past a byte
    with pytest.raises(SetpointError):
        STANDARD.speed_wire(float("nan"))
    miles = Units(speed=SpeedUnit.MPH)
    assert miles.speed_wire(3.0, SpeedUnit.MPH) == 30
    with pytest.raises(SetpointError, match=r"0\.1 mph"):
        miles.speed_wire(5.0)  # 5 km/h is 3.107 mph: not on the grid, never rounded
    assert miles.speed_wire(1.609344) == 10


def test_control_encoders() -> None:
    assert stop_request() == hx("02 53 03 50 03")
    assert start_request() == hx("02 53 09 5a 03")
    assert pause_request() == hx("02 53 0a 59 03")  # the spec's PAUSE
    assert pause_request(QZ_PAUSE) == hx("02 53 06 55 03")  # QZ's
    assert status_request(heart_rate_bpm=120) == hx("02 51 78 29 03")
    assert decode_request(pause_request(QZ_PAUSE)) == ControlRequest(6)


def test_control_replies() -> None:
    assert decode_reply(hx("02 53 03 50 03")) == ControlAck(Control.STOP)
    assert decode_reply(Frame(0x53, hx("02 32 09")).encode()) == TargetAck(50, 9)
    assert decode_reply(Frame(0x53, hx("02 32")).encode()) == TargetAck(50, None)
    ack = TargetAck(50, 9)
    assert (ack.speed_kmh(STANDARD), ack.incline_pct(NOBLEPRO_UNITS)) == (5.0, 4.5)
