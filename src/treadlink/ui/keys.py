"""The runner's keys at the laptop, for `treadlink run` on a terminal.

space or Esc: stop the belt now · a: acknowledge a fault · p: pause or resume · s: skip to the
next segment · q or Ctrl-C: stop and end (again, while the stop is unconfirmed: leave anyway).
"""

from __future__ import annotations

import asyncio
import os
import sys
import termios
import tty
from types import TracebackType
from typing import Any, TextIO

from treadlink.session.engine import Session

HELP = (
    "keys: space/Esc STOP · a acknowledge fault · p pause/resume · s skip segment · "
    "q or Ctrl-C stop and quit"
)
_STOP_KEYS = frozenset(b" \x1b")


class RunnerKeys:
    """Reads single keys without Enter while active; restores the terminal on every way out."""

    def __init__(self, session: Session, stream: TextIO = sys.stdin) -> None:
        self.session = session
        self._stream = stream
        self._fd: int | None = None
        self._saved: list[Any] | None = None

    @property
    def active(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RunnerKeys:
        if not self._stream.isatty():
            return self
        fd = self._stream.fileno()
        self._saved = termios.tcgetattr(fd)
        # cbreak keeps Ctrl-C a signal, so the SIGINT handler still stops the belt.
        tty.setcbreak(fd)
        asyncio.get_running_loop().add_reader(fd, self._on_key)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is None:
            return
        asyncio.get_running_loop().remove_reader(self._fd)
        if self._saved is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None

    def _on_key(self) -> None:
        assert self._fd is not None
        for key in os.read(self._fd, 16):
            self.press(key)

    def press(self, key: int) -> None:
        if key in _STOP_KEYS:
            self.session.emergency_stop("runner's key")
        elif key in b"qQ":
            self.session.quit("runner quit")
        elif key in b"aA":
            self.session.acknowledge()
        elif key in b"pP":
            if self.session.paused:
                self.session.resume()
            else:
                self.session.pause("runner's key")
        elif key in b"sS":
            self.session.skip()
