"""The repository explains itself: nothing in it cites the design brief, which lives outside it.
The safety contract is docs/safety.md's; a module's reasons are in its own docs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = "".join(("DESIGN", ".md"))  # spelled apart, also in its bytecode, so as not to cite it
WHERE = ("src", "simulators", "tests", "docs", "benchmarks", "workouts")


def test_nothing_cites_the_design_brief() -> None:
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    # Bytecode caches are written (as X.pyc.NNN, then renamed) while the suite runs: not ours.
    files += [
        f
        for place in WHERE
        for f in (ROOT / place).rglob("*")
        if "__pycache__" not in f.parts and f.is_file()
    ]
    citing = [
        str(f.relative_to(ROOT))
        for f in files
        if f.suffix not in {".png", ".svg", ".sqlite3"}
        and OUTSIDE in f.read_text(encoding="utf-8", errors="replace")
    ]
    assert not citing, f"cite docs/safety.md or the module's own docs instead: {citing}"
