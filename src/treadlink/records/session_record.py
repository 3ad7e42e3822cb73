"""Recording one session (`treadlink run`, `treadlink serve`): the session's row, then its
events, without blocking the loop.

    start = session_start(timeline, plan_file=plan, stage=3, simulated=False, speedup=1.0)
    with SessionRecording(start, running_threshold_kmh=profile.running_threshold) as recording:
        recording.set_pain("before", 0)
        session.subscribe(recording.listen)
        await session.run()
    recording.set_pain("after", 0)

Opening writes the session row (before the belt moves, so nothing waits on it); every event after
that only goes to memory and the writer thread's queue. Closing waits for the thread to write the
rest, once the session is over. A session that never began (no treadmill found) is not kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from treadlink.events import Event
from treadlink.plans.errors import PlanError
from treadlink.plans.timeline import Timeline
from treadlink.records.closing import Closes
from treadlink.records.model import PainMoment, SessionEnd, SessionStart
from treadlink.records.programme import load_programme, stage_path
from treadlink.records.recorder import Recorder
from treadlink.records.store import Store, StoreError, database_path
from treadlink.records.writer import RecordWriter


class SessionRecording(Closes):
    def __init__(
        self, start: SessionStart, *, running_threshold_kmh: float, path: Path | None = None
    ) -> None:
        self.start = start
        self.path = database_path() if path is None else path
        self.threshold = running_threshold_kmh
        self.session_id: int | None = None
        self._writer: RecordWriter | None = None
        self._recorder: Recorder | None = None

    def __enter__(self) -> Self:
        with Store.open(self.path) as store:  # StoreError if the history cannot be used
            self.session_id = store.begin(self.start)
        try:
            self._writer = RecordWriter(self.path, self.session_id).__enter__()
        except Exception:
            with Store.open(self.path) as store:
                store.delete(self.session_id)
            raise
        self._recorder = Recorder(self._writer.put, running_threshold_kmh=self.threshold)
        return self

    def close(self) -> None:
        """Write the rest (blocking: once the session is over); forget a session that never
        began."""
        if self._writer is not None:
            self._writer.close()
        if self.session_id is not None and not self.began:
            with Store.open(self.path) as store:
                store.delete(self.session_id)
            self.session_id = None

    @property
    def began(self) -> bool:
        return self._recorder is not None and self._recorder.started

    def listen(self, event: Event) -> None:
        """Subscribe this to the session: memory and a queue only, never the disk."""
        self.feed(event.as_json())

    def feed(self, event: Mapping[str, Any]) -> None:
        """One event in its JSON form (as `--events` writes it)."""
        if self._recorder is not None:
            self._recorder(event)

    @property
    def end(self) -> SessionEnd | None:
        return self._recorder.end if self._recorder is not None else None

    def set_pain(self, moment: PainMoment, score: int) -> None:
        """Blocking: call it before the session starts or after it has ended."""
        if self.session_id is None:
            raise RuntimeError("the recording is not open, or its session never began")
        with Store.open(self.path) as store:
            store.set_pain(self.session_id, moment, score, datetime.now(UTC))


def session_start(
    timeline: Timeline,
    *,
    plan_file: Path | None = None,
    stage: int | None = None,
    simulated: bool,
    speedup: float,
) -> SessionStart:
    """What is known before the belt moves. `plan_file` and `stage` when the stage was taken
    from a plan (its N-th stage, from 1)."""
    plan_name = None
    if plan_file is not None:
        with contextlib.suppress(PlanError):
            plan_name = load_programme(plan_file).name
    return SessionStart(
        stage_name=timeline.name,
        stage_file=stage_path(Path(timeline.source)),
        planned_s=timeline.estimated_total_s,
        started_at=datetime.now(UTC),
        plan_file=None if plan_file is None else stage_path(plan_file),
        plan_name=plan_name,
        stage=stage,
        simulated=simulated,
        speedup=speedup,
    )


def open_recording(
    start: SessionStart,
    *,
    running_threshold_kmh: float,
    warn: Callable[[str], None],
    path: Path | None = None,
) -> SessionRecording | None:
    """The session's recording, open (its row written); or None once `warn` has said why the
    history cannot be used: the session goes on unrecorded rather than not at all. Blocking:
    call it before the loop runs, or from a thread."""
    try:
        return SessionRecording(
            start, running_threshold_kmh=running_threshold_kmh, path=path
        ).__enter__()
    except StoreError as e:
        warn(f"not recorded: {e}")
        return None
