"""The bounded YAML reader gives the same answers with libyaml and with PyYAML's pure Python."""

from __future__ import annotations

import pytest
import yaml

from treadlink.sources import InputError, parse_yaml, yaml_source

LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])]


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "_Loader", request.param)


def _problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "f.yaml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: &x 1\nb: *x\n", "f.yaml:2: YAML aliases (*name) are not supported: write it out"),
        ("[" * 33 + "]" * 33, "f.yaml:1: nested more than 32 levels deep"),
        ("a:\n" + "".join(f"{'  ' * i}- \n" for i in range(1, 40)), "f.yaml:33: nested more"),
        ("a: {<<: {b: 1}}\n", "f.yaml:1: a: merge keys (<<) are not supported: write the keys out"),
        ("a: 1\nb: [2\n", "f.yaml:3: YAML syntax error"),
        ("a: 1\n\x01\n", "f.yaml:2: character U+0001 is not allowed in YAML"),
        ("a: !!int x\n", "f.yaml:1: a: cannot read 'x'"),
        ("a: 1\na: 2\n", "f.yaml:2: a: duplicate key 'a'"),
        ("# nothing\n", "f.yaml: the file is empty"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2: YAML syntax error"),
    ],
)
def test_refused(text: str, problem: str) -> None:
    [got] = _problems(text)
    assert got.startswith(problem), got


@pytest.mark.usefixtures("loader")
def test_lines_and_text_kept() -> None:
    data, source = parse_yaml("a: 3:00\nb:\n  - 2024-05-01\n  - {c: 1.5}\n", "f.yaml")
    assert data == {"a": "3:00", "b": ["2024-05-01", {"c": 1.5}]}
    assert [source.line_for(p) for p in [("a",), ("b", 0), ("b", 1, "c")]] == [1, 3, 4]
    assert parse_yaml("", "f.yaml", allow_empty=True)[0] is None
