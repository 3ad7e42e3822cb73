"""Start `treadlink` before the simulator, and tell it the simulator's transport spec once its
imports are done (tests/support/treadlink_when_ready.py explains why)."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

LAUNCHER = Path(__file__).with_name("treadlink_when_ready.py")


def waiting_treadlink(fifo: Path, *argv: str) -> list[str]:
    """The command line of `treadlink ARGV --sim SPEC`, SPEC read from `fifo` (made here).
    -X faulthandler: a treadlink that hangs is sent SIGABRT and shows where."""
    os.mkfifo(fifo)
    return [sys.executable, "-X", "faulthandler", str(LAUNCHER), str(fifo), *argv]


def writer_once_waiting(fifo: Path) -> int | None:
    """The writing end of `fifo` once treadlink has opened it (its imports done), else None."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ENXIO:  # no reader yet
            return None
        raise


def tell(writer: int, spec: str) -> None:
    """Give the waiting treadlink the simulator's spec: it connects now."""
    os.write(writer, spec.encode())
    os.close(writer)
