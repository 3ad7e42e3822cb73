"""compile_stage on models built in code, and the Step/Timeline fields the engine reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from treadlink.config import RunnerProfile
from treadlink.plans import (
    PlanError,
    Stage,
    Timeline,
    TreadmillLimits,
    compile_stage,
    load_plan,
    load_stage,
)

Write = Callable[[str, str], Path]


def test_compile_a_stage_built_in_code() -> None:
    stage = Stage.model_validate(
        {
            "name": "code",
            "run_speed": 9.0,
            "incline": 0.5,
            "items": [
                {"walk": "1:00", "incline": 2.0, "name": "uphill"},
                {"repeat": 2, "name": "block", "items": [{"run": 30}, {"walk": 60}]},
                {"speed": 7.0, "distance": "1km", "cue": "steady"},
                {"pace": "5k", "for": "0:45"},
            ],
        }
    )
    t = compile_stage(stage, RunnerProfile(), TreadmillLimits())
    assert isinstance(t, Timeline)
    assert [(s.index, s.name, s.kind, s.speed_kmh, s.incline_pct) for s in t.steps] == [
        (0, "uphill", "walk", 5.5, 2.0),
        (1, "run", "run", 9.0, 0.5),
        (2, "walk", "walk", 5.5, 0.5),
        (3, "run", "run", 9.0, 0.5),
        (4, "walk", "walk", 5.5, 0.5),
        (5, "custom", "custom", 7.0, 0.5),
        (6, "pace 5k", "custom", 9.5, 0.5),
    ]
    assert [s.start_s for s in t.steps] == [0.0, 60.0, 90.0, 150.0, 180.0, 240.0, None]
    assert t.steps[5].distance_m == 1000.0
    assert t.steps[5].duration_s is None
    assert t.steps[5].cue == "steady"
    assert t.steps[5].running  # 7.0 is past halfway from 5.5 to 8.5
    assert t.steps[5].estimated_duration_s == pytest.approx(1000 / (7.0 / 3.6))
    assert [(r.iteration, r.count, r.name) for r in t.steps[3].repeats] == [(2, 2, "block")]
    assert (t.steps[1].speed_units, t.steps[1].incline_units) == (900, 5)
    totals = t.totals
    assert (totals.total_time_s, totals.run_time_s, totals.longest_run_s) == (285.0, 105.0, 45.0)
    assert (totals.distance_m, totals.run_distance_m, totals.distance_steps) == (1000, 1000, 1)


def test_consecutive_running_steps_make_one_longest_run(write: Write) -> None:
    path = write("s.yaml", "items:\n  - walk: 1:00\n  - run: 5:00\n  - speed: 9.0\n    for: 2:00\n")
    t = load_stage(path, RunnerProfile())
    assert t.totals.longest_run_s == 420.0


def test_nested_repeats(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        items:
          - repeat: 2
            items:
              - repeat: 3
                items:
                  - run: 0:10
              - walk: 1:00
        """,
    )
    t = load_stage(path, RunnerProfile())
    assert len(t.steps) == 8
    assert [(r.iteration, r.count) for r in t.steps[5].repeats] == [(2, 2), (2, 3)]


def test_compile_errors_without_a_file_still_name_the_field() -> None:
    stage = Stage.model_validate({"items": [{"speed": 30.0, "for": 60}]})
    with pytest.raises(PlanError) as caught:
        compile_stage(stage, RunnerProfile())
    assert str(caught.value) == (
        "<stage>: items[0].speed: speed 30 km/h is above the runner's max_speed of 10 km/h"
    )


def test_load_stage_and_load_plan_refuse_the_other_kind(write: Write) -> None:
    stage = write("s.yaml", "items:\n  - walk: 1:00\n")
    plan = write("p.yaml", "stages:\n  - s.yaml\n")
    with pytest.raises(PlanError, match="is a plan"):
        load_stage(plan, RunnerProfile())
    with pytest.raises(PlanError, match="is a stage"):
        load_plan(stage, RunnerProfile())
    assert len(load_plan(plan, RunnerProfile()).stages) == 1
