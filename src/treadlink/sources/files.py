"""Read an input file whole, but never more than MAX_FILE_BYTES of it, nor from a device or pipe."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from treadlink.sources.limits import MAX_FILE_BYTES
from treadlink.sources.problems import InputError

NO_SUCH_FILE = "no such file"


def open_regular(path: Path | str) -> BinaryIO:
    """The file opened for reading in binary, or InputError saying why it cannot be used.

    Checked before opening: a FIFO or /dev/zero behind a symlink named stage.yaml must be
    refused, not waited on or read until memory runs out.
    """
    file = str(path)
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise InputError.of(file, "is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise InputError.of(file, "is not a regular file")
        return open(path, "rb")  # the caller closes it
    except FileNotFoundError as e:
        raise InputError.of(file, NO_SUCH_FILE) from e
    except OSError as e:
        raise InputError.of(file, f"cannot be read: {e.strerror}") from e


def read_bytes(path: Path | str) -> bytes:
    """The file's bytes, or InputError saying why it cannot be used."""
    with open_regular(path) as handle:
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as e:
            raise InputError.of(str(path), f"cannot be read: {e.strerror}") from e
    if len(data) > MAX_FILE_BYTES:
        raise InputError.of(
            str(path), f"is larger than {MAX_FILE_BYTES // 1024} KiB, the most treadlink reads"
        )
    return data


def read_text(path: Path | str) -> str:
    """The file's UTF-8 text, or InputError saying why it cannot be used."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError.of(str(path), f"is not UTF-8 text ({e.reason})", line) from None
