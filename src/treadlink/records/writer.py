"""`RecordWriter`: the session's record reaches SQLite from a thread of its own.

The recorder runs inside event listeners on the event loop, where a disk write could delay a
setpoint or the guard's view of a frame; it only hands items to `put`, which never blocks. The
thread wakes once per `flush_s` (not per item: each wake-up competes with the loop for the GIL)
and writes whatever has arrived in one transaction, so a crash loses at most that much.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Self

from treadlink.records.closing import Closes
from treadlink.records.model import RecordItem as Item
from treadlink.records.store import Store

log = logging.getLogger(__name__)

# A day of 1 Hz telemetry: far more than a session, so a full queue means the disk is stuck.
CAPACITY = 86_400


class RecordWriter(Closes):
    """with RecordWriter(path, session_id) as writer: recorder = Recorder(writer.put, ...)"""

    def __init__(
        self, path: Path, session_id: int, capacity: int = CAPACITY, flush_s: float = 1.0
    ) -> None:
        self.path = path
        self.session_id = session_id
        self.flush_s = flush_s
        self.dropped = 0  # items refused because the queue was full
        self.error: Exception | None = None  # why writing stopped, if it did
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=capacity)
        self._closing = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="treadlink-records", daemon=True)

    def __enter__(self) -> Self:
        """Start the thread and wait until its store is open: a history that cannot be used
        is known before the session starts (StoreError), and opening it costs the loop nothing
        later."""
        self._thread.start()
        self._ready.wait()
        if self.error is not None:
            self.close()
            raise self.error
        return self

    def put(self, item: Item) -> None:
        """Queue one item for the disk; never blocks (a full queue drops it, counted)."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Write everything queued and end the thread (call it once the session is over)."""
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.dropped:
            log.warning("history: %d record items were dropped (queue full)", self.dropped)

    def _run(self) -> None:
        store: Store | None = None
        try:
            store = Store.open(self.path)
        except Exception as e:
            self.error = e
        finally:
            self._ready.set()
        if store is None:
            return
        try:
            while True:
                closing = self._closing.wait(self.flush_s)
                batch = self._drain()
                if self.error is None and batch:
                    try:
                        store.write(self.session_id, batch)
                    except Exception as e:  # keep draining: the session must not notice
                        self.error = e
                        log.error("history: writing session %d failed: %s", self.session_id, e)
                if closing:
                    return
        finally:
            store.close()

    def _drain(self) -> list[Item]:
        batch: list[Item] = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return batch
