"""The FitShow decoders against frames captured from real consoles.

Capture 1: the Sportstech F15 btsnoop (syssi/esphome-treadmill-f15 docs/btsnoop-f15.log, quoted
in docs/fitshow.md) and that repository's ESP32 log (docs/protocol.md). Capture 2: the HomeTro
FS-BT-D2 findings (dvilelaf/hometro-fitshow-ble docs/findings.md). WalkFit's and the TX6's
target frames are the encoders' references.
"""

from __future__ import annotations

import pytest

from treadlink.fitshow.frames import Frame
from treadlink.fitshow.protocol import BeltState, Command, Control, Info, StatusCode
from treadlink.fitshow.replies import (
    ReadyAck,
    SpeedInfo,
    StatusReply,
    Unsupported,
    Workout,
    decode_reply,
)
from treadlink.fitshow.requests import (
    ReadyRequest,
    StatusRequest,
    TargetRequest,
    decode_request,
    incline_info_request,
    ready_request,
    speed_info_request,
    status_request,
    target_request,
)
from treadlink.fitshow.units import STANDARD, SpeedUnit, Units
from treadlink.treadmill.state import TreadmillState


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


def status(text: str) -> StatusReply:
    reply = decode_reply(hx(text))
    assert isinstance(reply, StatusReply)
    return reply


# --- capture 1: the F15's start sequence, as the official app drove it --------------------------
def test_f15_requests_are_the_bytes_the_official_app_wrote() -> None:
    assert speed_info_request() == hx("02 50 02 52 03")
    assert incline_info_request() == hx("02 50 03 53 03")
    assert status_request() == hx("02 51 51 03")
    assert ready_request() == hx("02 53 01 00 00 00 00 00 00 00 00 52 03")


def test_f15_speed_info_is_its_range_with_the_extra_byte_kept() -> None:
    reply = decode_reply(hx("02 50 02 78 08 00 22 03"))
    assert reply == SpeedInfo(maximum=120, minimum=8, extra=b"\x00")
    assert isinstance(reply, SpeedInfo)
    speeds = reply.range(STANDARD)
    assert (speeds.lowest, speeds.highest, speeds.unit) == (0.8, 12.0, "km/h")
    assert str(speeds.to_ftms()) == "0.8–12.0 km/h in steps of 0.1"


def test_f15_echoes_the_incline_query_it_has_no_incline() -> None:
    assert decode_reply(hx("02 50 03 53 03")) == Unsupported(Command.SYS_INFO, Info.INCLINE)


def test_f15_countdown_from_ready_to_running_at_its_minimum_speed() -> None:
    assert decode_reply(hx("02 53 01 05 57 03")) == ReadyAck(countdown_s=5)
    assert status("02 51 00 51 03").state is BeltState.IDLE
    for seconds, frame in [
        (5, "02 51 02 05 56 03"),
        (4, "02 51 02 04 57 03"),
        (3, "02 51 02 03 50 03"),
        (2, "02 51 02 02 51 03"),
        (1, "02 51 02 01 52 03"),
    ]:
        reply = status(frame)
        assert (reply.state, reply.countdown_s, reply.values(STANDARD)) == (
            BeltState.COUNTDOWN,
            seconds,
            {},
        )
    running = status("02 51 03 08 00 00 00 00 00 00 00 00 00 00 00 5a 03")
    assert running.state is BeltState.RUNNING
    assert running.values(STANDARD)["speed_kmh"] == 0.8


def test_f15_console_stop_ramps_down_then_forgets_the_counters() -> None:
    first = status("02 51 04 0a 00 21 00 09 00 03 00 00 00 54 00 20 03")
    assert first.state is BeltState.STOPPING
    assert first.values(STANDARD) == {
        "speed_kmh": 1.0,
        "incline_pct": 0.0,
        "elapsed_time_s": 33,
        "distance_m": 9,
        "energy_total_kcal": 0.3,
        "step_count": 0,
        "heart_rate_bpm": 84,
    }
    assert first.workout is not None and first.workout.segment == 0
    speeds = [
        status(f).values(STANDARD)["speed_kmh"]
        for f in (
            "02 51 04 04 00 21 00 09 00 03 00 00 00 55 00 2f 03",
            "02 51 04 00 00 21 00 09 00 03 00 00 00 55 00 2b 03",
        )
    ]
    assert speeds == [0.4, 0.0]
    idle = status("02 51 00 51 03")
    assert (idle.state, idle.values(STANDARD)) == (BeltState.IDLE, {})


