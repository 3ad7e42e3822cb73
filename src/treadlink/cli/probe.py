"""`treadlink probe`: a treadmill checker. Connects, says which protocol it speaks (FTMS or
FitShow) and why, prints what the treadmill is and can do, then a live telemetry line. Sends no
command: probing never moves the belt (a FitShow console is asked for its status, as it must be
to say anything).

`--record FILE` writes a trace of it all (docs/trace.md); `--replay FILE` decodes one instead of
connecting (treadlink.cli.replay)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from treadlink.ble.link import Link
from treadlink.ble.trace.format import TraceError
from treadlink.ble.trace.recorder import TraceRecorder
from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from treadlink.cli.options import between, bounded
from treadlink.cli.output import ReaderGone, say
from treadlink.cli.replay import replay
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
    trace = p.add_mutually_exclusive_group()
    trace.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="write a trace to FILE: the GATT table, what was read, then every notification, "
        "read and write with its time (JSON lines; it holds the treadmill's name and address)",
    )
    trace.add_argument(
        "--replay",
        type=Path,
        metavar="FILE",
        help="decode a recorded trace instead of connecting (no radio is opened): one line per "
        "frame",
    )
    p.add_argument("--json", action="store_true", help="with --replay: one JSON object per frame")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    problem = target_problem(args) or _trace_problem(args)
    if problem is not None:
        print(f"treadlink probe: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.replay is not None:
        return replay(args.replay, as_json=args.json)
    recorder = None
    if args.record is not None:
        try:  # opened here, before any radio: a trace that cannot be written is bad input
            recorder = TraceRecorder(args.record)
        except TraceError as e:
            print(f"treadlink probe: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return asyncio.run(probe(args, recorder))


def _trace_problem(args: argparse.Namespace) -> str | None:
    if args.json and args.replay is None:
        return "--json is for --replay (a live probe prints lines for a person)"
    if args.replay is not None:
        given = [o for o, v in (("--sim", args.sim), ("--device", args.device)) if v is not None]
        if args.protocol is not None:
            given.append("--protocol")
        if given:
            return (
                f"--replay reads a trace and connects to nothing: {', '.join(given)} is not for it"
            )
    return None


def telemetry_line(state: TreadmillState) -> str:
    def show(value: float | int | None, fmt: str) -> str:
        return "—" if value is None else format(value, fmt)

    return (
        f"speed {show(state.speed_kmh, '5.2f')} km/h  incline {show(state.incline_pct, '4.1f')} %  "
        f"distance {show(state.distance_m, 'd')} m  elapsed {show(state.elapsed_time_s, 'd')} s  "
        f"HR {show(state.heart_rate_bpm, 'd')}"
    )


async def probe(args: argparse.Namespace, recorder: TraceRecorder | None = None) -> int:
    code = EXIT_OK
    try:
        async with radio_for(args) as radio:
            device = await radio.find_treadmill(args.device, timeout=args.timeout)
            say(f"device     {device.name or '?'} ({device.address})")
            async with Link(
                device, backend=radio.client_backend, protocol=args.protocol, recorder=recorder
            ) as link:
                say(f"protocol   {link.protocol}: {link.why}")
                describe(link.treadmill)
                if args.seconds > 0:
                    await show_live(link.treadmill, args.seconds)
    except LINK_ERRORS as e:
        code = link_failure("probe", e)
    finally:
        if recorder is not None:
            await recorder.close()  # a failed probe's trace is the one worth sending
    if recorder is not None:
        written = recorded(recorder)
        return code if code != EXIT_OK else written
    return code


def recorded(recorder: TraceRecorder) -> int:
    """Say what the trace holds; EXIT_FAILED if it could not be written whole."""
    say(f"trace      {recorder.path}: {recorder.frames} frames")
    if recorder.error is not None:
        print(
            f"treadlink probe: the trace {recorder.path} could not be written: {recorder.error}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if recorder.dropped:
        print(
            f"treadlink probe: {recorder.dropped} frames are missing from the trace: the disk "
            "did not keep up",
            file=sys.stderr,
        )
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
