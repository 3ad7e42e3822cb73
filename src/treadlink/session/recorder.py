"""Session events as JSON lines, flushed as they happen: a crash loses nothing already seen."""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from treadlink.session.events import Event


class EventLog:
    """with EventLog("run.jsonl") as log: session.subscribe(log.write)"""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Line-buffered: each event reaches the OS as soon as its line is complete.
        self._file = self.path.open("a", encoding="utf-8", buffering=1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(self, event: Event) -> None:
        if self._file is None:
            raise RuntimeError("EventLog is not open")
        self._file.write(json.dumps(event.as_json(), separators=(",", ":")) + "\n")
