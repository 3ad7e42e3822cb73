"""Standard output whose reader may leave early (`treadlink history | head`).

A reader that has read enough and closed the pipe is not an error of ours: the command ends
quietly with EXIT_READER_GONE. `ReaderGone` is how a command ends on it from a place that catches
OSError for its own reasons (a Bluetooth link fails with OSError too).
"""

from __future__ import annotations

import contextlib
import os
import sys


class ReaderGone(Exception):
    """Standard output was closed by its reader."""


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's own flush at exit finds no
    closed pipe to complain about."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def flushed() -> bool:
    """Flush standard output; False (and silenced) if its reader has gone."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return False
    return True


def say(text: str = "", *, end: str = "\n", flush: bool = False) -> None:
    """print() to standard output for a command that must tell a closed pipe from its own
    OSErrors: a reader that has gone raises ReaderGone."""
    try:
        print(text, end=end, flush=flush)
    except BrokenPipeError:
        raise ReaderGone from None
