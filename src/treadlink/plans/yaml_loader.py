"""Read YAML into plain data plus a map from field paths to 1-based source lines.

PyYAML's constructors drop the node marks, so the file is composed into nodes and built here:
that keeps the line of every key and list item, which is what lets a pydantic error location such
as `items.2.run` be reported as `stage.yaml:7`.

Two YAML 1.1 resolutions are undone on purpose: `3:00` would be the base-60 integer 180 and
`2024-05-01` a date; both are kept as the text the runner wrote, so durations are parsed (and
quoted in error messages) exactly as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from treadlink.plans.errors import PlanError, Problem, format_path

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each value of a loaded file came from: file name and path -> 1-based line."""

    file: str
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    labels: dict[tuple[str | int, ...], str] = field(default_factory=dict)

    def line_for(self, path: Sequence[str | int]) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        key = tuple(path)
        while True:
            if key in self.lines:
                return self.lines[key]
            if not key:
                return None
            key = key[:-1]

    def describe(self, path: Sequence[str | int]) -> str:
        """How to name `path` to the author: `items[2].run`, or a label such as the Zwift element
        a step came from (`SteadyState (line 12)` means more than `items[3]` in a .zwo)."""
        key = tuple(path)
        for n in range(len(key), -1, -1):
            if key[:n] in self.labels:
                rest = format_path(key[n:])
                label = self.labels[key[:n]]
                return f"{label}.{rest}" if rest and not rest.startswith("[") else label + rest
        return format_path(key)

    def problem(self, path: Sequence[str | int], message: str, shown: str | None = None) -> Problem:
        where = self.describe(path) if shown is None else shown
        return Problem(self.file, self.line_for(path), where, message)


class _Builder:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self._scalars = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(self, node: yaml.Node, path: tuple[str | int, ...]) -> Any:
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build_scalar_key(key_node)
                child = (*path, key)
                if key in out:
                    self.problems.append(
                        Problem(
                            self.source.file,
                            key_node.start_mark.line + 1,
                            format_path(child),
                            f"duplicate key {key!r}",
                        )
                    )
                    continue
                # A key's own line, not its value's: for `items:` the list starts a line below.
                self.source.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if (node.tag in (_INT, _FLOAT) and ":" in node.value) or node.tag == _TIMESTAMP:
            return node.value
        return self._scalars.construct_object(node, deep=True)

    def build_scalar_key(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value = self._scalars.construct_object(node)
            return (
                value
                if isinstance(value, str | int | float | bool) or value is None
                else str(value)
            )
        return f"<{type(node).__name__} key>"


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Data and source map of one YAML document, or PlanError naming the line of a syntax error."""
    source = SourceMap(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = None if mark is None else mark.line + 1
        what = " ".join(filter(None, [e.context, e.problem]))
        raise PlanError([Problem(file, line, "", f"YAML syntax error: {what}")]) from e
    except yaml.YAMLError as e:
        raise PlanError([Problem(file, None, "", f"YAML error: {e}")]) from e
    if node is None:
        raise PlanError([Problem(file, None, "", "the file is empty")])
    builder = _Builder(source)
    try:
        data = builder.build(node, ())
    except yaml.YAMLError as e:  # a scalar with an explicit tag its constructor refuses
        mark = getattr(e, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise PlanError([Problem(file, line, "", f"YAML error: {e}")]) from e
    if builder.problems:
        raise PlanError(builder.problems)
    return data, source


def read_text(path: Path) -> str:
    """The file's text, or PlanError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise PlanError([Problem(str(path), None, "", "no such file")]) from e
    except IsADirectoryError as e:
        raise PlanError([Problem(str(path), None, "", "is a directory, not a file")]) from e
    except UnicodeDecodeError as e:
        raise PlanError([Problem(str(path), None, "", f"is not UTF-8 text ({e.reason})")]) from e
    except OSError as e:
        raise PlanError([Problem(str(path), None, "", f"cannot be read: {e.strerror}")]) from e


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    return parse_yaml(read_text(path), str(path))
