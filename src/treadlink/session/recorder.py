"""Session events as JSON lines, written by a thread of their own as they happen.

    with EventLog("run.jsonl", on_problem=print) as log:   # opened and checked here
        session.subscribe(log.write)                        # never blocks the event loop

`write` only appends to memory, so no disk (slow, full, gone) ever delays the guard or the plan.
The writer thread (a treadlink.drain.Drain) writes and flushes each line. When the disk fails,
the file is cut back to its last whole line, the runner is told once where the record stops, and
every later event is kept in memory; at close it is tried once more, in case the disk has
recovered.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Self

from treadlink.drain import AfterFailure, Drain
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
        # After a failure nothing more is written by the thread: close() tries once more.
        self._drain: Drain[str] = Drain(
            self._write_lines,
            name="treadlink-events",
            after_failure=AfterFailure.HOLD,
            on_failure=self._tell,
        )
        self.written = 0  # events safely on disk
        self.failed: str | None = None  # why the disk stopped taking them

    def __enter__(self) -> Self:
        """Open for appending now, so a bad path is an error before any radio is opened. A
        missing folder is an error too: more often a typo than a wish."""
        self._file = self.path.open("a", encoding="utf-8")
        self._good_size = self._file.tell()
        self._drain.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, event: Event) -> None:
        """Queue one event; safe to call from the event loop, never blocks on the disk."""
        line = json.dumps(event.as_json(), separators=(",", ":"), allow_nan=False) + "\n"
        self._drain.put(line)

    def close(self) -> None:
        held = self._drain.close()
        if held:
            self._retry(held)
        if self._file is not None:
            self._file.close()
            self._file = None

    # --- on the writer thread ------------------------------------------------------------------
    def _write_lines(self, lines: list[str]) -> None:
        for line in lines:
            self._put(line)

    def _put(self, line: str) -> None:
        assert self._file is not None
        try:
            self._file.write(line)
            self._file.flush()
        except OSError as e:
            self.failed = e.strerror or str(e)
            self._cut_back()
            raise
        self._good_size += len(line.encode("utf-8"))
        self.written += 1

    def _tell(self, error: Exception) -> None:
        self.failed = self.failed or str(error)
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

    # --- at close ------------------------------------------------------------------------------
    def _retry(self, held: list[str]) -> None:
        """After a failure: try the events kept in memory once more."""
        self.failed = None
        left = len(held)
        for line in held:
            try:
                self._put(line)
            except OSError:
                break
            left -= 1
        if not left:
            self._report(f"the events file {self.path} is complete again ({self.written} events)")
        else:
            self._report(
                f"the events file {self.path} is INCOMPLETE: it stops after {self.written} "
                f"event(s); {left} later event(s) were lost"
            )
