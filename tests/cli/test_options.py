"""The bounded-number option types the commands share (scan --timeout; run and probe next)."""

from __future__ import annotations

import argparse

import pytest

from treadlink.cli.options import between, bounded


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="t", exit_on_error=False)
    p.add_argument("--seconds", type=bounded(float, 0.5, 60, "s"))
    p.add_argument("--stage", type=bounded(int, 1, 15))
    return p


def test_within_bounds() -> None:
    args = _parser().parse_args(["--seconds", "0.5", "--stage", "15"])
    assert (args.seconds, args.stage) == (0.5, 15)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seconds", "60.01"], "must be a number from 0.5 to 60 s, got '60.01'"),
        (["--seconds=-inf"], "must be a number from 0.5 to 60 s, got '-inf'"),
        (["--seconds", "NaN"], "must be a number from 0.5 to 60 s, got 'NaN'"),
        (["--stage", "1.5"], "must be a whole number from 1 to 15, got '1.5'"),
        (["--stage", "0"], "must be a whole number from 1 to 15, got '0'"),
        (["--stage", "9" * 5000], "must be a whole number from 1 to 15, got '9999"),
    ],
)
def test_out_of_bounds(argv: list[str], message: str) -> None:
    with pytest.raises(argparse.ArgumentError) as caught:
        _parser().parse_args(argv)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 200


def test_help_text() -> None:
    assert between(0.5, 120, "s") == "0.5–120 s"
    assert between(1, 15) == "1–15"
