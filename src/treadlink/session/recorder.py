"""Session events as JSON lines, written by a thread of their own as they happen.

    with EventLog("run.jsonl", on_problem=print) as log:   # opened and checked here
        session.subscribe(log.write)                        # never blocks the event loop

`write` only appends to memory, so no disk (slow, full, gone) ever delays the guard or the plan.
The writer thread writes and flushes each line. When the disk fails, the file is cut back to its
last whole line, the runner is told once where the record stops, and every later event is kept
in memory; at close it is tried once more, in case the disk has recovered.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from treadlink.events import Event

Reporter = Callable[[str], None]


class EventLog:
    def __init__(self, path: str | Path, *, on_problem: Reporter | None = None) -> None:
        """`on_problem` is told, in a sentence for the runner, when the disk fails; it is
        called from the writer thread."""
        self.path = Path(path)
        self._report = on_problem or (lambda message: None)
        self._file: IO[str] | None = None
        self._good_size = 0  # bytes of whole lines in the file
        self._pending: deque[str] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self.written = 0  # events safely on disk
        self.failed: str | None = None  # why the disk stopped taking them
        self._told = False  # the runner hears of a failing disk once

    def __enter__(self) -> Self:
        """Open for appending now, so a bad path is an error before any radio is opened. A
        missing folder is an error too: more often a typo than a wish."""
        self._file = self.path.open("a", encoding="utf-8")
        self._good_size = self._file.tell()
        self._thread = threading.Thread(target=self._run, name="treadlink-events", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def write(self, event: Event) -> None:
        """Queue one event; safe to call from the event loop, never blocks on the disk."""
        line = json.dumps(event.as_json(), separators=(",", ":"), allow_nan=False) + "\n"
        with self._ready:
            self._pending.append(line)
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closing = True
            self._ready.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.failed is not None and self._pending:
            self._retry()
        if self._file is not None:
            self._file.close()
            self._file = None

    # --- the writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._ready:
                # After a failure nothing more is written here: close() tries once more.
                while not self._closing and (not self._pending or self.failed is not None):
                    self._ready.wait()
                if not self._pending or self.failed is not None:
                    return  # closing, and nothing more this thread can write
                line = self._pending[0]
            if self._put(line):
                with self._ready:
                    self._pending.popleft()

    def _put(self, line: str) -> bool:
        assert self._file is not None
        try:
            self._file.write(line)
            self._file.flush()
        except OSError as e:
            self._fail(e)
            return False
        self._good_size += len(line.encode("utf-8"))
        self.written += 1
        return True

    def _fail(self, error: OSError) -> None:
        self.failed = error.strerror or str(error)
        self._cut_back()
        if self._told:
            return
        self._told = True
        self._report(
            f"the events file {self.path} could not be written ({self.failed}): the record on "
            f"disk stops after {self.written} event(s); the rest is kept in memory and written "
            "at the end if the disk recovers"
        )

    def _cut_back(self) -> None:
        """Drop a half-written line, so the file stays whole JSON lines."""
        assert self._file is not None
        # Discard what the failed write left in the buffer, then cut the file to its last
        # whole line (freeing space also lets the retry at close work on a full disk).
        with contextlib.suppress(OSError):
            self._file = self._reopen()
            os.truncate(self.path, self._good_size)

    def _reopen(self) -> IO[str]:
        assert self._file is not None
        # Closing flushes the same failed buffer again: that is what we are discarding.
        with contextlib.suppress(OSError):
            self._file.close()
        return self.path.open("a", encoding="utf-8")

    def _retry(self) -> None:
        """At close, after a failure: try the events kept in memory once more."""
        self.failed = None
        while self._pending and self._put(self._pending[0]):
            self._pending.popleft()
        if not self._pending:
            self._report(f"the events file {self.path} is complete again ({self.written} events)")
        else:
            self._report(
                f"the events file {self.path} is INCOMPLETE: it stops after {self.written} "
                f"event(s); {len(self._pending)} later event(s) were lost"
            )
