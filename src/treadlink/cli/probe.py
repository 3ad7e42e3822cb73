"""`treadlink probe`: an FTMS checker. Connects, prints what the treadmill is and can do, then a
live telemetry line. Sends no command: probing never moves the belt."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bleak.exc import BleakError

from treadlink.ble.link import Link
from treadlink.cli.target import add_target_arguments, radio_for
from treadlink.ftms.state import Telemetry, TreadmillEvent, TreadmillState
from treadlink.ftms.treadmill import Treadmill


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "probe",
        help="check that a treadmill speaks FTMS and show what it reports",
        description="Connect to a treadmill, print its device information, features and "
        "supported ranges, then show its telemetry live. Sends no command.",
    )
    add_target_arguments(p)
    p.add_argument(
        "--seconds",
        type=float,
        default=5.0,
        help="how long to show live telemetry (default: %(default)s; 0 for none)",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="scan timeout in seconds")
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
    out = sys.stdout
    try:
        async with radio_for(args) as radio:
            device = await radio.find_treadmill(args.device, timeout=args.timeout)
            print(f"device     {device.name or '?'} ({device.address})", file=out)
            async with Link(device, backend=radio.client_backend) as link:
                describe(link.treadmill)
                if args.seconds > 0:
                    await show_live(link.treadmill, args.seconds)
    except BleakError as e:
        print(f"treadlink probe: {e}", file=sys.stderr)
        return 1
    return 0


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
        print(f"{label:<10} {value or '—'}")
    features = capabilities.features
    machine = ", ".join(str(f.name).lower() for f in features.machine) or "none"
    targets = ", ".join(str(f.name).lower() for f in features.targets) or "none"
    print(f"reports    {machine}")
    print(f"targets    {targets}")
    print(f"speed      {treadmill.speed_range}")
    print(f"incline    {treadmill.incline_range or 'not adjustable'}")


async def show_live(treadmill: Treadmill, seconds: float) -> None:
    live = sys.stdout.isatty()
    last_print = -1.0

    def on_event(event: TreadmillEvent) -> None:
        nonlocal last_print
        if not isinstance(event, Telemetry):
            return
        if live:
            print("\r" + telemetry_line(event.state), end="", flush=True)
        elif event.at - last_print >= 1.0:  # a log or a pipe gets a line a second
            last_print = event.at
            print(telemetry_line(event.state), flush=True)

    unsubscribe = treadmill.subscribe(on_event)
    try:
        await asyncio.sleep(seconds)
    finally:
        unsubscribe()
        if live:
            print()
