"""The history database: schema versions, round trips, pain, and where it lives."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from treadlink.records.model import FaultRecord, Lap, Sample, SessionEnd, SessionStart
from treadlink.records.store import (
    DATA_DIR_ENV,
    MIGRATIONS,
    NoSuchSession,
    Store,
    StoreError,
    data_dir,
)

T0 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
START = SessionStart(
    stage_name="Stage 3",
    stage_file="/plans/stage-03.yaml",
    planned_s=1800.0,
    started_at=T0,
    plan_file="/plans/plan.yaml",
    plan_name="Return to run",
    stage=3,
)


def end(**changes: object) -> SessionEnd:
    values: dict[str, object] = dict(
        ended_at=T0.replace(hour=8),
        outcome="completed",
        reason=None,
        treadmill="NoblePro Elite",
        done_s=1800.0,
        paused_s=0.0,
        walk_s=1260.0,
        walk_m=1925.0,
        run_s=540.0,
        run_m=1275.0,
        distance_m=3200.0,
        segments_done=13,
        segments_skipped=0,
    )
    values.update(changes)
    return SessionEnd(**values)  # type: ignore[arg-type]


def test_a_new_history_has_the_latest_schema(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.sqlite3") as store:
        assert store.schema_version == len(MIGRATIONS) == 3
        assert store.sessions() == []


def test_migrations_bring_an_old_history_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    sqlite3.connect(path).close()  # an empty file at version 0
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
    with Store.open(path) as store:  # opening again changes nothing
        assert store.schema_version == len(MIGRATIONS)


def test_a_history_from_a_newer_treadlink_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StoreError, match="schema version 99, newer than this treadlink"):
        Store.open(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 99
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    db.close()


def test_a_session_round_trips_with_laps_faults_samples_and_pain(tmp_path: Path) -> None:
    lap = Lap(0, "Walk", "walk", 5.5, 1.0, 180.0, None, 2.0, 182.0, 180.0, 275.0)
    fault = FaultRecord(100.0, "safety_key", "safety key pulled", True)
    samples = [Sample(float(t), 5.5, 1.0, t * 1.5, 120) for t in range(3)]
    with Store.open(tmp_path / "h.sqlite3") as store:
        sid = store.begin(START)
        assert store.session(sid).outcome == "interrupted"  # no end yet: a crash would leave this
        store.write(sid, [*samples, lap, fault, end()])
        store.set_pain(sid, "before", 0, T0)
        store.set_pain(sid, "after", 2, T0)
        store.set_pain(sid, "after", 1, T0)  # a new score for a moment replaces the old one
        record = store.session(sid)
    assert record.start == START
    assert record.end == end()
    assert record.laps == (lap,)
    assert record.faults == (fault,)
    assert record.samples == tuple(samples)
    assert record.pain == {"before": 0, "after": 1}


def test_sessions_list_oldest_first_and_filter_the_simulator(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.sqlite3") as store:
        later = store.begin(START)
        earlier = store.begin(
            SessionStart("sim", "/s.yaml", 60.0, T0.replace(hour=6), simulated=True)
        )
        assert [s.id for s in store.sessions()] == [earlier, later]
        assert [s.id for s in store.sessions(simulated=True)] == [earlier]
        assert store.last(simulated=False).id == later


def test_pain_is_checked_and_needs_a_session(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.sqlite3") as store:
        with pytest.raises(NoSuchSession):
            store.set_pain(1, "next_morning", 0, T0)
        with pytest.raises(NoSuchSession, match="no sessions recorded yet"):
            store.last()
        sid = store.begin(START)
        with pytest.raises(ValueError, match="0 to 10"):
            store.set_pain(sid, "next_morning", 11, T0)


def test_the_data_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert data_dir().name == "treadlink"  # the platform's per-user data directory


def test_an_unusable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open the history"):
        Store.open(blocker / "h.sqlite3")
