"""Every way a stage or plan file can be wrong names the file, the line and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from treadlink.config import RunnerProfile
from treadlink.ftms.layouts import incline_range, speed_range
from treadlink.plans import PlanError, TreadmillLimits, load_workout

Write = Callable[[str, str], Path]
ProblemsOf = Callable[..., list[str]]


def test_unknown_key(problems_of: ProblemsOf, write: Write) -> None:
    path = write(
        "s.yaml",
        """
        name: typo
        items:
          - walk: 3:00
            incilne: 2
        """,
    )
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:4: items[0].incilne: unknown key 'incilne'")
    assert "incline" in problem  # the allowed keys are listed


def test_unknown_key_at_top_and_in_repeat(problems_of: ProblemsOf, write: Write) -> None:
    path = write(
        "s.yaml",
        """
        nmae: typo
        items:
          - repeat: 2
            itmes: []
            items:
              - walk: 1:00
        """,
    )
    problems = problems_of(path)
    assert problems[0].startswith(f"{path}:1: nmae: unknown key 'nmae'")
    assert problems[1].startswith(f"{path}:4: items[0].itmes: unknown key 'itmes'")


def test_zero_duration(problems_of: ProblemsOf, write: Write) -> None:
    path = write(
        "s.yaml",
        """
        items:
          - walk: 3:00
          - run: 0:30
          - run: 0:00
          - walk: 1:00
        """,
    )
    assert problems_of(path) == [f"{path}:4: items[2].run: duration must be positive, got 0:00"]


def test_negative_duration_and_distance(problems_of: ProblemsOf, write: Write) -> None:
    path = write(
        "s.yaml",
        """
        items:
          - speed: 8.0
            for: -30
          - run:
              distance: -400
          - walk: 0m
        """,
    )
    assert problems_of(path) == [
        f"{path}:3: items[0].for: duration must be positive, got -30",
        f"{path}:5: items[1].run.distance: distance must be positive, got -400",
        f"{path}:6: items[2].walk: distance must be positive, got 0m",
    ]


def test_bad_duration_text(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 3 minutes\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:2: items[0].walk: duration must look like m:ss")


def test_speed_above_the_runners_cap(problems_of: ProblemsOf, write: Write) -> None:
    path = write(
        "s.yaml",
        """
        items:
          - walk: 1:00
          - speed: 12.0
            for: 1:00
        """,
    )
    assert problems_of(path) == [
        f"{path}:3: items[1].speed: speed 12 km/h is above the runner's max_speed of 10 km/h"
    ]


def test_incline_above_the_runners_cap(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n    incline: 6\n")
    assert problems_of(path) == [
        f"{path}:3: items[0].incline: incline 6 % is above the runner's max_incline of 5 %"
    ]


def test_speed_off_the_treadmill_grid(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - speed: 8.25\n    for: 1:00\n")
    assert problems_of(path) == [
        f"{path}:2: items[0].speed: speed 8.25 km/h is not one the treadmill takes "
        "(1.0–20.0 km/h in steps of 0.1)"
    ]


def test_speed_outside_the_treadmill_range(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - speed: 0.5\n    for: 1:00\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:3: items[1].speed: speed 0.5 km/h is not one the treadmill")


def test_connected_treadmill_limits_apply(write: Write) -> None:
    # A treadmill that only goes to 8.0 km/h refuses the profile's run speed (walk 5.5 is fine);
    # one with whole-percent inclines is fine with 1 %, one with 0.3 % steps is not.
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - run: 0:30\n")
    small = TreadmillLimits(speed_range(100, 800, 50), incline_range(0, 99, 3))
    with pytest.raises(PlanError) as caught:
        load_workout(path, RunnerProfile(), small)
    assert sorted(str(p) for p in caught.value.problems) == [
        f"{path}: incline (from the runner profile) 1 % is not one the treadmill takes "
        "(0.0–9.9 % in steps of 0.3)",
        f"{path}: run speed (from the runner profile) 8.5 km/h is not one the treadmill takes "
        "(1.0–8.0 km/h in steps of 0.5)",
    ]


def test_stage_override_above_cap_is_reported_once_at_its_line(
    problems_of: ProblemsOf, write: Write
) -> None:
    path = write(
        "s.yaml",
        """
        name: too fast
        run_speed: 11.0
        items:
          - repeat: 3
            items:
              - run: 1:00
              - walk: 1:00
        """,
    )
    assert problems_of(path) == [
        f"{path}:2: run_speed: run speed 11 km/h is above the runner's max_speed of 10 km/h"
    ]


def test_unknown_pace_name(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - pace: 3k\n    for: 2:00\n")
    assert problems_of(path) == [
        f"{path}:3: items[1].pace: unknown pace '3k' (known: mile, 5k, 10k, half, marathon)"
    ]


def test_pace_speed_comes_from_profile_and_is_capped(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - pace: mile\n    for: 2:00\n")
    profile = RunnerProfile(paces={"mile": 12.0})
    assert problems_of(path, profile) == [
        f"{path}:2: items[0].pace: pace 'mile' (12 km/h in the runner profile) 12 km/h is above "
        "the runner's max_speed of 10 km/h"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("items: []\n", "1: items: a stage's items is empty"),
        ("name: x\n", "1: items: missing required key 'items'"),
        (
            "items:\n  - repeat: 2\n    items: []\n",
            "3: items[0].items: a repeat block's items is empty",
        ),
        ("stages: []\n", "1: stages: a plan's stages is empty"),
        ("", "the file is empty"),
        ("- walk: 3:00\n", "1: expected a stage (a mapping with items) or a plan (with stages)"),
    ],
)
def test_empty_things(problems_of: ProblemsOf, write: Write, text: str, expected: str) -> None:
    path = write("s.yaml", text)
    sep = "" if expected[0].isdigit() else " "
    assert problems_of(path) == [f"{path}:{sep}{expected}"]


def test_repeat_count_must_be_positive(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - repeat: 0\n    items:\n      - walk: 1:00\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:2: items[0].repeat: Input should be greater than or equal")


def test_segment_needs_exactly_one_target(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n    run: 1:00\n  - for: 1:00\n")
    assert problems_of(path) == [
        f"{path}:2: items[0]: a segment needs exactly one of walk, run, speed or pace "
        "(has walk and run)",
        f"{path}:4: items[1]: a segment needs exactly one of walk, run, speed or pace",
    ]


def test_item_must_be_a_mapping(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - walk 3:00\n")
    assert problems_of(path) == [
        f"{path}:3: items[1]: expected a mapping (like `walk: 3:00`), got walk 3:00"
    ]


def test_duplicate_key(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n    walk: 2:00\n")
    assert problems_of(path) == [f"{path}:3: items[0].walk: duplicate key 'walk'"]


def test_cue_outside_its_segment(problems_of: ProblemsOf, write: Write) -> None:
    path = write(
        "s.yaml",
        """
        items:
          - walk: 1:00
            cues:
              - at: 0:30
                text: halfway
              - at: 2:00
                text: too late
        """,
    )
    assert problems_of(path) == [
        f"{path}:6: items[0].cues[1].at: cue at 2:00 is not within its segment (1:00 long)"
    ]


def test_yaml_syntax_error_names_the_line(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - run: [0:30\n  - walk: 1:00\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:4: YAML syntax error")


def test_tab_indentation_is_a_syntax_error(problems_of: ProblemsOf, write: Write) -> None:
    path = write("s.yaml", "items:\n\t- walk: 1:00\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:2: YAML syntax error")


def test_missing_file(problems_of: ProblemsOf, tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert problems_of(path) == [f"{path}: no such file"]


def test_directory_is_not_a_file(problems_of: ProblemsOf, tmp_path: Path) -> None:
    path = tmp_path / "dir.yaml"
    path.mkdir()
    assert problems_of(path) == [f"{path}: is a directory, not a file"]


def test_not_utf8(problems_of: ProblemsOf, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\nitems:\n  - walk: 1:00\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:1: is not UTF-8 text")


def test_unknown_extension(problems_of: ProblemsOf, tmp_path: Path) -> None:
    path = tmp_path / "stage.json"
    path.write_text("{}")
    assert problems_of(path) == [f"{path}: unknown file type: expected .yaml, .yml or .zwo"]


def test_plan_names_missing_stage_file_and_collects_stage_problems(
    problems_of: ProblemsOf, write: Write
) -> None:
    write("good.yaml", "items:\n  - walk: 1:00\n")
    bad = write("bad.yaml", "items:\n  - walk: 1:00\n  - run: 0\n")
    plan = write(
        "plan.yaml",
        """
        name: p
        stages:
          - good.yaml
          - missing.yaml
          - bad.yaml
        """,
    )
    problems = problems_of(plan)
    assert problems[0].startswith(f"{plan}:4: stages[1]: no such stage file")
    assert problems[1] == f"{bad}:3: items[1].run: duration must be positive, got 0"


def test_every_problem_is_reported_at_once(problems_of: ProblemsOf, write: Write) -> None:
    path = write(
        "s.yaml",
        """
        items:
          - walk: 0:00
          - run: 0:30
            bogus: 1
          - pace: fast
            for: 1:00
        """,
    )
    problems = problems_of(path)
    assert [p.split(": ", 2)[:2] for p in problems] == [
        [f"{path}:2", "items[0].walk"],
        [f"{path}:4", "items[1].bogus"],
        [f"{path}:5", "items[2].pace"],
    ]


def test_plan_error_message_lists_all_problems(write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 0\n  - run: 0\n")
    with pytest.raises(PlanError) as caught:
        load_workout(path, RunnerProfile())
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]
    assert len(caught.value.problems) == 2
