"""argparse types for bounded numbers: finite, within [lo, hi], and an error that says the bounds.

    p.add_argument("--timeout", type=bounded(float, 0.5, 120, "s"),
                   help=f"seconds to wait, {between(0.5, 120, 's')}")

argparse turns the ArgumentTypeError into `treadlink scan: error: argument --timeout: …`, exit 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from treadlink.sources import excerpt


def between(lo: float, hi: float, unit: str = "") -> str:
    """`0.5–120 s`: the bounds as --help writes them."""
    return f"{lo:g}–{hi:g}{' ' + unit if unit else ''}"


def bounded[N: (int, float)](kind: type[N], lo: N, hi: N, unit: str = "") -> Callable[[str], N]:
    """An argparse `type` taking a finite `kind` (int or float) from `lo` to `hi` inclusive."""
    what = "a whole number" if kind is int else "a number"

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:  # not a number, or an int of more than 4300 digits
            value = None
        if value is None or not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be {what} from {lo:g} to {hi:g}{' ' + unit if unit else ''}, "
                f"got {excerpt(text)}"
            )
        return value

    parse.__name__ = what  # argparse names the type in some of its messages
    return parse
