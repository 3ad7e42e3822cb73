"""The 15 stage files encode the programme table of docs/plans.md exactly.

The table is read from the documentation, so the runner's reference and the files cannot drift
apart: (stage, structure, longest run, total run, session).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from treadlink.config import RunnerProfile
from treadlink.plans import Programme, format_duration, load_plan, load_stage

ROOT = Path(__file__).resolve().parents[2]
WORKOUTS = ROOT / "workouts"


def _table() -> list[tuple[int, str, str, str, str]]:
    rows = []
    for line in (ROOT / "docs" / "plans.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1], cells[2], cells[3], cells[4]))
    return rows


TABLE = _table()


def test_the_table_has_every_stage() -> None:
    assert [row[0] for row in TABLE] == list(range(1, 16))


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
