"""Recording one `treadlink run`: the session's row, then its events, without blocking the loop.

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

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from treadlink.events import Event
from treadlink.records.closing import Closes
from treadlink.records.model import PainMoment, SessionEnd, SessionStart
from treadlink.records.recorder import Recorder
from treadlink.records.store import Store, database_path
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
