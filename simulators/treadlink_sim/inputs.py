"""The simulator's input files (profiles, scenarios) read like treadlink's own: bounded in size,
nesting and aliases, UTF-8 or refused, and every failure one line for `treadlink-sim: error:`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from treadlink.sources import InputError, load_yaml, parse_yaml


def read_yaml(path: Path | str, error: type[Exception], what: str) -> Any:
    """The data of a YAML file (None if empty), or `error("<what> <file>:<line>: …")`."""
    with _one_line(error, what):
        return load_yaml(path, allow_empty=True)[0]


def parse_yaml_text(text: str, origin: str, error: type[Exception], what: str) -> Any:
    """`read_yaml` of text already read (a shipped file)."""
    with _one_line(error, what):
        return parse_yaml(text, origin, allow_empty=True)[0]


@contextmanager
def _one_line(error: type[Exception], what: str) -> Iterator[None]:
    try:
        yield
    except InputError as e:
        raise error(f"{what} " + "; ".join(str(p) for p in e.problems)) from None
