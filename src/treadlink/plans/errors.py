"""One exception for every way a workout file can be wrong, carrying all of its problems.

Loading collects every problem it can find before raising, so the runner fixes a file in one pass
instead of one error per run; nothing half-loaded is ever returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Path_ = tuple[str | int, ...]


def format_path(path: Sequence[str | int]) -> str:
    """`("items", 2, "run")` -> `items[2].run`: how the runner would point at it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


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


class PlanError(ValueError):
    """A workout, plan or config file that cannot be used; `problems` lists everything wrong."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        unique: list[Problem] = []
        for p in problems:  # the same origin can be reached from many steps: say it once
            if p not in unique:
                unique.append(p)
        if not unique:
            raise ValueError("PlanError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(unique)
        super().__init__("\n".join(str(p) for p in self.problems))
