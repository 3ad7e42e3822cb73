"""`RecordWriter`: the session's record reaches SQLite from a thread of its own.

The recorder runs inside event listeners on the event loop, where a disk write could delay a
setpoint or the guard's view of a frame; it only hands items to `put`, which never blocks. The
thread (a treadlink.drain.Drain) wakes once per `flush_s` (not per item: each wake-up competes
with the loop for the GIL) and writes whatever has arrived in one transaction, so a crash loses
at most that much. The store is opened, used and closed on that thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from treadlink.drain import AfterFailure, Drain
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
        self._store: Store | None = None
        # A failed write is said once; what comes after is taken and dropped, so the session
        # never notices the disk.
        self._drain: Drain[Item] = Drain(
            self._write,
            name="treadlink-records",
            capacity=capacity,
            every_s=flush_s,
            after_failure=AfterFailure.DISCARD,
            on_failure=self._failed,
            holding=self._open_store,
        )

    @property
    def dropped(self) -> int:
        """Items refused because the queue was full."""
        return self._drain.dropped

    @property
    def error(self) -> Exception | None:
        """Why writing stopped (or never began), if it did."""
        return self._drain.failure

    def __enter__(self) -> Self:
        """Start the thread and wait until its store is open: a history that cannot be used
        is known before the session starts (StoreError), and opening it costs the loop nothing
        later."""
        self._drain.start()
        return self

    def put(self, item: Item) -> None:
        """Queue one item for the disk; never blocks (a full queue drops it, counted)."""
        self._drain.put(item)

    def close(self) -> None:
        """Write everything queued and end the thread (call it once the session is over)."""
        self._drain.close()
        if self.dropped:
            log.warning("history: %d record items were dropped (queue full)", self.dropped)

    # --- on the writer thread ------------------------------------------------------------------
    @contextmanager
    def _open_store(self) -> Iterator[None]:
        with Store.open(self.path) as self._store:
            yield

    def _write(self, batch: list[Item]) -> None:
        assert self._store is not None
        self._store.write(self.session_id, batch)

    def _failed(self, error: Exception) -> None:
        log.error("history: writing session %d failed: %s", self.session_id, error)
