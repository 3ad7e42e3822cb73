"""README's command tables list every option `treadlink COMMAND --help` shows, and every choice
of the options that take one: read from argparse's own parser, so an option added to a command
and not to README fails here by the command's and the option's name."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from treadlink.cli import COMMANDS, build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def commands() -> dict[str, argparse.ArgumentParser]:
    """`treadlink` itself ("") and each sub-command, as argparse builds them."""
    parser = build_parser()
    found = {"": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def shown(parser: argparse.ArgumentParser) -> list[str]:
    """What README must say of each option `--help` shows: its long name (or its short one when
    it has none; both names of a --x/--no-x pair), followed by its metavar when it names one
    (`--device ADDR|NAME`), and its choices."""
    wanted: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        names = [o for o in action.option_strings if o.startswith("--")] or action.option_strings
        if isinstance(action.metavar, str):
            optional = "[" if action.nargs == "?" else ""
            names = [f"{name} {optional}{action.metavar}" for name in names]
        wanted += names
        wanted += [str(choice) for choice in action.choices or ()]
    return wanted


def table_rows() -> dict[str, str]:
    """First cell of every README table row that names a command: `treadlink run …` -> `run`."""
    rows: dict[str, str] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = re.split(r"(?<!\\)\|", line)
        if len(cells) < 3:
            continue
        synopsis = cells[1].strip().strip("`").replace("\\|", "|")
        named = re.match(r"treadlink(?: (?P<command>[a-z]+))?(?:\s|$)", synopsis)
        if named:
            command = named["command"] if named["command"] in COMMANDS else ""
            rows[command] = rows.get(command, "") + " " + synopsis
    return rows


def mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_option_is_in_readme(command: str) -> None:
    rows = table_rows()
    name = f"treadlink {command}".strip()
    assert command in rows, f"README has no table row for `{name}`"
    missing = [
        option for option in shown(commands()[command]) if not mentions(rows[command], option)
    ]
    assert not missing, f"README's row for `{name}` lacks {', '.join(missing)}"
