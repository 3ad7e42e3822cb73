"""argparse types for bounded numbers: finite, within [lo, hi], and an error that says the bounds.

    p.add_argument("--timeout", type=bounded_float(0.5, 120), help=f"seconds ({between(0.5, 120)})")

argparse turns the ArgumentTypeError into `treadlink scan: error: argument --timeout: …`, exit 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from treadlink.sources import excerpt


def between(lo: float, hi: float, unit: str = "") -> str:
    """`0.5–120 s`: the bounds as --help and the error message write them."""
    return f"{lo:g}–{hi:g}{' ' + unit if unit else ''}"


def bounded_float(lo: float, hi: float, unit: str = "") -> Callable[[str], float]:
    """An argparse `type` taking a finite number from `lo` to `hi` inclusive."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be a number from {lo:g} to {hi:g}{' ' + unit if unit else ''}, "
                f"got {excerpt(text)}"
            )
        return value

    parse.__name__ = "number"  # argparse names the type in some messages
    return parse


def bounded_int(lo: int, hi: int, unit: str = "") -> Callable[[str], int]:
    """An argparse `type` taking a whole number from `lo` to `hi` inclusive."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = lo - 1
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {lo} to {hi}{' ' + unit if unit else ''}, "
                f"got {excerpt(text)}"
            )
        return value

    parse.__name__ = "whole number"
    return parse
