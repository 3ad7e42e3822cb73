"""What is wrong with an input file, where, and the one exception that carries all of it.

Loading collects every problem it can find before raising, so the runner fixes a file in one pass
instead of one error per run; nothing half-loaded is ever returned. Each domain (plans, config)
raises its own subclass of InputError so a caller can tell which file was at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Self

from treadlink.sources.limits import MAX_EXCERPT_CHARS


def format_path(path: Sequence[str | int]) -> str:
    """`("items", 2, "run")` -> `items[2].run`: how the runner would point at it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{excerpt(part, quote=False)}" if out else excerpt(part, quote=False)
    return out


def excerpt(value: object, *, quote: bool = True) -> str:
    """`value` as an error message shows it: repr'd text (or plain with quote=False), cut short.

    A 200 kB scalar or a 4000-digit number is quoted by its start and its length, never whole:
    the message has to fit on a terminal and say where to look, not repeat the file.
    """
    text = repr(value) if quote or not isinstance(value, str) else value
    if len(text) <= MAX_EXCERPT_CHARS:
        return text
    return f"{text[: MAX_EXCERPT_CHARS - 1]}… ({len(text)} characters)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file: where (file, 1-based line, field path) and what."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class BadInput(ValueError):
    """Input that cannot be used (a file, a setting); its message, line by line, says why.

    The base of every such error, including the simulator's ProfileError and ScenarioError, so a
    command line can report any of them as bad input (exit 2) without knowing each kind.
    """


class InputError(BadInput):
    """An input file or setting that cannot be used; `problems` lists everything wrong."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        unique: list[Problem] = []
        for p in problems:  # the same origin can be reached from many steps: say it once
            if p not in unique:
                unique.append(p)
        if not unique:
            raise ValueError(f"{type(self).__name__} needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(unique)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def of(cls, file: str, message: str, line: int | None = None) -> Self:
        """One problem with the file as a whole (or one line of it)."""
        return cls([Problem(file, line, "", message)])


@contextmanager
def reported_as(error: type[InputError]) -> Iterator[None]:
    """Source errors raised inside come out as `error`, the kind the caller's domain raises."""
    try:
        yield
    except error:
        raise
    except InputError as e:
        raise error(e.problems) from None
