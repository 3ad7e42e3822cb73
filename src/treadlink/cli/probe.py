"""`treadlink probe` (not written yet)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("probe", help="(not written yet)")
    p.set_defaults(handler=lambda _args: 1)
