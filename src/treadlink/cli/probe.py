"""`treadlink probe`: a treadmill checker. Connects, says which protocol it speaks (FTMS or
FitShow) and why, prints what the treadmill is and can do, then a live telemetry line. Sends no
command: probing never moves the belt (a FitShow console is asked for its status, as it must be
to say anything)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from treadlink.ble.link import Link
from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from treadlink.cli.options import between, bounded
from treadlink.cli.output import ReaderGone, say
from treadlink.cli.target import (
    LINK_ERRORS,
    add_target_arguments,
    link_failure,
    radio_for,
    target_problem,
)
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.state import Telemetry, TreadmillEvent, TreadmillState


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "probe",
        help="check a treadmill (FTMS or FitShow) and show what it reports",
        description="Connect to a treadmill, say which protocol it speaks and why, print its "
        "device information, features and supported ranges, then show its telemetry live. "
        "Sends no command.",
    )
    add_target_arguments(p)
    p.add_argument(
        "--seconds",
        type=bounded(float, 0, 3600, "s"),
        default=5.0,
        help=f"how long to show live telemetry, {between(0, 3600, 's')} "
        "(default: %(default)g; 0 for none)",
    )
    p.add_argument(
        "--timeout",
        type=bounded(float, 0.5, 120, "s"),
        default=10.0,
        help=f"how long to look for the treadmill, {between(0.5, 120, 's')} (default: 10)",
    )
    p.set_defaults(handler=lambda args: asyncio.run(probe(args)))


def telemetry_line(state: TreadmillState) -> str:
    def show(value: float | int | None, fmt: str) -> str:
        return "—" if value is None else format(value, fmt)

    return (
        f"speed {show(state.speed_kmh, '5.2f')} km/h  incline {show(state.incline_pct, '4.1f')} %  "
        f"distance {show(state.distance_m, 'd')} m  elapsed {show(state.elapsed_time_s, 'd')} s  "
        f"HR {show(state.heart_rate_bpm, 'd')}"
    )


async def probe(args: argparse.Namespace) -> int:
    problem = target_problem(args)
    if problem is not None:
        print(f"treadlink probe: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        async with radio_for(args) as radio:
            device = await radio.find_treadmill(args.device, timeout=args.timeout)
            say(f"device     {device.name or '?'} ({device.address})")
            async with Link(device, backend=radio.client_backend, protocol=args.protocol) as link:
                say(f"protocol   {link.protocol}: {link.why}")
                describe(link.treadmill)
                if args.seconds > 0:
                    await show_live(link.treadmill, args.seconds)
    except LINK_ERRORS as e:
        return link_failure("probe", e)
    return EXIT_OK


def describe(treadmill: Treadmill) -> None:
    capabilities = treadmill.capabilities
    assert capabilities is not None, "describe() needs a connected treadmill"
    info = capabilities.info
    rows = [
        ("maker", info.manufacturer),
        ("model", info.model),
        ("serial", info.serial),
        ("firmware", info.firmware_revision),
        ("software", info.software_revision),
        ("hardware", info.hardware_revision),
    ]
    for label, value in rows:
        say(f"{label:<10} {value or '—'}")
    for label, value in treadmill.details():
        say(f"{label:<10} {value}")
    say(f"speed      {treadmill.speed_range}")
    say(f"incline    {treadmill.incline_range or 'not adjustable'}")


async def show_live(treadmill: Treadmill, seconds: float) -> None:
    live = sys.stdout.isatty()
    last_print = -1.0
    reader_gone = asyncio.Event()

    def on_event(event: TreadmillEvent) -> None:
        nonlocal last_print
        if not isinstance(event, Telemetry) or reader_gone.is_set():
            return
        try:
            if live:
                say("\r" + telemetry_line(event.state), end="", flush=True)
            elif event.at - last_print >= 1.0:  # a log or a pipe gets a line a second
                last_print = event.at
                say(telemetry_line(event.state), flush=True)
        except ReaderGone:
            reader_gone.set()  # `probe | head`: nobody reads the rest

    unsubscribe = treadmill.subscribe(on_event)
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await reader_gone.wait()
    finally:
        unsubscribe()
        if live and not reader_gone.is_set():
            say()
    if reader_gone.is_set():
        raise ReaderGone  # not an OSError: no link failure to report
