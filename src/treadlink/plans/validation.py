"""Validate loaded data against a model; turn pydantic's errors into file:line problems."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from treadlink.plans.errors import PlanError, Problem
from treadlink.plans.model import KEYS
from treadlink.sources import SourceMap, excerpt, format_path


def validate[M: BaseModel](model: type[M], kind: str, data: Any, source: SourceMap) -> M:
    """`model` validated from `data`, or PlanError listing every problem with its line."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = [_problem(err, kind, data, source) for err in e.errors()]
        problems.sort(key=lambda p: p.line or 0)
        raise PlanError(problems) from None


def data_path(
    data: Any, loc: tuple[str | int, ...], *, missing: bool = False
) -> tuple[str | int, ...]:
    """The part of a pydantic location that names keys and indexes of `data`.

    Locations also hold union tags and keys we add when expanding shorthands (`run: 0:30` is
    validated as `run: {for: 0:30}`); those are not in the file, so they are dropped. A missing
    key (`missing=True`) is kept as the last part, so "missing 'items'" still names it.
    """
    path: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        # Two branches, not one `or`: each narrows `part` for its own container type.
        if isinstance(current, dict) and part in current:  # noqa: SIM114
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif missing and isinstance(current, dict) and i == len(loc) - 1:
            current = None
        else:
            continue
        path.append(part)
    return tuple(path)


def _mapping_kind(loc: tuple[str | int, ...], root: str) -> str:
    """Which kind of mapping holds the last key of `loc`, for the list of keys it accepts."""
    before = loc[-2] if len(loc) >= 2 else None
    if before in ("segment", "repeat-block") or (root == "plan" and before in KEYS):
        return str(before)
    if before in ("walk", "run"):
        return "end"
    if isinstance(before, int) and len(loc) >= 3 and loc[-3] == "cues":
        return "cue"
    return root


def _shown(value: Any) -> str:
    return excerpt(value, quote=False)


def _problem(err: ErrorDetails, root: str, data: Any, source: SourceMap) -> Problem:
    loc = tuple(err["loc"])
    kind, value = err["type"], err.get("input")
    path = data_path(data, loc, missing=kind == "missing")
    if kind == "extra_forbidden":
        allowed = ", ".join(KEYS[_mapping_kind(loc, root)])
        message = f"unknown key {excerpt(loc[-1])} (allowed: {allowed})"
    elif kind == "missing":
        message = f"missing required key {excerpt(loc[-1])}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"expected a mapping (like `walk: 3:00`), got {_shown(value)}"
    elif kind == "plan":
        message = err["msg"]
    else:
        message = err["msg"].removeprefix("Value error, ")
        if not isinstance(value, dict | list):
            message += f", got {_shown(value)}"
    return Problem(source.file, source.line_for(path), source.describe(path), message)


__all__ = ["data_path", "format_path", "validate"]
