"""The programme side of `treadlink run`: the next stage of a plan, pain questions, and a
recording that keeps only sessions that began."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from treadlink.cli.records_common import Refused
from treadlink.cli.run_records import after_session, ask_pain, next_stage_of_plan, recording_for
from treadlink.config import RunnerProfile
from treadlink.plans import load_stage
from treadlink.records.model import SessionEnd, SessionStart
from treadlink.records.programme import stage_path
from treadlink.records.store import DATA_DIR_ENV, Store, database_path
from treadlink.session.events import Finished

PLAN = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "plan.yaml"
TODAY = date.today()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    return tmp_path / "data"


def run_args(
    file: Path = PLAN, stage: int | None = None, sim: str | None = None
) -> argparse.Namespace:
    return argparse.Namespace(file=file, stage=stage, sim=sim, speedup=1.0)


def history(stage: int, days_ago: int, pain: dict[str, int], simulated: bool = False) -> None:
    started = datetime.now(UTC) - timedelta(days=days_ago)
    with Store.open(database_path()) as store:
        sid = store.begin(
            SessionStart(f"Stage {stage}", stage_path(PLAN.parent / f"stage-{stage:02d}.yaml"),
                         1800.0, started, simulated=simulated)
        )  # fmt: skip
        end = SessionEnd(
            started, "completed", None, None, 1800, 0, 1000, 1500, 800, 1900, 3400, 13, 0
        )
        store.write(sid, [end])
        for moment, score in pain.items():
            store.set_pain(sid, moment, score, started)  # type: ignore[arg-type]


CLEAN = {"before": 0, "after": 0, "next_morning": 0}


def test_a_plan_without_stage_runs_the_next_one_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    history(2, days_ago=2, pain=CLEAN)
    assert next_stage_of_plan(run_args()) == 3
    out = capsys.readouterr().out
    assert "Next: stage 3 of 15 of Return to run (stage-03.yaml)" in out
    assert "Why: stage 2 completed with no pain" in out and "not medical advice" in out


def test_the_simulator_keeps_its_own_programme() -> None:
    history(5, days_ago=2, pain=CLEAN, simulated=True)
    assert next_stage_of_plan(run_args()) == 1
    assert next_stage_of_plan(run_args(sim="")) == 6


@pytest.mark.parametrize(
    ("days_ago", "pain", "refusal"),
    [
        (1, CLEAN, "stage 3 is due from"),  # yesterday's run: today is the rest day
        (2, {"before": 0, "after": 0}, "record the missing pain score first"),
    ],
)
def test_the_rules_can_say_not_now(days_ago: int, pain: dict[str, int], refusal: str) -> None:
    history(2, days_ago=days_ago, pain=pain)
    with pytest.raises(Refused, match=refusal) as refused:
        next_stage_of_plan(run_args())
    assert "--stage" in str(refused.value)


def test_a_stage_file_or_a_chosen_stage_is_left_alone() -> None:
    assert next_stage_of_plan(run_args(stage=7)) is None
    assert next_stage_of_plan(run_args(file=PLAN.parent / "stage-01.yaml")) is None


def answers(*replies: str) -> Iterator[str]:
    yield from replies


def test_pain_is_given_asked_or_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    assert ask_pain("Pain now?", 2, lambda _: "9") == 2  # given on the command line
    replies = answers("eleven", "12", "1")
    assert ask_pain("Pain now?", None, lambda _: next(replies)) == 1
    assert capsys.readouterr().out.count("pain is a whole number from 0 to 10") == 2
    assert ask_pain("Pain now?", None, lambda _: "") is None  # Enter skips


def test_only_a_session_that_began_is_kept_with_its_pain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage_file = PLAN.parent / "stage-01.yaml"
    timeline = load_stage(stage_file, RunnerProfile())
    args = run_args(file=stage_file)
    with recording_for(args, timeline, 7.0) as never:  # e.g. no treadmill was found
        assert never is not None
    after_session(never, 0, 0)
    with Store.open(database_path()) as store:
        assert store.sessions() == []
    with recording_for(args, timeline, 7.0) as recording:
        assert recording is not None
        recording.feed({"event": "session_started", "at": 0.0, "stage": "Stage 1"})
        recording.listen(Finished(at=5.0, completed=False, segments_done=0, distance_m=0))
    after_session(recording, 0, 1)
    assert f"recorded as session {recording.session_id}" in capsys.readouterr().out
    with Store.open(database_path()) as store:
        (kept,) = store.sessions()
    assert kept.pain == {"before": 0, "after": 1}
    assert kept.outcome == "stopped" and kept.start.stage_file == stage_path(stage_file)
