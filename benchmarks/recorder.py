"""What recording costs the event loop: the recorder's listener per event (JSON form, record,
queue), over a 30-minute stage at 4 Hz telemetry, with the writer thread putting it in SQLite."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.stats import summary
from treadlink.records.model import SessionStart
from treadlink.records.session_record import SessionRecording
from treadlink.records.store import Store
from treadlink.session.events import (
    Finished,
    SegmentStarted,
    SessionEvent,
    TelemetryUpdate,
)


def _events(session_s: float = 1800.0, hz: float = 4.0) -> list[SessionEvent]:
    out: list[SessionEvent] = []
    frames = int(session_s * hz)
    for i in range(frames):
        at = i / hz
        if i % int(150 * hz) == 0:
            index = i // int(150 * hz)
            out.append(
                SegmentStarted(
                    at=at, index=index, name="walk", segment_kind="walk", speed_kmh=5.5,
                    incline_pct=1.0, duration_s=150.0, distance_m=None, cue=None,
                )
            )  # fmt: skip
        out.append(
            TelemetryUpdate(
                at=at, speed_kmh=5.5, incline_pct=1.0, distance_m=int(at * 1.53),
                elapsed_time_s=int(at), heart_rate_bpm=120,
            )
        )  # fmt: skip
    out.append(Finished(at=session_s, completed=True, segments_done=12, distance_m=2750))
    return out


def measure() -> dict[str, Any]:
    events = _events()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite3"
        start = SessionStart("Stage 1", "/bench/stage-01.yaml", 1800.0, datetime.now(UTC))
        costs_us: list[float] = []
        with SessionRecording(start, running_threshold_kmh=7.0, path=path) as recording:
            recording.feed({"event": "session_started", "at": 0.0, "stage": "Stage 1"})
            for event in events:
                t0 = time.perf_counter_ns()
                recording.listen(event)
                costs_us.append((time.perf_counter_ns() - t0) / 1000)
            closing = time.perf_counter()
        close_ms = (time.perf_counter() - closing) * 1000
        with Store.open(path) as store:
            samples = len(store.session(store.last().id).samples)
    return {
        "events": len(events),
        "listener_us": summary(costs_us),
        "close_ms": close_ms,
        "samples_written": samples,
    }
