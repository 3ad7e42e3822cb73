"""Pain is listed in the order it is felt (before, during, after, the next morning), in
`history` and `history --json`, whatever order the scores were recorded in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from treadlink.cli import main
from treadlink.records.model import PainMoment, SessionEnd, SessionStart
from treadlink.records.store import DATA_DIR_ENV, Store, database_path

STAGE = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "stage-02.yaml"
T0 = datetime(2025, 3, 4, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))


def session_with_pain(*scores: tuple[PainMoment, int]) -> None:
    """A session whose pain scores are recorded in the order given."""
    with Store.open(database_path()) as store:
        sid = store.begin(SessionStart("Stage 2", str(STAGE), 1800.0, T0))
        end = SessionEnd(
            T0 + timedelta(minutes=30), "completed", None, "NoblePro", 1800.0, 0.0,
            1440.0, 2200.0, 360.0, 850.0, 3050.0, 13, 0,
        )  # fmt: skip
        store.write(sid, [end])
        for n, (moment, score) in enumerate(scores):
            store.set_pain(sid, moment, score, T0 + timedelta(hours=n))


def listed(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[str]]:
    assert main(["history"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert main(["history", "--json"]) == 0
    (session,) = json.loads(capsys.readouterr().out)
    return line, list(session["pain"])


def test_pain_recorded_backwards_is_listed_before_after_next_morning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The usual day of a `serve` session: the runner types the scores the next morning,
    # the next morning's first.
    session_with_pain(("next_morning", 0), ("after", 1), ("before", 0))
    line, keys = listed(capsys)
    assert "pain before 0/10, after 1/10, next morning 0/10" in line
    assert keys == ["before", "after", "next_morning"]


def test_pain_during_fits_between_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    session_with_pain(("after", 0), ("next_morning", 0), ("during", 2), ("before", 0))
    line, keys = listed(capsys)
    assert "pain before 0/10, during 2/10, after 0/10, next morning 0/10" in line
    assert keys == ["before", "during", "after", "next_morning"]
