"""The runner's keys for `treadlink run --plain` on a terminal: single keys without Enter.

q or Ctrl-C stops and ends; pressed again while the stop is unconfirmed, it leaves anyway. The
full-screen display reads keys through textual instead; both use the table in
`treadlink.ui.commands`, so a key means the same thing in either.
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
from treadlink.ui.commands import HELP, RunnerCommands, action_for_char

__all__ = ["HELP", "RunnerKeys"]


class RunnerKeys:
    """Reads single keys without Enter while active; restores the terminal on every way out."""

    def __init__(self, session: Session, stream: TextIO = sys.stdin) -> None:
        self.commands = RunnerCommands(session)
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
        # A refusal is shown by the line printer, from the session's `refused` event.
        action = action_for_char(key)
        if action is not None:
            self.commands.run(action)
