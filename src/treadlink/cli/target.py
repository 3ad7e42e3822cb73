"""Options shared by commands that reach a treadmill: `--sim [TRANSPORT]`, `--device ADDR`."""

from __future__ import annotations

import argparse
import sys

from bleak.exc import BleakError

from treadlink.app.connection import DEFAULT_PROFILE, IN_PROCESS, Target
from treadlink.app.connection import radio_for as radio_for_target
from treadlink.ble.protocols import PROTOCOLS
from treadlink.ble.radio import Radio, RadioUnavailable
from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED
from treadlink.cli.options import between, bounded
from treadlink.treadmill.errors import CommandError


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
            "(default: the first treadmill heard, FTMS or FitShow)",
        )
    if device:  # a scan lists every protocol; the others drive one
        parser.add_argument(
            "--protocol",
            choices=PROTOCOLS,
            help="the protocol to drive the treadmill with (default: chosen from what it "
            "shows: FTMS when it has the Fitness Machine Service, FitShow when named FS-… or "
            "NOBLEPRO CONNECT…)",
        )
    parser.add_argument(
        "--profile",
        help=f"with --sim alone: the simulated machine's profile, a name or a file "
        f"(default: {DEFAULT_PROFILE})",
    )


def target_problem(args: argparse.Namespace) -> str | None:
    """Why the target options cannot work together, or None (checked before any radio)."""
    if args.profile is not None and args.sim != IN_PROCESS:
        where = "a real treadmill" if args.sim is None else f"the simulator at {args.sim}"
        return (
            f"--profile is for the simulator in this process (--sim alone); {where} has "
            "its own (give it to treadlink-sim instead)"
        )
    return None


LINK_ERRORS = (BleakError, CommandError, OSError, TimeoutError)
"""What reaching a treadmill can fail with; `link_failure` says each in a sentence."""


def link_failure(command: str, error: BaseException) -> int:
    """Print why the treadmill could not be reached or kept; the exit status to return."""
    print(f"treadlink {command}: {describe_link_error(error)}", file=sys.stderr)
    return (
        EXIT_BAD_INPUT if isinstance(error, RadioUnavailable) and error.bad_input else EXIT_FAILED
    )


def describe_link_error(error: BaseException) -> str:
    """One sentence for a failure of the link itself (the stack's own words kept short)."""
    name = type(error).__name__
    if name == "TransportLostError":
        return (
            "the simulator closed the link: it stopped, or another bridge is already "
            "connected to it"
        )
    if name in ("CommandTimeoutError", "TimeoutError"):
        return "the Bluetooth link stopped answering (the simulator or the adapter is gone)"
    text = str(error) or name
    return text if len(text) <= 300 else text[:300] + "…"


def add_speedup_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--speedup",
        type=bounded(float, 1, 1000),
        default=1.0,
        metavar="N",
        help=f"run {what} N times faster, {between(1, 1000)} (only with --sim; refused on a "
        "real treadmill)",
    )


def speedup_problem(args: argparse.Namespace) -> str | None:
    """Why --speedup cannot be used as given, or None."""
    if args.speedup != 1.0 and args.sim is None:
        return "--speedup is only for the simulator (--sim)"
    return None


def target_of(args: argparse.Namespace) -> Target:
    """The typed target of the options, for the code that connects (see treadlink.app)."""
    return Target(
        sim=args.sim,
        device=getattr(args, "device", None),
        profile=args.profile,
        protocol=getattr(args, "protocol", None),
        speedup=getattr(args, "speedup", 1.0),
        scan_timeout_s=getattr(args, "timeout", 10.0),
    )


def radio_for(args: argparse.Namespace) -> Radio:
    """The radio the options ask for."""
    return radio_for_target(target_of(args))
