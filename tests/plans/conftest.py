"""Helpers for the plan tests: write a file, load it, and read the problems back."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from treadlink.config import RunnerProfile
from treadlink.plans import PlanError, Programme, Timeline, load_workout


@pytest.fixture
def profile() -> RunnerProfile:
    return RunnerProfile()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


ProblemsOf = Callable[..., list[str]]


def _problems_of(path: Path, profile: RunnerProfile | None = None) -> list[str]:
    """Every problem of a file that must fail to load, as printed."""
    with pytest.raises(PlanError) as caught:
        load_workout(path, profile or RunnerProfile())
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def problems_of() -> ProblemsOf:
    return _problems_of


@pytest.fixture
def load() -> Callable[..., Timeline]:
    def load(path: Path, profile: RunnerProfile | None = None) -> Timeline:
        result = load_workout(path, profile or RunnerProfile())
        assert not isinstance(result, Programme)
        return result

    return load
