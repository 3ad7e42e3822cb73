"""Round trips through the layouts, and random bytes: nothing but MalformedFrame ever escapes."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from treadlink.fitshow.frames import Frame, MalformedFrame
from treadlink.fitshow.protocol import WORKOUT_STATES, StatusCode
from treadlink.fitshow.replies import (
    InclineInfo,
    ReadyAck,
    SpeedInfo,
    StatusReply,
    TargetAck,
    Workout,
    decode_reply,
)
from treadlink.fitshow.requests import ReadyRequest, TargetRequest, decode_request
from treadlink.fitshow.units import STANDARD, Units

u8 = st.integers(0, 0xFF)
s8 = st.integers(-0x80, 0x7F)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
extra = st.binary(max_size=8)

workouts = st.builds(Workout, u8, s8, u16, u16, u16, u16, u8, st.one_of(st.none(), u8))


@given(st.integers(0, 0xFF), st.binary(max_size=40))
def test_any_frame_round_trips(command: int, data: bytes) -> None:
    assert Frame.decode(Frame(command, data).encode()) == Frame(command, data)


@given(st.sampled_from(sorted(WORKOUT_STATES)), workouts, extra)
def test_workout_status_round_trips(code: StatusCode, workout: Workout, tail: bytes) -> None:
    if workout.segment is None:
        tail = b""  # without the segment byte, bytes after it would be read as the segment
    reply = StatusReply(code, workout, extra=tail)
    assert decode_reply(reply.encode()) == reply


@given(st.sampled_from([StatusCode.START, StatusCode.READY]), st.one_of(st.none(), u8))
def test_countdown_status_round_trips(code: StatusCode, seconds: int | None) -> None:
    reply = StatusReply(code, countdown_s=seconds)
    assert decode_reply(reply.encode()) == reply


@given(u8, u8, extra)
def test_speed_info_round_trips(high: int, low: int, tail: bytes) -> None:
    info = SpeedInfo(max(high, low), min(high, low), tail)
    assert decode_reply(info.encode()) == info


@given(u8, s8, st.one_of(st.none(), u8))
def test_incline_info_round_trips(high: int, low: int, config: int | None) -> None:
    info = InclineInfo(high, min(low, high) if high < 0x80 else low, config)
    assert decode_reply(info.encode()) == info


@given(st.one_of(st.none(), u8), extra)
def test_ready_ack_round_trips(seconds: int | None, tail: bytes) -> None:
    ack = ReadyAck(seconds, tail if seconds is not None else b"")
    assert decode_reply(ack.encode()) == ack


@given(u8, st.one_of(st.none(), s8))
def test_target_round_trips_both_ways(speed: int, incline: int | None) -> None:
    assert decode_request(TargetRequest(speed, incline).encode()) == TargetRequest(speed, incline)
    assert decode_reply(TargetAck(speed, incline).encode()) == TargetAck(speed, incline)


@given(u32, u8, u8, u16)
def test_ready_request_round_trips(sport: int, mode: int, segments: int, value: int) -> None:
    decoded = decode_request(ReadyRequest(sport, mode, segments, value).encode())
    assert decoded == ReadyRequest(sport, mode, segments, value)


@given(st.integers(0, 255), st.sampled_from([0.5, 1.0]))
def test_setpoints_round_trip_through_units(raw: int, step: float) -> None:
    units = Units(incline_step_pct=step)
    assert units.speed_wire(units.speed_kmh(raw)) == raw
    incline = raw - 128
    assert units.incline_wire(units.incline_pct(incline)) == incline


@given(st.binary(max_size=30))
@example(bytes.fromhex("02 51 07 56 03"))
@example(bytes.fromhex("02 53 53 03"))
@example(bytes.fromhex("02 50 50 03"))
@example(Frame(0x51, bytes([3, 8])).encode())
def test_random_bytes_raise_nothing_but_malformed_frame(raw: bytes) -> None:
    for decode in (decode_reply, decode_request):
        try:
            decoded = decode(raw)
        except MalformedFrame:
            continue
        if isinstance(decoded, StatusReply):
            decoded.values(STANDARD)  # and a decoded status always converts


@given(st.integers(0, 0xFF), st.binary(max_size=18))
def test_random_well_framed_replies_raise_nothing_but_malformed_frame(
    command: int, data: bytes
) -> None:
    raw = Frame(command, data).encode()
    try:
        reply = decode_reply(raw)
    except MalformedFrame:
        return
    if isinstance(reply, StatusReply):
        assert reply.state  # every decoded status names a belt state
        reply.values(Units(incline_step_pct=0.5))
    assert reply.encode() == raw  # and every reply read is the frame it came from
