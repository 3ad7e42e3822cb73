"""`treadlink-sim`: run the simulated treadmill as its own process.

treadlink-sim --link tcp-server:127.0.0.1:9100      # a bridge connects with tcp-client:...
treadlink-sim --hci usb:0                           # a real peripheral on a Bluetooth dongle
treadlink-sim --scenario faults.yaml --report belt.jsonl   # what the belt did, line by line
treadlink-sim --replay unit.jsonl                   # the unit a trace recorded
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from bumble.device import Device
from bumble.hci import Address
from bumble.transport import open_transport
from bumble.transport.common import TransportSpecError

from treadlink_sim.bridge_port import open_bridge_port
from treadlink_sim.profile import MachineProfile, ProfileError, load_profile, shipped_profiles
from treadlink_sim.replay import profile_from_trace
from treadlink_sim.report import BeltReport, ReportError, open_report
from treadlink_sim.rig import BRIDGE_ADDRESS, new_link, simulator_device
from treadlink_sim.scenario import Scenario, ScenarioError, load_scenario
from treadlink_sim.treadmill import TreadmillSimulator

log = logging.getLogger("treadlink_sim")

DEFAULT_LINK = "tcp-server:127.0.0.1:9100"
DEFAULT_PROFILE = "noblepro-elite"

# CLI option -> profile field, for the options that override a profile.
_OVERRIDES = {
    "name": "local_name",
    "address": "address",
    "speed_min": "speed_min_kmh",
    "speed_max": "speed_max_kmh",
    "speed_step": "speed_step_kmh",
    "incline_min": "incline_min_pct",
    "incline_max": "incline_max_pct",
    "incline_step": "incline_step_pct",
    "accel_up": "acceleration_up_kmh_per_s",
    "accel_down": "acceleration_down_kmh_per_s",
    "incline_rate": "incline_rate_pct_per_s",
    "telemetry_hz": "telemetry_hz",
    "heart_rate": "heart_rate",
    "step_count": "step_count",
    "needs_start_before_speed": "needs_start_before_speed",
    "indication_delay": "indication_delay_s",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treadlink-sim",
        description="A simulated smart treadmill speaking FTMS and/or FitShow, as real units do "
        "(Bluetooth LE peripheral, built on bumble).",
        epilog="Profiles shipped: " + ", ".join(shipped_profiles()),
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--link",
        metavar="SPEC",
        help=f"host a virtual Bluetooth link and expose the bridge's controller on this bumble "
        f"transport (default {DEFAULT_LINK} when --hci is not given); with tcp-server:HOST:0 a "
        "free port is picked and printed on the READY line",
    )
    where.add_argument(
        "--hci",
        metavar="SPEC",
        help="be a real peripheral on this Bluetooth controller (bumble transport: usb:0, "
        "serial:/dev/ttyUSB0, vhci, hci-socket:0, ...)",
    )
    machine = parser.add_mutually_exclusive_group()
    machine.add_argument(
        "--profile",
        metavar="NAME|FILE",
        help=f"machine profile: a shipped name or a YAML file (default {DEFAULT_PROFILE})",
    )
    machine.add_argument(
        "--replay",
        metavar="TRACE",
        help="be the unit recorded in TRACE (`treadlink probe --record`, docs/trace.md): its "
        "name, GATT table, device information, ranges and FitShow replies",
    )
    parser.add_argument(
        "--scenario", metavar="FILE", help="YAML list of timed console presses and faults to play"
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="append the belt's state to FILE as JSON lines: on every change of mode, target, "
        "connection or fault, and at least once a second",
    )
    parser.add_argument(
        "--bridge-address",
        default=BRIDGE_ADDRESS,
        metavar="ADDR",
        help="address of the bridge's virtual controller with --link (default %(default)s)",
    )
    over = parser.add_argument_group("profile overrides")
    over.add_argument("--name", metavar="TEXT", help="advertised local name")
    over.add_argument("--address", metavar="ADDR", help="the treadmill's Bluetooth address")
    over.add_argument("--telemetry-hz", type=float, metavar="N", help="Treadmill Data rate")
    over.add_argument("--speed-min", type=float, metavar="KMH", help="lowest speed setpoint")
    over.add_argument("--speed-max", type=float, metavar="KMH", help="highest speed setpoint")
    over.add_argument("--speed-step", type=float, metavar="KMH", help="speed setpoint step")
    over.add_argument("--incline-min", type=float, metavar="PCT", help="lowest incline")
    over.add_argument("--incline-max", type=float, metavar="PCT", help="highest incline")
    over.add_argument("--incline-step", type=float, metavar="PCT", help="incline step")
    over.add_argument("--accel-up", type=float, metavar="KMH_S", help="belt acceleration")
    over.add_argument("--accel-down", type=float, metavar="KMH_S", help="belt deceleration")
    over.add_argument("--incline-rate", type=float, metavar="PCT_S", help="incline motor rate")
    over.add_argument(
        "--indication-delay", type=float, metavar="S", help="delay before each response"
    )
    over.add_argument(
        "--heart-rate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="send heart rate in Treadmill Data",
    )
    over.add_argument(
        "--step-count",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="send the vendor step count (flag bit 13) in Treadmill Data",
    )
    over.add_argument(
        "--needs-start-before-speed",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="answer Set Target Speed with 04 (operation failed) until the belt is started",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level on stderr (default %(default)s)",
    )
    return parser


@dataclass(frozen=True, slots=True)
class Options:
    profile: MachineProfile
    scenario: Scenario | None
    link: str | None
    hci: str | None
    bridge_address: str
    log_level: str
    report: str | None = None


class TransportError(ValueError):
    """A --link or --hci spec bumble cannot open."""


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Parse and validate everything up front; bad input exits with status 2 and a message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {field: getattr(args, option) for option, field in _OVERRIDES.items()}
    try:
        if args.replay is not None:
            profile = profile_from_trace(args.replay, **overrides)
        else:
            profile = load_profile(args.profile or DEFAULT_PROFILE, **overrides)
        scenario = load_scenario(args.scenario, profile) if args.scenario else None
    except (ProfileError, ScenarioError) as error:
        parser.error(str(error))
    link = args.link if args.link or args.hci else DEFAULT_LINK
    return Options(
        profile,
        scenario,
        link,
        args.hci,
        args.bridge_address.upper(),
        args.log_level,
        args.report,
    )


async def serve(options: Options, stop: asyncio.Event) -> None:
    """Run the simulator until `stop` is set; then shut everything down."""
    profile = options.profile
    async with contextlib.AsyncExitStack() as cleanup:
        # Opened first: a report that cannot be written is bad input, found before any transport.
        out = None if options.report is None else cleanup.enter_context(open_report(options.report))
        if options.hci is not None:
            # A real controller: the same simulator, on a Device that talks HCI to the dongle.
            transport = await _open(open_transport(options.hci), options.hci)
            cleanup.push_async_callback(transport.close)
            device = Device.with_hci(
                profile.local_name, Address(profile.address), transport.source, transport.sink
            )
            sim = TreadmillSimulator(device, profile)
            where = f"hci={options.hci}"
        else:
            link_spec = options.link or DEFAULT_LINK
            link = new_link()
            sim = TreadmillSimulator(simulator_device(profile, link), profile)
            port = await _open(
                open_bridge_port(link_spec, link, options.bridge_address, sim.drop_link),
                link_spec,
            )
            cleanup.push_async_callback(port.close)
            where = f"link={port.describe} bridge={options.bridge_address}"
        await sim.start()
        cleanup.push_async_callback(sim.stop)
        if out is not None:
            # Closed before the simulator stops: the final line shows the belt as it was left.
            report = BeltReport(sim, out)
            report.start()
            cleanup.push_async_callback(report.close)
        print(f"READY address={sim.address} name={profile.local_name!r} {where}", flush=True)
        if options.scenario is not None:
            scenario = asyncio.create_task(options.scenario.run(sim))
            cleanup.push_async_callback(_cancel, scenario)
        await stop.wait()
    print("STOPPED", flush=True)


async def _open[T](opening: Awaitable[T], spec: str) -> T:
    try:
        return await opening
    except (ValueError, TransportSpecError) as error:
        raise TransportError(f"cannot open transport {spec!r}: {error}") from None


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("scenario failed", exc_info=error)


async def _main(options: Options) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(options, stop)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    logging.basicConfig(
        level=options.log_level,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        asyncio.run(_main(options))
    except (TransportError, ReportError) as error:
        print(f"treadlink-sim: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # port in use, device busy...
        print(f"treadlink-sim: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
