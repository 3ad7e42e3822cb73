"""A plan checked against a treadmill that cannot take it as written: speeds in km/h on a
treadmill that counts mph run at the nearest 0.1 mph, never above the runner's max_speed and
never clamped into the range; a stage that needs an incline on a treadmill without one is
refused with how to run it flat, or, asked for flat, runs flat. Either way a note says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from treadlink.config import RunnerProfile
from treadlink.plans import PlanError, Timeline, TreadmillLimits, load_workout
from treadlink.treadmill.units import SpeedUnit, speed_range

Write = Callable[[str, str], Path]
MPH_PAD = TreadmillLimits(speed_range(50, 1000, 10, SpeedUnit.MPH))  # 0.5–10.0 mph
NO_INCLINE = TreadmillLimits(speed_range(80, 1200, 10), None)  # the F15


def timeline(path: Path, limits: TreadmillLimits, profile: RunnerProfile | None = None) -> Timeline:
    loaded = load_workout(path, profile or RunnerProfile(), limits)
    assert isinstance(loaded, Timeline)
    return loaded


def test_km_per_hour_speeds_run_at_the_nearest_tenth_of_a_mile_and_say_so(write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - run: 1:00\n")
    t = timeline(path, MPH_PAD)
    speeds = [round(MPH_PAD.speed.own_units(s.speed_kmh), 6) for s in t.steps]
    assert speeds == [3.4, 5.3]  # 5.5 km/h is 3.418 mph, 8.5 km/h is 5.282 mph
    assert [s.speed_units for s in t.steps] == [340, 530]  # exact on its grid
    [note] = t.notes
    assert "5.5 km/h as 3.4 mph (5.47 km/h)" in note and "8.5 km/h as 5.3 mph (8.53 km/h)" in note


def test_the_runners_cap_holds_in_kmh(write: Write) -> None:
    path = write("s.yaml", "items:\n  - run: 1:00\n")
    capped = RunnerProfile(run_speed=8.5, max_speed=8.5)
    [step] = timeline(path, MPH_PAD, capped).steps
    assert step.speed_kmh <= 8.5  # 5.3 mph would be 8.53 km/h: the grid value below it runs
    assert round(MPH_PAD.speed.own_units(step.speed_kmh), 6) == 5.2


def test_a_speed_off_a_mile_range_is_refused_not_clamped(write: Write) -> None:
    path = write("s.yaml", "items:\n  - speed: 17\n    for: 1:00\n")
    with pytest.raises(PlanError) as caught:
        load_workout(path, RunnerProfile(max_speed=20), MPH_PAD)
    [problem] = caught.value.problems
    assert "17 km/h is not one the treadmill takes (0.5–10.0 mph" in str(problem)


def test_an_incline_on_a_treadmill_without_one_is_refused_with_how_to_run_flat(
    write: Write,
) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - run: 1:00\n    incline: 2\n")
    with pytest.raises(PlanError) as caught:
        load_workout(path, RunnerProfile(), NO_INCLINE)
    problems = [str(p) for p in caught.value.problems]
    assert problems[0].endswith(
        "incline (from the runner profile) 1 %: the treadmill has no incline: to run this stage "
        "flat, use `treadlink run --flat` (or give the stage `incline: 0`)"
    )
    assert "items[1].incline: incline 2 %" in problems[1]


def test_asked_for_flat_it_runs_flat_and_says_which_inclines_are_left_out(write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - run: 1:00\n    incline: 2\n")
    flat = TreadmillLimits(NO_INCLINE.speed, None, flat=True)
    t = timeline(path, flat)
    assert [(s.incline_pct, s.incline_units) for s in t.steps] == [(0.0, 0), (0.0, 0)]
    assert t.notes == (
        "the treadmill has no incline: this stage runs flat (--flat); its inclines of 1 %, 2 % "
        "are left out",
    )


def test_a_flat_stage_needs_nothing_and_says_nothing(write: Write) -> None:
    path = write("s.yaml", "incline: 0\nitems:\n  - walk: 1:00\n")
    assert timeline(path, NO_INCLINE).notes == ()
