"""The belt model alone: pure, fast, property-based where it fits."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadlink_sim.physics import BeltMode, Dynamics, Treadmill, heart_rate_bpm, ramp

DYN = Dynamics(accel_up_kmh_s=1.0, accel_down_kmh_s=1.5, emergency_decel_kmh_s=6.0)
speeds = st.floats(min_value=0, max_value=20, allow_nan=False)
steps = st.lists(st.floats(min_value=0.001, max_value=3.0), min_size=1, max_size=40)


def running_at(speed: float) -> Treadmill:
    t = Treadmill(DYN, target_speed_kmh=speed)
    t.start(default_speed_kmh=1.0)
    return t


def test_ramp_reaches_target_and_integrates_exactly() -> None:
    r = ramp(0.0, 8.0, 1.0, 1.5, 10.0)
    assert r.value == 8.0
    assert r.reached_after == 8.0
    assert r.integral == pytest.approx(8 * 8 / 2 + 8 * 2)


def test_belt_accelerates_at_profile_rate() -> None:
    t = running_at(8.0)
    t.advance(4.0)
    assert t.belt_speed_kmh == pytest.approx(4.0)
    t.advance(10.0)
    assert t.belt_speed_kmh == 8.0
    assert t.distance_m == pytest.approx((8 * 8 / 2 + 8 * 6) / 3.6)
    assert t.elapsed_s == 14.0


def test_pause_holds_elapsed_and_resume_continues() -> None:
    t = running_at(6.0)
    t.advance(10.0)
    t.pause()
    t.advance(30.0)
    assert t.mode is BeltMode.PAUSED
    assert t.belt_speed_kmh == 0
    assert t.elapsed_s == 10.0
    distance = t.distance_m
    t.start(default_speed_kmh=1.0)
    t.advance(1.0)
    assert t.elapsed_s == 11.0
    assert t.distance_m > distance
    assert t.target_speed_kmh == 6.0


def test_stop_ends_the_workout_and_next_start_begins_a_new_one() -> None:
    t = running_at(6.0)
    t.advance(20.0)
    t.stop()
    t.advance(10.0)
    assert (t.belt_speed_kmh, t.target_speed_kmh, t.mode) == (0.0, 0.0, BeltMode.STOPPED)
    assert t.distance_m > 0
    t.start(default_speed_kmh=1.0)
    assert (t.distance_m, t.elapsed_s, t.steps) == (0.0, 0.0, 0.0)
    assert t.target_speed_kmh == 1.0  # a bare Start after a stop begins slowly


def test_emergency_stop_brakes_faster_than_a_normal_stop() -> None:
    normal, emergency = running_at(12.0), running_at(12.0)
    normal.advance(20.0)
    emergency.advance(20.0)
    normal.stop()
    emergency.emergency_stop()
    normal.advance(2.0)
    emergency.advance(2.0)
    assert emergency.belt_speed_kmh == 0.0
    assert normal.belt_speed_kmh == pytest.approx(9.0)
    assert not emergency.braking


def test_runaway_overshoots_the_target() -> None:
    t = running_at(8.0)
    t.runaway_kmh = 2.5
    t.advance(60.0)
    assert t.belt_speed_kmh == 10.5


def test_incline_motor_moves_at_its_rate() -> None:
    t = Treadmill(DYN, target_incline_pct=5.0)
    t.advance(4.0)
    assert t.incline_pct == pytest.approx(2.0)
    t.advance(100.0)
    assert t.incline_pct == 5.0


def test_heart_rate_rises_with_speed() -> None:
    assert heart_rate_bpm(0, 0) < heart_rate_bpm(5, 0) < heart_rate_bpm(10, 0) <= 195


@given(start=speeds, target=speeds, dts=steps)
def test_speed_never_overshoots_nor_goes_negative(
    start: float, target: float, dts: list[float]
) -> None:
    t = Treadmill(DYN, mode=BeltMode.RUNNING, belt_speed_kmh=start, target_speed_kmh=target)
    low, high = min(start, target), max(start, target)
    distance = 0.0
    for dt in dts:
        t.advance(dt)
        assert low - 1e-9 <= t.belt_speed_kmh <= high + 1e-9
        assert t.belt_speed_kmh >= 0
        assert t.distance_m >= distance
        distance = t.distance_m


@given(target=speeds, dts=steps)
def test_integration_does_not_depend_on_tick_size(target: float, dts: list[float]) -> None:
    chopped, whole = running_at(target), running_at(target)
    for dt in dts:
        chopped.advance(dt)
    whole.advance(math.fsum(dts))
    assert chopped.belt_speed_kmh == pytest.approx(whole.belt_speed_kmh, abs=1e-6)
    assert chopped.distance_m == pytest.approx(whole.distance_m, rel=1e-9, abs=1e-6)
    assert chopped.elapsed_s == pytest.approx(whole.elapsed_s)
    assert chopped.steps == pytest.approx(whole.steps, rel=1e-9, abs=1e-6)
