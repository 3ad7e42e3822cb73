"""`treadlink scan`: list the treadmills in reach, with the protocol each speaks and why."""

from __future__ import annotations

import argparse
import asyncio
import sys

from treadlink.ble.radio import Sighting
from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from treadlink.cli.options import between, bounded
from treadlink.cli.target import (
    LINK_ERRORS,
    add_target_arguments,
    link_failure,
    radio_for,
    target_problem,
)

# Long enough for a treadmill advertising once a second, short enough that a typo is not a hang.
TIMEOUT_S = (0.5, 120.0)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scan",
        help="list nearby treadmills (FTMS or FitShow)",
        description="Listen for Bluetooth advertisements and list the treadmills heard: FTMS "
        "ones (the Fitness Machine Service, 0x1826) and FitShow consoles (named FS-… or "
        "NOBLEPRO CONNECT…), each with the protocol it speaks and why.",
    )
    add_target_arguments(p, device=False)
    p.add_argument(
        "--timeout",
        type=bounded(float, *TIMEOUT_S, "s"),
        default=5.0,
        metavar="SECONDS",
        help=f"how long to listen, {between(*TIMEOUT_S, 's')} (default: %(default)g)",
    )
    p.add_argument(
        "--all", action="store_true", help="list every device heard, not only treadmills"
    )
    p.set_defaults(handler=lambda args: asyncio.run(scan(args)))


def describe(s: Sighting) -> str:
    if s.ftms and not s.treadmill:
        kind = "FTMS machine, not a treadmill"
    else:
        kind = s.protocol or "not a treadmill treadlink knows"
    return f"{s.device.address}  {s.rssi:4d} dBm  {s.name or '?':<24} {kind}"


async def scan(args: argparse.Namespace) -> int:
    problem = target_problem(args)
    if problem is not None:
        print(f"treadlink scan: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        async with radio_for(args) as radio:
            print(f"listening for {args.timeout:g} s…", file=sys.stderr)
            sightings = await radio.scan(args.timeout)
    except LINK_ERRORS as e:
        return link_failure("scan", e)
    shown = [s for s in sightings if args.all or s.ftms or s.fitshow]
    for s in shown:
        print(describe(s))
    if not shown:
        print("no treadmill heard (FTMS, or a FitShow console)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
