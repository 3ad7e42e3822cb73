"""`treadlink-sim` refuses bad profile and scenario files with one line and exit 2."""

from __future__ import annotations

import pytest

from tests.support.bombs import ALIAS_BOMB
from tests.support.processes import Run, Write


@pytest.mark.parametrize("option", ["--profile", "--scenario"])
def test_not_utf8(run: Run, write: Write, option: str) -> None:
    path = write("latin1.yaml", b"name: caf\xe9\n")
    result = run(option, str(path), sim=True)
    result.refused(f"treadlink-sim: error: {option[2:]} {path}:1: is not UTF-8 text")


@pytest.mark.parametrize("option", ["--profile", "--scenario"])
def test_deeply_nested(run: Run, write: Write, option: str) -> None:
    path = write("deep.yaml", "[" * 500 + "]" * 500)
    result = run(option, str(path), sim=True)
    result.refused(f"treadlink-sim: error: {option[2:]} {path}:1: nested more than 32 levels")


@pytest.mark.child_process
@pytest.mark.parametrize("option", ["--profile", "--scenario"])
def test_alias_bomb(run: Run, write: Write, option: str) -> None:
    path = write("bomb.yaml", ALIAS_BOMB)
    result = run(option, str(path), sim=True)
    result.refused(f"{path}:2: YAML aliases (*name) are not supported")


def test_huge_file(run: Run, write: Write) -> None:
    path = write("big.yaml", "")
    with path.open("r+b") as f:
        f.truncate(50 * 1024 * 1024)
    run("--scenario", str(path), sim=True).refused(f"{path}: is larger than 256 KiB")


@pytest.mark.parametrize("command", ["scan", "probe"])
def test_bad_profile_for_the_in_process_simulator(run: Run, write: Write, command: str) -> None:
    path = write("latin1.yaml", b"name: caf\xe9\n")
    run(command, "--sim", "--profile", str(path)).refused(
        f"treadlink {command}: profile {path}:1: is not UTF-8 text"
    )
