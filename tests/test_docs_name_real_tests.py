"""docs/safety.md maps every promise to the test that fails without it: each test it names must
exist, or the promise is held by nothing. (A test moved or renamed without the doc following it
fails here.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
DOCS = [ROOT / "docs" / "safety.md"]

# `tests/a/test_b.py::test_c`, `test_b.py::test_c[param]`, and `::test_d` for the file just named.
REFERENCE = re.compile(r"`((?:tests/[\w/]+/)?test_\w+\.py)?(?:::(test_\w+))?(?:\[[^\]`]*\])?`")


def defined(path: Path, name: str) -> bool:
    return re.search(rf"^\s*(async\s+)?def {name}\(", path.read_text(), re.M) is not None


def find(file: str) -> list[Path]:
    if file.startswith("tests/"):
        path = ROOT / file
        return [path] if path.exists() else []
    return sorted(TESTS.rglob(file))


def test_every_test_the_safety_doc_names_exists() -> None:
    missing = []
    for doc in DOCS:
        last: list[Path] = []
        for match in REFERENCE.finditer(doc.read_text()):
            file, name = match.group(1), match.group(2)
            if file is not None:
                last = find(file)
                if not last:
                    missing.append(f"{doc.name}: no file {file}")
                    continue
            if name is not None and not any(defined(p, name) for p in last):
                where = ", ".join(str(p.relative_to(ROOT)) for p in last) or "no file"
                missing.append(f"{doc.name}: no test {name} in {where}")
    assert not missing, "\n".join(missing)
