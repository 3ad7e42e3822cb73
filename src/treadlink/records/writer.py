"""`RecordWriter`: the session's record reaches SQLite from a thread of its own.

The recorder runs inside event listeners on the event loop, where a disk write could delay a
setpoint or the guard's view of a frame; it only hands items to `put`, which never blocks. The
thread writes whatever has arrived in one transaction, so the record is on disk within moments
and a crash loses at most the last batch.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

from treadlink.records.model import FaultRecord, Lap, Sample, SessionEnd
from treadlink.records.store import Store

log = logging.getLogger(__name__)

Item = Lap | FaultRecord | Sample | SessionEnd

# A day of 1 Hz telemetry: far more than a session, so a full queue means the disk is stuck.
CAPACITY = 86_400


class RecordWriter:
    """with RecordWriter(path, session_id) as writer: recorder = Recorder(writer.put, ...)"""

    def __init__(self, path: Path, session_id: int, capacity: int = CAPACITY) -> None:
        self.path = path
        self.session_id = session_id
        self.dropped = 0  # items refused because the queue was full
        self.error: Exception | None = None  # why writing stopped, if it did
        self._queue: queue.Queue[Item | None] = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._run, name="treadlink-records", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def put(self, item: Item) -> None:
        """Queue one item for the disk; never blocks (a full queue drops it, counted)."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Write everything queued and end the thread (call it once the session is over)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.dropped:
            log.warning("history: %d record items were dropped (queue full)", self.dropped)

    def _run(self) -> None:
        try:
            store = Store.open(self.path)
        except Exception as e:
            self.error = e
            log.error("history: cannot open %s: %s", self.path, e)
            self._drain_forever()
            return
        with store:
            done = False
            while not done:
                batch: list[Item] = []
                item = self._queue.get()
                while True:
                    if item is None:
                        done = True
                        break
                    batch.append(item)
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if self.error is None and batch:
                    try:
                        store.write(self.session_id, batch)
                    except Exception as e:  # keep draining: the session must not notice
                        self.error = e
                        log.error("history: writing session %d failed: %s", self.session_id, e)

    def _drain_forever(self) -> None:
        while self._queue.get() is not None:
            pass
