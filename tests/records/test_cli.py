"""`treadlink history`, `next`, `pain` and `export` on a history written through the store, and
the `progression:` section's file:line errors in `validate`."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from treadlink.cli import main
from treadlink.records.model import Lap, Sample, SessionEnd, SessionStart
from treadlink.records.store import DATA_DIR_ENV, Store, database_path

PLAN = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "plan.yaml"
DISCLAIMER = "it is not medical advice"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    return tmp_path / "data"


def ran_stage(stage: int, *, days_ago: int = 1, outcome: str = "completed") -> int:
    """A session of the return-to-run plan in the history, pain-free before and after."""
    started = datetime.now(UTC) - timedelta(days=days_ago)
    stage_file = str((PLAN.parent / f"stage-{stage:02d}.yaml").resolve())
    with Store.open(database_path()) as store:
        sid = store.begin(
            SessionStart(f"Stage {stage}", stage_file, 1800.0, started, str(PLAN.resolve()),
                         "Return to run", stage)
        )  # fmt: skip
        lap = Lap(0, "Walk", "walk", 5.5, 1.0, 180.0, None, 0.0, 60.0, 60.0, 90.0)
        samples = [Sample(float(t), 5.5, 1.0, t * 1.5, 110) for t in range(61)]
        end = SessionEnd(
            started + timedelta(minutes=30), outcome, None if outcome == "completed" else "Ctrl-C",  # type: ignore[arg-type]
            "NoblePro", 90.0, 0.0, 60.0, 90.0, 30.0, 70.0, 160.0, 1, 0,
        )  # fmt: skip
        store.write(sid, [*samples, lap, end])
        store.set_pain(sid, "before", 0, started)
        store.set_pain(sid, "after", 0, started)
    return sid


def test_an_empty_history(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert main(["history"]) == 0
    assert f"no sessions recorded yet (history: {data_dir}" in capsys.readouterr().out
    assert main(["history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_history_lists_sessions_as_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = ran_stage(2, days_ago=3), ran_stage(3, days_ago=1, outcome="stopped")
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"#{first}") and "Stage 2 (Return to run, stage 2)" in lines[0]
    assert "stopped (Ctrl-C)" in lines[1] and "pain before 0/10, after 0/10" in lines[1]
    assert main(["history", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed] == [first, second]
    assert listed[1]["outcome"] == "stopped" and listed[1]["reason"] == "Ctrl-C"
    assert (listed[0]["walk_m"], listed[0]["run_m"]) == (90.0, 70.0) and listed[0]["pain"] == {
        "before": 0,
        "after": 0,
    }


def test_next_follows_the_rules_as_pain_is_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["next", str(PLAN)]) == 0
    assert "Next: stage 1 of 15 of Return to run (stage-01.yaml)" in capsys.readouterr().out
    ran_stage(3, days_ago=2)
    assert main(["next"]) == 0  # the plan of the latest session
    out = capsys.readouterr().out
    assert "Next: stage 3" in out and "the next morning is not recorded" in out
    assert DISCLAIMER in out
    assert main(["pain", "0"]) == 0
    assert "recorded pain 0/10 (next morning) for session" in capsys.readouterr().out
    assert main(["next"]) == 0
    out = capsys.readouterr().out
    assert "Next: stage 4 of 15" in out and "When: today" in out
    assert main(["pain", "4"]) == 0  # the same moment again: replaces the 0
    assert "Why: pain 4/10 the next morning at stage 3" in capsys.readouterr().out  # said at once
    assert main(["next"]) == 0
    out = capsys.readouterr().out
    assert "Next: stage 1 of 15" in out and "step back to stage 1" in out
    assert "Advice: Pain of 3/10 or more" in out and "clinician" in out
    assert "When: from " in out and "(in 2 days)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pain", "0"], "treadlink pain: no sessions recorded yet"),
        (["export", "7", "--tcx", "x.tcx"], "export: no session 7 (see `treadlink history`)"),
        (["export", "seven", "--tcx", "x.tcx"], "'seven' is not a session"),
        (["export", "last"], "say what to write"),
        (["next"], "no plan given and no session run from a plan yet"),
    ],
)  # fmt: skip
def test_clear_errors_with_status_two(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("score", ["11", "-1", "two", "1.5"])
def test_a_bad_pain_score_is_refused(score: str, capsys: pytest.CaptureFixture[str]) -> None:
    ran_stage(1)
    with pytest.raises(SystemExit) as exited:
        main(["pain", score])
    assert exited.value.code == 2
    assert "pain is a whole number from 0 to 10" in capsys.readouterr().err


def test_export_writes_the_files_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = ran_stage(1)
    tcx, fit, png = tmp_path / "a.tcx", tmp_path / "a.fit", tmp_path / "a.png"
    assert main(["export", str(sid), "--tcx", str(tcx), "--fit", str(fit), "--png", str(png)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"wrote {tcx}",
        f"wrote {fit}",
        f"wrote {png}",
    ]
    assert tcx.read_text().startswith("<?xml")
    assert fit.read_bytes()[8:12] == b".FIT"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_a_plan_without_progression_rules_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("name: bare\nstages: [a.yaml]\n")
    assert main(["next", str(plan)]) == 2
    assert f"{plan}:1: has no progression rules" in capsys.readouterr().err


def test_validate_names_the_line_of_a_bad_progression_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text("items:\n  - walk: 1:00\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        textwrap.dedent(
            """\
            stages: [a.yaml]
            progression:
              rest_days: 2
              repeat:
                rest_days: 1
              step_back:
                pain: 3
                stages: 2
                rest_day: 3
                advice: see a clinician
            """
        )
    )
    assert main(["validate", str(plan)]) == 2
    err = capsys.readouterr().err
    assert (
        f"{plan}:9: progression.step_back.rest_day: unknown key 'rest_day' "
        "(allowed: pain, stages, rest_days, advice)"
    ) in err
    assert f"{plan}:6: progression.step_back.rest_days: missing required key" in err
    plan.write_text(plan.read_text().replace("rest_day: 3", "rest_days: 3"))
    assert main(["validate", str(plan)]) == 2
    assert (
        f"{plan}:2: progression: repeat.rest_days (1) must be at least rest_days (2)"
        in capsys.readouterr().err
    )
