"""The 15 stage files encode the programme table exactly.

The table is copied here from shared/plans/return-to-run.md so that the test does not depend on
files outside the repository: (stage, structure, longest run, total run, session).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from treadlink.config import RunnerProfile
from treadlink.plans import Programme, format_duration, load_plan, load_stage

WORKOUTS = Path(__file__).resolve().parents[2] / "workouts"

TABLE = [
    (1, "walk 3:00, then 6 × (run 0:30, walk 4:00)", "0:30", "3:00", "30:00"),
    (2, "walk 3:00, then 6 × (run 1:00, walk 3:30)", "1:00", "6:00", "30:00"),
    (3, "walk 3:00, then 6 × (run 1:30, walk 3:00)", "1:30", "9:00", "30:00"),
    (4, "walk 3:00, then 6 × (run 2:00, walk 2:30)", "2:00", "12:00", "30:00"),
    (5, "walk 3:00, then 6 × (run 2:30, walk 2:00)", "2:30", "15:00", "30:00"),
    (6, "walk 3:00, then 6 × (run 3:00, walk 1:30)", "3:00", "18:00", "30:00"),
    (7, "walk 3:00, then 4 × (run 5:00, walk 1:45)", "5:00", "20:00", "30:00"),
    (8, "walk 3:00, then 3 × (run 7:00, walk 2:00)", "7:00", "21:00", "30:00"),
    (9, "walk 3:00, then 3 × (run 8:00, walk 1:00)", "8:00", "24:00", "30:00"),
    (10, "walk 3:00, then 2 × (run 12:00, walk 1:30)", "12:00", "24:00", "30:00"),
    (11, "walk 2:00, run 15:00, walk 1:30, run 10:00, walk 1:30", "15:00", "25:00", "30:00"),
    (12, "walk 2:00, run 20:00, walk 1:30, run 5:00, walk 1:30", "20:00", "25:00", "30:00"),
    (13, "walk 3:00, run 25:00, walk 2:00", "25:00", "25:00", "30:00"),
    (14, "walk 2:00, run 27:00, walk 1:00", "27:00", "27:00", "30:00"),
    (15, "walk 3:00, run 30:00, walk 2:00", "30:00", "30:00", "35:00"),
]


def _pair(text: str) -> tuple[str, str]:
    kind, duration = text.split()
    return kind, duration


def _expand(structure: str) -> list[tuple[str, str]]:
    """The table's structure column as (kind, m:ss) steps: "walk 3:00, then 6 × (a, b)"."""
    steps: list[tuple[str, str]] = []
    text = structure.replace("then ", "")
    head, _, block = text.partition("×")
    if block:
        *before, count = [p.strip() for p in head.split(",")]
        inner = block.strip().strip("()")
        steps += [_pair(p) for p in before]
        steps += int(count) * [_pair(p) for p in inner.split(", ")]
    else:
        steps += [_pair(p) for p in text.split(", ")]
    return steps


@pytest.mark.parametrize(("stage", "structure", "longest", "run", "session"), TABLE)
def test_stage_matches_table(
    stage: int, structure: str, longest: str, run: str, session: str
) -> None:
    timeline = load_stage(WORKOUTS / "return-to-run" / f"stage-{stage:02d}.yaml", RunnerProfile())
    assert format_duration(timeline.totals.total_time_s) == session
    assert format_duration(timeline.totals.run_time_s) == run
    assert format_duration(timeline.totals.longest_run_s) == longest
    assert [(s.kind, format_duration(s.duration_s or 0)) for s in timeline.steps] == _expand(
        structure
    )
    assert timeline.steps[0].kind == "walk"
    assert timeline.steps[-1].kind == "walk"
    assert all(s.distance_m is None for s in timeline.steps)


def test_speeds_come_from_the_profile() -> None:
    profile = RunnerProfile(walk_speed=5.0, run_speed=8.0, incline=1.5)
    timeline = load_stage(WORKOUTS / "return-to-run" / "stage-01.yaml", profile)
    assert {(s.kind, s.speed_kmh, s.incline_pct) for s in timeline.steps} == {
        ("walk", 5.0, 1.5),
        ("run", 8.0, 1.5),
    }
    assert {(s.speed_units, s.incline_units) for s in timeline.steps} == {(500, 15), (800, 15)}


def test_stage_one_steps_in_detail() -> None:
    timeline = load_stage(WORKOUTS / "return-to-run" / "stage-01.yaml", RunnerProfile())
    first_run = timeline.steps[1]
    assert (first_run.index, first_run.kind, first_run.duration_s) == (1, "run", 30.0)
    assert first_run.start_s == 180.0
    assert first_run.running
    assert [(r.iteration, r.count) for r in first_run.repeats] == [(1, 6)]
    assert [(r.iteration, r.count) for r in timeline.steps[-1].repeats] == [(6, 6)]
    assert timeline.steps[-1].start_s == 26 * 60
    assert timeline.steps[0].cue is not None


def test_whole_programme() -> None:
    programme = load_plan(WORKOUTS / "return-to-run" / "plan.yaml", RunnerProfile())
    assert isinstance(programme, Programme)
    assert [t.source.rsplit("/", 1)[-1] for t in programme.stages] == [
        f"stage-{n:02d}.yaml" for n in range(1, 16)
    ]
    assert format_duration(programme.totals.total_time_s) == "455:00"
    assert format_duration(programme.totals.run_time_s) == "284:00"
