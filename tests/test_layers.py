"""The layers only look down: ftms, fitshow -> ble -> safety -> session -> ui / mqtt / cli.

Read from the source with `ast`, so an import added anywhere in a module (even inside a
function) is caught. The simulator is its own package: treadlink reaches it only through the
in-process test rig of the bumble radio.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "treadlink"

# package -> what it must never import (the layers above it, and its siblings' front ends).
FORBIDDEN: dict[str, set[str]] = {
    # The one treadmill interface, at the very bottom, and the protocol drivers above it.
    "treadmill": {
        "ftms",
        "fitshow",
        "app",
        "ble",
        "safety",
        "session",
        "ui",
        "mqtt",
        "cli",
        "records",
        "plans",
        "config",
    },
    **{
        driver: {
            "app",
            "ble",
            "safety",
            "session",
            "ui",
            "mqtt",
            "cli",
            "records",
            "plans",
            "config",
        }
        for driver in ("ftms", "fitshow")
    },
    "ble": {"app", "safety", "session", "ui", "mqtt", "cli", "records", "plans", "config"},
    "safety": {"app", "session", "ui", "mqtt", "cli", "records", "plans", "config"},
    "session": {"app", "ui", "mqtt", "cli"},
    "app": {"ui", "mqtt", "cli"},
    "records": {"app", "ui", "mqtt", "cli"},
    "plans": {"app", "ble", "safety", "session", "ui", "mqtt", "cli", "records"},
    "config": {"plans", "ble", "safety", "session", "ui", "mqtt", "cli", "records"},
    "sources": {"plans", "config", "ftms", "ble", "safety", "session", "ui", "mqtt", "cli"},
}


def imported(path: Path) -> set[str]:
    """`treadlink.X` for every `import treadlink.X...` / `from treadlink.X... import` in a file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "treadlink" and len(parts) > 1:
                found.add(parts[1])
            if parts[0] == "treadlink_sim":
                found.add("treadlink_sim")
    return found


def modules_of(package: str) -> list[Path]:
    single = SRC / f"{package}.py"
    return [single] if single.exists() else sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_ones_above_it(package: str) -> None:
    wrong = {
        f"{path.relative_to(SRC)} imports treadlink.{name}"
        for path in modules_of(package)
        for name in imported(path) & FORBIDDEN[package]
    }
    assert not wrong, sorted(wrong)


def test_only_the_test_rig_reaches_into_the_simulator() -> None:
    users = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "treadlink_sim" in imported(path)
    }
    assert users <= {"ble/bumble/radio.py"}, users
