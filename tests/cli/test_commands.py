"""The small things: option bounds, --png names, one message per problem, plan tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import Run, Write

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "1e9", "soon"])
def test_scan_timeout_bounds(run: Run, value: str) -> None:
    run("scan", "--timeout", value).refused(
        f"argument --timeout: must be a number from 0.5 to 120 s, got '{value}'"
    )


def test_scan_help_says_the_bounds(run: Run) -> None:
    result = run("scan", "--help")
    assert result.status == 0
    assert "0.5–120 s" in result.out


@pytest.mark.parametrize("name", ["out", "out.txt", "out.png.txt"])
def test_png_must_be_named_png(run: Run, write: Write, name: str, tmp_path: Path) -> None:
    stage = write("s.yaml", "items:\n  - walk: 1:00\n")
    run("plan", str(stage), "--png", str(tmp_path / name)).refused(
        "argument --png: must be a file name ending in .png"
    )
    assert list(tmp_path.glob("out*")) == []


def test_png_written_where_it_says(run: Run, write: Write, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    stage = write("s.yaml", "items:\n  - walk: 1:00\n")
    out = tmp_path / "Profile.PNG"
    result = run("plan", str(stage), "--png", str(out))
    assert result.status == 0, result.err
    assert f"wrote {out}" in result.out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_broken_zwo_is_reported_once(run: Run, write: Write) -> None:
    zwo = write("broken.zwo", "<workout_file>\n  <workout>\n    <SteadyState\n</workout_file>\n")
    result = run("validate", str(zwo))
    result.refused(f"{zwo}:4: not well-formed XML")
    assert result.err.splitlines() == [
        f"BAD {zwo} (1 problem(s))",
        f"  {zwo}:4: not well-formed XML: invalid token",
    ]


def test_distance_only_plan_table(run: Run, write: Write) -> None:
    stage = write("s.yaml", "items:\n  - run: 400m\n  - walk: 1.3km\n  - run: 700m\n")
    result = run("plan", str(stage))
    assert result.status == 0, result.err
    starts = [line.split()[6] for line in result.out.splitlines() if line[:1].isdigit()]
    assert starts == ["0:00", "~2:49", "~17:00"]  # estimates to the second, not 2:49.412
    assert "session 0:00" not in result.out
    assert "distance 2.4km in 3 step(s) (running 1.1km)" in result.out
    assert "about 21:57 in all at these speeds" in result.out
    assert run("validate", str(stage)).out == f"OK {stage} (3 steps, 2.4km)\n"


def test_stage_files_point_at_the_docs() -> None:
    # (tests/plans/test_plans_return_to_run.py checks each file against the table there)
    stages = sorted((ROOT / "workouts" / "return-to-run").glob("stage-*.yaml"))
    assert len(stages) == 15
    for stage in stages:
        first = stage.read_text(encoding="utf-8").splitlines()[0]
        assert "(table: docs/plans.md)" in first, stage
