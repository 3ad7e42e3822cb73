"""Options shared by commands that reach a treadmill: `--sim [TRANSPORT]`, `--device ADDR`."""

from __future__ import annotations

import argparse
import math

from treadlink.ble.radio import Radio

IN_PROCESS = "in-process"


def add_target_arguments(parser: argparse.ArgumentParser, *, device: bool = True) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--sim",
        nargs="?",
        const=IN_PROCESS,
        metavar="TRANSPORT",
        help="use the simulated treadmill: in this process when given alone, or the standalone "
        "simulator over a bumble transport, e.g. tcp-client:127.0.0.1:7000 (see treadlink-sim)",
    )
    if device:
        group.add_argument(
            "--device",
            metavar="ADDR|NAME",
            help="the treadmill's Bluetooth address, or part of its advertised name "
            "(default: the first FTMS treadmill heard)",
        )
    parser.add_argument(
        "--profile",
        default="noblepro-elite",
        help="with --sim alone: the simulated machine's profile, a name or a file "
        "(default: %(default)s)",
    )


def add_speedup_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--speedup",
        type=float,
        default=1.0,
        metavar="N",
        help=f"run {what} N times faster (only with --sim; refused on a real treadmill)",
    )


def speedup_problem(args: argparse.Namespace) -> str | None:
    """Why --speedup cannot be used as given, or None."""
    if args.speedup != 1.0 and args.sim is None:
        return "--speedup is only for the simulator (--sim)"
    if not (math.isfinite(args.speedup) and args.speedup > 0):
        return "--speedup must be a positive number"
    return None


def radio_for(args: argparse.Namespace, **simulator_options: object) -> Radio:
    """The radio the options ask for. The Bluetooth stacks are imported only when needed."""
    if args.sim is None:
        from treadlink.ble.native import NativeRadio

        return NativeRadio()
    from treadlink.ble.bumble.radio import BumbleRadio

    if args.sim == IN_PROCESS:
        return BumbleRadio(None, **{"profile": args.profile, **simulator_options})
    return BumbleRadio(args.sim)