@pytest.mark.parametrize(
    ("frame", "speed", "elapsed", "distance"),
    [
        ("02 51 03 08 00 10 00 03 00 01 00 00 00 00 00 48 03", 0.8, 16, 3),
        ("02 51 03 0A 00 70 00 1A 00 0A 00 00 00 00 00 38 03", 1.0, 112, 26),
        ("02 51 03 3C 00 1C 00 2A 00 10 00 00 00 00 00 48 03", 6.0, 28, 42),
        ("02 51 04 09 00 1D 00 2C 00 11 00 00 00 00 00 7C 03", 0.9, 29, 44),
    ],
)
def test_f15_esp32_log_frames(frame: str, speed: float, elapsed: int, distance: int) -> None:
    values = status(frame).values(STANDARD)
    assert (values["speed_kmh"], values["elapsed_time_s"], values["distance_m"]) == (
        speed,
        elapsed,
        distance,
    )


# --- capture 2: HomeTro (FS-BT-D2), where FTMS reported the same second --------------------------
def test_hometro_frames_match_what_ftms_reported() -> None:
    assert status("02 51 02 03 50 03").countdown_s == 3
    early = status("02 51 03 28 00 04 00 01 00 00 00 01 00 00 00 7e 03").values(STANDARD)
    assert (early["speed_kmh"], early["distance_m"], early["step_count"]) == (4.0, 1, 1)
    # FTMS said 6.00 km/h, 22 m at the same time; FitShow: 23 s, 1.5 kcal, 27 steps.
    later = status("02 51 03 3c 00 17 00 16 00 0f 00 1b 00 00 00 7b 03").values(STANDARD)
    assert later == {
        "speed_kmh": 6.0,
        "incline_pct": 0.0,
        "elapsed_time_s": 23,
        "distance_m": 22,
        "energy_total_kcal": 1.5,
        "step_count": 27,
        "heart_rate_bpm": None,  # 0 on the wire: no heart rate
    }
    stopping = status("02 51 04 38 00 29 00 34 00 25 00 39 00 00 00 6c 03")
    assert (stopping.state, stopping.values(STANDARD)["speed_kmh"]) == (BeltState.STOPPING, 5.6)


def test_status_values_update_a_treadmill_state_by_its_own_names() -> None:
    reply = status("02 51 03 3c 00 17 00 16 00 0f 00 1b 00 00 00 7b 03")
    state = TreadmillState(heart_rate_bpm=99).updated(reply.values(STANDARD))
    assert (state.speed_kmh, state.distance_m, state.step_count) == (6.0, 22, 27)
    assert state.heart_rate_bpm is None  # the console said "none": no stale value kept
    assert state.belt_moving


# --- the encoders, byte for byte ----------------------------------------------------------------
def test_walkfit_and_tx6_target_frames() -> None:
    # WalkFit (FS-BT-T4): `02 53 02 19 00 48 03` = 2.5 km/h; TX6: `53 02 0a 00` = 1.0.
    assert target_request(2.5, 0.0, STANDARD) == hx("02 53 02 19 00 48 03")
    assert target_request(1.0, 0.0, STANDARD) == Frame(0x53, hx("02 0a 00")).encode()
    # No incline byte for a console without incline (WalkFit, TX6 send `53 02 <speed>`).
    assert target_request(2.5, None, STANDARD) == hx("02 53 02 19 48 03")
    assert decode_request(hx("02 53 02 19 00 48 03")) == TargetRequest(25, 0)


def test_requests_decode_back_as_the_console_reads_them() -> None:
    assert decode_request(hx("02 51 51 03")) == StatusRequest()
    assert decode_request(ready_request()) == ReadyRequest()
    # tyge68 starts with a shortened READY: read with zeros after it.
    assert decode_request(Frame(0x53, hx("01 00 00 00 00")).encode()) == ReadyRequest()
    assert decode_request(hx("02 53 03 50 03")).control == Control.STOP  # type: ignore[union-attr]


def test_a_mile_console_is_read_in_km_only_when_the_driver_says_so() -> None:
    # TX6 (FS-BT-D2, console in miles): raw 10 showed "1.0 mph" on the LED.
    frame = StatusReply(StatusCode.RUNNING, Workout(10, 0, 60, 100, 0, 63, 0, 0)).encode()
    reply = status(frame.hex(" "))
    miles = Units(speed=SpeedUnit.MPH)
    assert reply.values(STANDARD)["speed_kmh"] == 1.0  # what a km reading would claim
    assert reply.values(miles)["speed_kmh"] == 1.609
    assert reply.values(miles)["distance_m"] == 161  # 0.1 mile
