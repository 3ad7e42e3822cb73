"""Pain felt during a session: recorded (`treadlink pain N --moment during`, `treadlink run
--pain-during N`, the screen's keys: tests/ui/test_pain_key.py) and treated by the rules like pain
after the session. A history from before it existed is brought up to date with its scores."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.cli_process import treadlink
from treadlink.cli import main
from treadlink.records.model import PainMoment, SessionStart
from treadlink.records.programme import load_programme
from treadlink.records.progression import Attempt, next_stage
from treadlink.records.store import DATA_DIR_ENV, MIGRATIONS, Store, database_path

WORKOUTS = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run"
RULES = load_programme(WORKOUTS / "plan.yaml").rules
MONDAY = date(2026, 11, 23)


def attempt(pain: dict[PainMoment, int]) -> Attempt:
    return Attempt(6, MONDAY, True, True, pain, 1)


def test_pain_during_a_session_is_treated_like_pain_after() -> None:
    clean: dict[PainMoment, int] = {"before": 0, "after": 0, "next_morning": 0}
    repeat = next_stage([attempt({**clean, "during": 1})], RULES, 15, MONDAY)
    assert (repeat.stage, repeat.decision) == (6, "repeat")
    assert "pain 1/10 during it at stage 6" in repeat.reason
    assert repeat.earliest == MONDAY + timedelta(days=1 + RULES.repeat.rest_days)
    back = next_stage([attempt({**clean, "during": 3})], RULES, 15, MONDAY)
    assert (back.stage, back.decision, back.clinician) == (4, "step_back", RULES.step_back.advice)
    # Not asked for: a session with no pain during it still moves on.
    clean_run = next_stage([attempt(clean)], RULES, 15, MONDAY)
    assert (clean_run.stage, clean_run.decision) == (7, "advance")


def test_pain_moment_during_is_recorded_and_the_next_stage_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    started = datetime.now(UTC) - timedelta(hours=1)
    with Store.open(database_path()) as store:
        sid = store.begin(
            SessionStart("Stage 3", str(WORKOUTS / "stage-03.yaml"), 1800.0, started,
                         str(WORKOUTS / "plan.yaml"), "Return to run", 3)
        )  # fmt: skip
    assert main(["pain", "2", "--moment", "during"]) == 0
    out = capsys.readouterr().out
    assert f"recorded pain 2/10 (during) for session {sid}" in out
    assert "pain 2/10 during it at stage 3: repeat stage 3" in out
    with Store.open(database_path()) as store:
        assert store.session(sid, details=False).pain == {"during": 2}


def test_a_history_from_before_pain_during_keeps_its_scores(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO sessions (id, stage_name, stage_file, simulated, speedup, planned_s,"
        " started_at) VALUES (1, 'Stage 1', '/s.yaml', 0, 1.0, 1800.0, '2026-11-23T07:30:00+00:00')"
    )
    db.execute("INSERT INTO pain VALUES (1, 'after', 1, '2026-11-23T08:00:00+00:00')")
    db.commit()
    db.close()
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        store.set_pain(1, "during", 3, datetime(2026, 11, 23, 8, 1, tzinfo=UTC))
        assert store.session(1, details=False).pain == {"during": 3, "after": 1}


STAGE = "name: Short\nitems:\n  - walk: 0:30\n  - run: 0:30\n  - walk: 0:30\n"


@pytest.mark.timeout(180)
def test_run_pain_during_for_scripts_is_kept_with_the_session(tmp_path: Path) -> None:
    (tmp_path / "short.yaml").write_text(STAGE)
    data = tmp_path / "data"
    ran = treadlink(
        data,
        "run", "short.yaml", "--sim", "--speedup", "60", "--pain-before", "0",
        "--pain-during", "2", "--pain-after", "0", cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "pain during it: 2/10" in ran.stdout
    listed = treadlink(data, "history", "--json", cwd=tmp_path)
    (session,) = json.loads(listed.stdout)
    assert session["pain"] == {"before": 0, "during": 2, "after": 0}
