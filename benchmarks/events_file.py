"""What a `treadlink run --events FILE` child has done so far, read from its events file.

The events file is the run's stable record (one JSON object per line, `"event"` naming its kind:
README, `--events`); the lines it prints are for the runner and change with the wording. The file
is written line by line by a thread of the child's own and flushed at each line, so polling it
every few milliseconds sees an event within that much of its writing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

POLL_S = 0.005


class EventsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: Counter[str] = Counter()
        self._offset = 0
        self._partial = ""

    def read(self) -> None:
        """Count the events written since the last read (a line still being written waits)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as f:
            f.seek(self._offset)
            chunk = f.read()
            self._offset = f.tell()
        lines = (self._partial + chunk).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if line:
                self.seen[json.loads(line)["event"]] += 1

    async def until(
        self,
        kind: str,
        count: int = 1,
        *,
        within_s: float,
        meanwhile: Callable[[], None] | None = None,
        every_s: float = 0.5,
        gone: Callable[[], str | None] = lambda: None,
    ) -> None:
        """Return once `count` events of `kind` were written. Call `meanwhile` every `every_s`
        while waiting (a key pressed again); RuntimeError after `within_s`, or at once when
        `gone()` says why the run can no longer write it (it exited)."""
        deadline = time.monotonic() + within_s
        next_call = 0.0
        while True:
            self.read()
            if self.seen[kind] >= count:
                return
            now = time.monotonic()
            if (why := gone()) is not None:
                self.read()
                if self.seen[kind] >= count:
                    return
                raise RuntimeError(f"no {kind} #{count}: {why} (events so far: {self.summary()})")
            if now > deadline:
                raise RuntimeError(
                    f"no {kind} #{count} within {within_s:g} s (events so far: {self.summary()})"
                )
            if meanwhile is not None and now >= next_call:
                meanwhile()
                next_call = now + every_s
            await asyncio.sleep(POLL_S)

    def summary(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in self.seen.items() if kind != "telemetry")
