"""Read YAML into plain data plus a map from field paths to 1-based source lines, within bounds.

PyYAML's constructors drop the node marks, so the file is composed into nodes and built here:
that keeps the line of every key and list item, which is what lets a pydantic error location such
as `items.2.run` be reported as `stage.yaml:7`.

Bounded on purpose (docs/decisions/0004-input-limits.md): aliases (`*name`) and merge keys (`<<`)
are refused, because building expands every alias, so 400 bytes of nested aliases make gigabytes;
nesting stops at MAX_DEPTH, checked on the event stream before PyYAML's recursive composer runs.
The file size is bounded by the reader (files.py).

Two YAML 1.1 resolutions are undone on purpose: `3:00` would be the base-60 integer 180 and
`2024-05-01` a date; both are kept as the text the runner wrote, so durations are parsed (and
quoted in error messages) exactly as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from treadlink.sources.files import read_text
from treadlink.sources.limits import MAX_DEPTH
from treadlink.sources.problems import InputError, Problem, excerpt, format_path

_INT: Final = "tag:yaml.org,2002:int"
_FLOAT: Final = "tag:yaml.org,2002:float"
_TIMESTAMP: Final = "tag:yaml.org,2002:timestamp"
_MERGE: Final = "tag:yaml.org,2002:merge"

PathT = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each value of a loaded file came from: file name and path -> 1-based line."""

    file: str
    lines: dict[PathT, int] = field(default_factory=dict)
    labels: dict[PathT, str] = field(default_factory=dict)

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


class _Refused(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


# libyaml when PyYAML was built with it (the wheels are): it scans ~20 times faster, so the largest
# file treadlink reads costs a fraction of a second; the pure-Python loader behaves the same.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_shape(text: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before anything is composed.

    PyYAML's parser is iterative, so this pass cannot recurse however deep the input; the
    composer that runs after it is recursive, and builds the shared node an alias names.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(_line(event), "YAML aliases (*name) are not supported: write it out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(_line(event), f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _line(event: yaml.Event) -> int | None:
    return None if event.start_mark is None else event.start_mark.line + 1


class _Builder:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.loader = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(self, node: yaml.Node, path: PathT) -> Any:
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    self.refuse(
                        key_node, path, "merge keys (<<) are not supported: write the keys out"
                    )
                    continue
                key = self.build_key(key_node, path)
                child = (*path, key)
                if key in out:
                    self.refuse(key_node, child, f"duplicate key {excerpt(key)}")
                    continue
                # A key's own line, not its value's: for `items:` the list starts a line below.
                self.source.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: PathT) -> Any:
        if (node.tag in (_INT, _FLOAT) and ":" in node.value) or node.tag == _TIMESTAMP:
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as e:
            # An explicit tag its constructor refuses (`!!int x`, `!foo`), or a number Python
            # will not convert (more than 4300 digits).
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            self.refuse(
                node, path, f"cannot read {excerpt(node.value)}: {excerpt(problem, quote=False)}"
            )
            return None

    def build_key(self, node: yaml.Node, path: PathT) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, path)
            return (
                value
                if isinstance(value, str | int | float | bool) or value is None
                else str(value)
            )
        return f"<{type(node).__name__} key>"

    def refuse(self, node: yaml.Node, path: PathT, message: str) -> None:
        self.problems.append(
            Problem(self.source.file, node.start_mark.line + 1, format_path(path), message)
        )


def parse_yaml(text: str, file: str, *, allow_empty: bool = False) -> tuple[Any, SourceMap]:
    """Data and source map of one YAML document, or InputError naming the line at fault.

    An empty document (nothing but comments, or nothing) is an error unless `allow_empty`, when
    its data is None.
    """
    source = SourceMap(file)
    loader = None
    try:
        _check_shape(text)
        loader = _Loader(text)
        node = loader.get_single_node()
    except _Refused as e:
        raise InputError.of(file, e.message, e.line) from None
    except yaml.reader.ReaderError as e:
        at = text[: e.position].count("\n") + 1
        char = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        raise InputError.of(file, f"character {char} is not allowed in YAML", at) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = None if mark is None else mark.line + 1
        what = " ".join(filter(None, [e.context, e.problem]))
        raise InputError.of(file, f"YAML syntax error: {what}", line) from None
    except yaml.YAMLError as e:
        raise InputError.of(file, f"YAML error: {excerpt(str(e), quote=False)}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        if allow_empty:
            return None, source
        raise InputError.of(file, "the file is empty")
    builder = _Builder(source)
    data = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    return data, source


def load_yaml(path: Path | str, *, allow_empty: bool = False) -> tuple[Any, SourceMap]:
    """`parse_yaml` of a file read within MAX_FILE_BYTES."""
    return parse_yaml(read_text(path), str(path), allow_empty=allow_empty)
