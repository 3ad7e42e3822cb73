"""The pain gate: a "next-morning" score is taken only from the calendar day after the session
(local time), from the hour the plan's `progression.next_morning_from` sets (04:00 by default).
Earlier it is refused, with when it can be given and how to record the pain as pain after. The
clock is the test's: "minutes after the session" and "the next day at 04:00" without sleeping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from treadlink.cli import build_parser, main
from treadlink.cli import pain as pain_cli
from treadlink.records.model import SessionEnd, SessionStart
from treadlink.records.store import DATA_DIR_ENV, Store, database_path

WORKOUTS = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run"
ZONE = "Europe/Paris"  # UTC+1 in March: the local day differs from UTC's near midnight


@pytest.fixture(autouse=True)
def local_zone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setenv("TZ", ZONE)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def local(text: str) -> datetime:
    """A local wall-clock time, aware."""
    return datetime.fromisoformat(text).astimezone()


def ran(started: datetime, stage_file: Path, plan_file: Path | None = None) -> int:
    """A completed session, pain-free before and after, started at `started`."""
    with Store.open(database_path()) as store:
        sid = store.begin(
            SessionStart(
                "Stage 3", str(stage_file.resolve()), 1800.0, started.astimezone(UTC),
                None if plan_file is None else str(plan_file.resolve()),
                None if plan_file is None else "Return to run", None if plan_file is None else 3,
            )
        )  # fmt: skip
        end = SessionEnd(
            started + timedelta(minutes=30), "completed", None, "NoblePro", 1800.0, 0.0,
            1260.0, 1925.0, 540.0, 1275.0, 3200.0, 13, 0,
        )  # fmt: skip
        store.write(sid, [end])
        store.set_pain(sid, "before", 0, started)
        store.set_pain(sid, "after", 0, started)
    return sid


def pain(argv: list[str], at: datetime) -> int:
    args = build_parser().parse_args(["pain", *argv])
    return pain_cli.run(args, now=lambda: at)


def recorded(sid: int) -> dict[str, int]:
    with Store.open(database_path()) as store:
        return dict(store.session(sid, details=False).pain)


def test_minutes_after_the_session_the_next_morning_score_is_refused_and_says_when(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sid = ran(local("2025-03-04T18:00"), WORKOUTS / "stage-03.yaml", WORKOUTS / "plan.yaml")
    assert pain(["0"], local("2025-03-04T18:45")) == 2
    err = capsys.readouterr().err
    assert "too early for the next morning's pain of session" in err
    assert "from Wed 05 Mar 2025 04:00" in err
    assert "treadlink pain 0 --moment after" in err  # what to type for the pain felt now
    assert recorded(sid) == {"before": 0, "after": 0}  # nothing recorded, nothing moved
    assert pain(["0"], local("2025-03-05T03:59")) == 2  # still the night
    assert recorded(sid) == {"before": 0, "after": 0}


def test_from_four_the_next_morning_the_score_is_taken_and_the_stage_moves_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sid = ran(local("2025-03-04T18:00"), WORKOUTS / "stage-03.yaml", WORKOUTS / "plan.yaml")
    assert pain(["0"], local("2025-03-05T04:00")) == 0
    out = capsys.readouterr().out
    assert "recorded pain 0/10 (next morning)" in out
    assert "Next: stage 4 of 15" in out
    assert recorded(sid) == {"before": 0, "after": 0, "next_morning": 0}


def test_a_session_late_at_night_gets_its_next_morning_the_following_morning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 23:30 local is 22:30 UTC the same day; 00:30 local is still the previous day in UTC.
    late = ran(local("2025-03-04T23:30"), WORKOUTS / "stage-03.yaml")
    assert pain(["0", "--session", str(late)], local("2025-03-05T03:30")) == 2
    assert "from Wed 05 Mar 2025 04:00" in capsys.readouterr().err
    after_midnight = ran(local("2025-03-05T00:30"), WORKOUTS / "stage-03.yaml")
    assert pain(["0", "--session", str(after_midnight)], local("2025-03-05T09:00")) == 2
    err = capsys.readouterr().err
    assert "from Thu 06 Mar 2025 04:00" in err
    assert f"treadlink pain 0 --moment after --session {after_midnight}" in err


def test_the_pain_felt_now_is_recorded_as_after_when_the_runner_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sid = ran(local("2025-03-04T18:00"), WORKOUTS / "stage-03.yaml", WORKOUTS / "plan.yaml")
    assert pain(["2", "--moment", "after"], local("2025-03-04T18:45")) == 0
    out = capsys.readouterr().out
    assert "recorded pain 2/10 (after)" in out and "repeat stage 3" in out
    assert recorded(sid) == {"before": 0, "after": 2}


def plan_with_morning(folder: Path, morning: str) -> Path:
    folder.mkdir()
    (folder / "one.yaml").write_text("name: one\nitems:\n  - walk: 1:00\n  - run: 1:00\n")
    (folder / "two.yaml").write_text("name: two\nitems:\n  - walk: 1:00\n  - run: 2:00\n")
    plan = folder / "plan.yaml"
    plan.write_text(
        "name: Mornings\nstages: [one.yaml, two.yaml]\nprogression:\n"
        f"  rest_days: 1\n  next_morning_from: {morning}\n  repeat:\n    rest_days: 2\n"
        "  step_back:\n    pain: 3\n    stages: 1\n    rest_days: 3\n    advice: see a clinician\n"
    )
    return plan


def test_the_plan_sets_the_hour_for_its_stages_run_from_the_plan_or_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = plan_with_morning(tmp_path / "mornings", "07:30")
    from_plan = ran(local("2025-03-04T18:00"), plan.parent / "one.yaml", plan)
    from_folder = ran(local("2025-03-04T18:00"), plan.parent / "two.yaml")  # no plan recorded
    for sid in (from_plan, from_folder):
        assert pain(["0", "--session", str(sid)], local("2025-03-05T07:00")) == 2
        assert "from Wed 05 Mar 2025 07:30" in capsys.readouterr().err
        assert pain(["0", "--session", str(sid)], local("2025-03-05T07:30")) == 0
        assert recorded(sid)["next_morning"] == 0


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"13:00"', "'13:00' is past noon"),
        ('"25:00"', "'25:00' is not a time of day"),
        ("4", "expected a time of day as HH:MM (for example 04:00), got 4"),
        ("4am", "expected a time of day as HH:MM"),
    ],
)
def test_validate_names_the_line_of_a_bad_next_morning_hour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], written: str, message: str
) -> None:
    plan = plan_with_morning(tmp_path / "bad", written)
    assert main(["validate", str(plan)]) == 2
    err = capsys.readouterr().err
    assert f"{plan}:5: progression.next_morning_from: {message}" in err
