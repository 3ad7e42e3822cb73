"""`treadlink run` when stdout is not a terminal, or with --plain: a line per event, no screen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from treadlink.ui.commands import HELP, KEYS, action_for_char
from treadlink.ui.screen import wants_screen

pytestmark = pytest.mark.slow

STAGE = 'name: "Plain check"\nitems:\n  - walk: 0:30\n    cue: "Easy walk"\n'


@pytest.mark.parametrize("extra", [[], ["--plain"]])
def test_plain_lines_when_stdout_is_not_a_terminal(tmp_path: Path, extra: list[str]) -> None:
    (tmp_path / "stage.yaml").write_text(STAGE)
    done = subprocess.run(
        [sys.executable, "-m", "treadlink.cli", "run", "stage.yaml", "--sim", "--speedup", "30",
         *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "segment 1: walk 0:30 at 5.5 km/h, incline 1 % — Easy walk" in done.stdout
    assert "session completed: 1 segments" in done.stdout
    assert "\x1b" not in done.stdout  # no terminal codes in a pipe


def test_the_screen_only_on_a_terminal(tmp_path: Path) -> None:
    with (tmp_path / "out").open("w") as not_a_terminal:
        assert not wants_screen(False, not_a_terminal, not_a_terminal)
        assert not wants_screen(True, sys.__stdout__, sys.__stdin__)  # type: ignore[arg-type]


def test_one_key_table_for_both_key_readers() -> None:
    assert action_for_char(ord(" ")) == action_for_char(0x1B) == "stop"
    assert action_for_char(ord("a")) == "acknowledge"
    assert action_for_char(ord("-")) == "slower" and action_for_char(ord("+")) == "faster"
    assert action_for_char(ord("x")) is None
    assert all(k.label in HELP for k in KEYS)
