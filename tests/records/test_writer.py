"""The writer thread: what the recorder hands it reaches SQLite, and nothing it does reaches the
session (a full queue drops and counts; a store that cannot be opened is known at the start)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from treadlink.records.model import Sample, SessionStart
from treadlink.records.store import Store, StoreError
from treadlink.records.writer import RecordWriter

START = SessionStart("Stage 1", "/stage-01.yaml", 60.0, datetime(2026, 11, 23, tzinfo=UTC))


def new_session(path: Path) -> int:
    with Store.open(path) as store:
        return store.begin(START)


def test_everything_put_is_written_by_close(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    sid = new_session(path)
    with RecordWriter(path, sid, flush_s=60.0) as writer:  # no periodic flush: close writes
        for t in range(500):
            writer.put(Sample(float(t), 5.5, 1.0, float(t), 100))
    assert writer.error is None and writer.dropped == 0
    with Store.open(path) as store:
        assert len(store.session(sid).samples) == 500


def test_a_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    sid = new_session(path)
    with RecordWriter(path, sid, capacity=10, flush_s=60.0) as writer:
        for t in range(25):
            writer.put(Sample(float(t), 5.5, 1.0, float(t), 100))
    assert writer.dropped == 15
    with Store.open(path) as store:
        assert len(store.session(sid).samples) == 10


def test_a_history_that_cannot_be_opened_is_known_before_the_session(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the history"), RecordWriter(blocker / "h", 1):
        pass
