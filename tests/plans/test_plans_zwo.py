"""Zwift run workouts: conversion, ramps, cues, and refusals that name the element and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from treadlink.config import RunnerProfile
from treadlink.plans import Timeline, format_duration

Write = Callable[[str, str], Path]
ProblemsOf = Callable[..., list[str]]
Load = Callable[..., Timeline]
EXAMPLES = Path(__file__).resolve().parents[2] / "workouts" / "examples"


def zwo(body: str, *, sport: str = "run", duration_type: str = "") -> str:
    kind = f"<durationType>{duration_type}</durationType>" if duration_type else ""
    return (
        "<workout_file>\n"
        "<name>t</name>\n"
        f"<sportType>{sport}</sportType>{kind}\n"
        "<workout>\n"
        f"{body}\n"
        "</workout>\n"
        "</workout_file>\n"
    )


def test_example_intervals(load: Load) -> None:
    t = load(EXAMPLES / "treadmill-intervals.zwo")
    assert t.name == "Treadmill intervals"
    assert format_duration(t.totals.total_time_s) == "22:00"
    assert format_duration(t.totals.run_time_s) == "8:00"
    assert format_duration(t.totals.longest_run_s) == "2:00"
    on = [s for s in t.steps if s.name == "IntervalsT on"]
    assert len(on) == 4
    assert {(s.speed_kmh, s.duration_s) for s in on} == {(9.5, 120.0)}  # 1.0 x 5 km pace
    assert [r.iteration for s in on for r in s.repeats] == [1, 2, 3, 4]
    assert t.steps[0].cue == "Warm up: the belt speeds up every 30 seconds"
    off = t.steps[11]
    assert (off.name, off.speed_kmh, off.cue) == ("IntervalsT off", 5.7, "Easy: walk or jog")


def test_example_by_distance(load: Load) -> None:
    t = load(EXAMPLES / "steady-kilometres.zwo")
    assert all(s.duration_s is None for s in t.steps)
    assert t.totals.distance_m == 3200
    assert t.totals.run_distance_m == 2000
    assert t.totals.distance_steps == 6
    assert t.steps[1].start_s is None  # unknown once a distance step came before


def test_ramp_is_split_every_30_seconds_at_the_midpoint_speed(write: Write, load: Load) -> None:
    # Marathon pace 8.0 km/h; 0.5 -> 1.0 over 2 minutes: 4 slices at 0.5625 .. 0.9375.
    path = write("r.zwo", zwo('<Warmup Duration="120" PowerLow="0.5" PowerHigh="1.0" pace="4"/>'))
    t = load(path)
    assert [(s.speed_kmh, s.duration_s) for s in t.steps] == [
        (4.5, 30.0),
        (5.5, 30.0),
        (6.5, 30.0),
        (7.5, 30.0),
    ]
    assert [s.name for s in t.steps] == ["Warmup 1/4", "Warmup 2/4", "Warmup 3/4", "Warmup 4/4"]


def test_ramp_with_a_short_last_slice_and_merged_equal_speeds(write: Write, load: Load) -> None:
    path = write("r.zwo", zwo('<Ramp Duration="100" PowerLow="0.8" PowerHigh="0.8" pace="4"/>'))
    t = load(path)
    assert [(s.speed_kmh, s.duration_s) for s in t.steps] == [(6.4, 100.0)]


def test_text_event_lands_in_its_ramp_slice(write: Write, load: Load) -> None:
    body = (
        '<Cooldown Duration="90" PowerLow="0.9" PowerHigh="0.6" pace="4">\n'
        '<textevent timeoffset="45" message="halfway"/>\n'
        "</Cooldown>"
    )
    t = load(write("c.zwo", zwo(body)))
    assert [c.offset_s for c in t.steps[1].cues] == [15.0]
    assert t.steps[1].cues[0].text == "halfway"
    assert t.steps[0].speed_kmh > t.steps[-1].speed_kmh  # PowerLow is the start, as in Zwift


def test_steady_state_speed_is_rounded_to_the_treadmill_grid(write: Write, load: Load) -> None:
    # 0.83 x 9.0 (10 km) = 7.47 -> 7.5
    t = load(write("s.zwo", zwo('<SteadyState Duration="60" Power="0.83" pace="2"/>')))
    assert (t.steps[0].speed_kmh, t.steps[0].speed_units) == (7.5, 750)


def test_missing_pace_means_zone_zero(write: Write, load: Load) -> None:
    t = load(write("s.zwo", zwo('<SteadyState Duration="60" Power="0.5"/>')))
    assert t.steps[0].speed_kmh == 5.0  # half the 1 mile speed of 10.0


def test_not_xml_names_the_line(write: Write, problems_of: ProblemsOf) -> None:
    path = write("bad.zwo", "<workout_file>\n<name>x</name>\n<workout>\n</workout_file>\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:4: not well-formed XML: mismatched tag")


def test_plain_text_is_not_xml(write: Write, problems_of: ProblemsOf) -> None:
    path = write("bad.zwo", "walk 3:00\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:1: not well-formed XML")


def test_freeride_is_refused_with_its_line(write: Write, problems_of: ProblemsOf) -> None:
    body = '<SteadyState Duration="60" Power="0.6" pace="4"/>\n<FreeRide Duration="600"/>'
    path = write("f.zwo", zwo(body))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:6: <FreeRide>: unsupported: FreeRide has no target speed")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<MaxEffort Duration="30"/>', "5: <MaxEffort>: unsupported: MaxEffort has no target"),
        ('<SolidState Duration="30"/>', "5: <SolidState>: unsupported element"),
        (
            '<SteadyState Duration="60" Power="0.6" Incline="3"/>',
            "5: <SteadyState> Incline: unsupported attribute",
        ),
        (
            '<SteadyState Duration="60" Power="0.6" pace="7"/>',
            "5: <SteadyState> pace: unknown pace zone '7' (zones: 0 = mile, 1 = 5k",
        ),
        (
            '<SteadyState Duration="0" Power="0.6"/>',
            "5: <SteadyState> Duration: must be a positive number",
        ),
        ('<SteadyState Duration="60"/>', "5: <SteadyState> Power: is missing"),
        (
            '<IntervalsT Repeat="0" OnDuration="60" OffDuration="60" OnPower="1" OffPower="0.6"/>',
            "5: <IntervalsT> Repeat: must be a whole number of at least 1",
        ),
        (
            '<SteadyState Duration="60" Power="0.6"><textevent timeoffset="90" message="x"/>'
            "</SteadyState>",
            "5: <SteadyState>: text event at 90 s is after the element ends",
        ),
        (
            '<SteadyState Duration="60" Power="0.6"><cadence value="3"/></SteadyState>',
            "5: <cadence>: unsupported element inside <SteadyState>",
        ),
    ],
)
def test_refusals_name_element_and_line(
    write: Write, problems_of: ProblemsOf, body: str, expected: str
) -> None:
    path = write("x.zwo", zwo(body))
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:{expected}") for p in problems), problems


def test_bike_workouts_are_refused(write: Write, problems_of: ProblemsOf) -> None:
    path = write("b.zwo", zwo('<SteadyState Duration="60" Power="0.6"/>', sport="bike"))
    assert problems_of(path) == [f"{path}:3: <sportType>: not a run workout: sportType is 'bike'"]


def test_speed_above_the_cap_is_refused_at_the_element(
    write: Write, problems_of: ProblemsOf
) -> None:
    path = write("fast.zwo", zwo('<SteadyState Duration="60" Power="1.2" pace="0"/>'))
    assert problems_of(path) == [
        f"{path}:5: <SteadyState>.speed: speed 12 km/h is above the runner's max_speed of 10 km/h"
    ]


def test_profile_pace_speeds_are_used(write: Write, load: Load) -> None:
    path = write("s.zwo", zwo('<SteadyState Duration="60" Power="1" pace="1"/>'))
    assert load(path, RunnerProfile(paces={"5k": 9.2})).steps[0].speed_kmh == 9.2


def test_unknown_duration_type(write: Write, problems_of: ProblemsOf) -> None:
    path = write("d.zwo", zwo('<SteadyState Duration="60" Power="0.6"/>', duration_type="laps"))
    assert problems_of(path) == [f"{path}:3: <durationType>: must be time or distance, got 'laps'"]


def test_empty_workout(write: Write, problems_of: ProblemsOf) -> None:
    path = write("e.zwo", zwo(""))
    assert problems_of(path) == [f"{path}:4: <workout>: the workout is empty"]
