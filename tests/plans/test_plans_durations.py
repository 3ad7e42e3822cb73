from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadlink.plans.durations import (
    format_distance,
    format_duration,
    looks_like_distance,
    parse_distance,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:30", 30),
        ("3:00", 180),
        ("45:00", 2700),
        ("1:01:30", 3690),
        ("90", 90),
        ("90s", 90),
        (90, 90),
        (12.5, 12.5),
        ("0:30.5", 30.5),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0:00", "duration must be positive, got 0:00"),
        (0, "duration must be positive, got 0"),
        (-5, "duration must be positive, got -5"),
        ("1:75", "seconds must be below 60"),
        ("1:60:00", "minutes must be below 60"),
        ("three minutes", "m:ss, h:mm:ss or a number of seconds"),
        (True, "must be a number"),
        (math.inf, "finite"),
        (None, "must be a number"),
    ],
)
def test_parse_duration_refuses(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "metres"), [(400, 400), ("400m", 400), ("400 m", 400), ("1.2km", 1200), ("800", 800)]
)
def test_parse_distance(text: object, metres: float) -> None:
    assert parse_distance(text) == pytest.approx(metres)


@pytest.mark.parametrize("text", [0, "0m", -1, "1.2 miles", "far"])
def test_parse_distance_refuses(text: object) -> None:
    with pytest.raises(ValueError, match="distance"):
        parse_distance(text)


def test_distance_shorthand_needs_a_unit() -> None:
    assert looks_like_distance("400m")
    assert looks_like_distance("1.2km")
    assert not looks_like_distance("400")
    assert not looks_like_distance(400)


def test_format_duration() -> None:
    assert format_duration(30) == "0:30"
    assert format_duration(27300) == "455:00"  # minutes unbounded, like the programme table
    assert format_duration(30.5) == "0:30.5"
    assert format_duration(59.9996) == "1:00"
    assert format_distance(400) == "400m"
    assert format_distance(1200) == "1.2km"


@given(st.integers(min_value=1, max_value=100 * 3600))
def test_whole_seconds_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.integers(min_value=1, max_value=10 * 3600 * 1000))
def test_milliseconds_round_trip(millis: int) -> None:
    seconds = millis / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-9)


@given(st.integers(0, 9), st.integers(0, 59), st.integers(0, 59))
def test_clock_forms_agree(hours: int, minutes: int, seconds: int) -> None:
    total = hours * 3600 + minutes * 60 + seconds
    if total == 0:
        return
    assert parse_duration(f"{hours}:{minutes:02d}:{seconds:02d}") == total
    assert parse_duration(f"{hours * 60 + minutes}:{seconds:02d}") == total
    assert parse_duration(str(total)) == total
