"""Sessions written into the history (TREADLINK_DATA_DIR) as if they had been run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from treadlink.records.model import PainMoment, SessionEnd, SessionStart
from treadlink.records.programme import stage_path
from treadlink.records.store import Store, database_path

RETURN_TO_RUN = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run"
PLAN = RETURN_TO_RUN / "plan.yaml"
CLEAN: dict[PainMoment, int] = {"before": 0, "after": 0, "next_morning": 0}


def ran(
    stage_file: Path,
    days_ago: int,
    pain: dict[PainMoment, int],
    *,
    simulated: bool = False,
    completed: bool = True,
) -> None:
    """A session of `stage_file` in the history (however it was started: no plan named)."""
    started = datetime.now(UTC) - timedelta(days=days_ago)
    with Store.open(database_path()) as store:
        sid = store.begin(
            SessionStart("a stage", stage_path(stage_file), 1800.0, started, simulated=simulated)
        )
        outcome = "completed" if completed else "stopped"
        end = SessionEnd(started, outcome, None, None, 1800, 0, 1000, 1500, 800, 1900, 3400, 13, 0)
        store.write(sid, [end])
        for moment, score in pain.items():
            store.set_pain(sid, moment, score, started)
