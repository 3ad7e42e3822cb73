"""`treadlink serve`: the treadmill as a home-automation device over MQTT (docs/mqtt.md)."""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys

from treadlink.app.connection import Target, radio_for
from treadlink.ble.radio import Radio
from treadlink.cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_BELT_MAY_BE_RUNNING,
    EXIT_FAILED,
    EXIT_OK,
)
from treadlink.cli.options import between, bounded
from treadlink.cli.run import BELT_MAY_BE_RUNNING
from treadlink.cli.target import (
    LINK_ERRORS,
    add_speedup_argument,
    add_target_arguments,
    link_failure,
    speedup_problem,
    target_of,
    target_problem,
)
from treadlink.cli.validate import add_config_argument, profile_or_report
from treadlink.config import ConfigError, RunnerProfile
from treadlink.mqtt.client import BrokerLink
from treadlink.mqtt.discovery import remove_discovery
from treadlink.mqtt.run_hook import report_settings
from treadlink.mqtt.service import ServeOptions, Service
from treadlink.mqtt.settings import MqttSettings, load_mqtt_settings
from treadlink.mqtt.topics import Topics, device_slug

_ADDRESS = re.compile(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}|[0-9A-Fa-f-]{36}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run as an MQTT / Home Assistant service",
        description="Keep the treadmill connected and publish it over MQTT, idle or running, "
        "reconnecting when it sleeps or leaves; run stages on a remote `start` only when the "
        "config's mqtt.allow_remote_start is true. SIGTERM stops any belt it started, then "
        "exits. Topics, commands and rules: docs/mqtt.md.",
    )
    add_target_arguments(p)
    p.add_argument(
        "--broker",
        metavar="URL",
        help="mqtt[s]://[user:pass@]host[:port] (default: the config's mqtt.broker)",
    )
    add_config_argument(p)
    add_speedup_argument(p, "stages")
    p.add_argument(
        "--remove-discovery",
        action="store_true",
        help="clear everything treadlink keeps retained for this device at the broker (Home "
        "Assistant discovery, status, state), then exit",
    )
    p.add_argument(
        "--timeout",
        type=bounded(float, 0.5, 120, "s"),
        default=10.0,
        help=f"how long to look for the treadmill, {between(0.5, 120, 's')} (default: 10)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    problem = speedup_problem(args) or target_problem(args)
    if problem is not None:
        print(f"treadlink serve: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    profile = profile_or_report(args.config)
    if profile is None:
        return EXIT_BAD_INPUT
    try:
        settings = load_mqtt_settings(args.config, args.broker)
    except ConfigError as e:
        report_settings(e)
        return EXIT_BAD_INPUT
    try:
        return asyncio.run(serve(args, profile, settings))
    except LINK_ERRORS as e:
        return link_failure("serve", e)


def known_address(target: Target, radio: Radio) -> str | None:
    """The treadmill's address when it is known without a scan."""
    if radio.known_address is not None:  # the simulator in this process
        return radio.known_address
    if target.device is not None and _ADDRESS.fullmatch(target.device):
        return target.device
    return None


async def device_id(target: Target, settings: MqttSettings, radio: Radio) -> str:
    """The configured id, else the treadmill's address (scanned for once if need be)."""
    if settings.device_id is not None:
        return settings.device_id
    address = known_address(target, radio)
    if address is None:
        address = (await radio.find_treadmill(target.device, timeout=target.scan_timeout_s)).address
    return device_slug(address)


async def serve(args: argparse.Namespace, profile: RunnerProfile, settings: MqttSettings) -> int:
    target = target_of(args)
    async with radio_for(target) as radio:
        device = await device_id(target, settings, radio)
        topics = Topics(settings.base_topic, device, settings.discovery_prefix)
        if args.remove_discovery:
            return await remove(settings, topics)
        service = Service(radio, settings, profile, topics, ServeOptions(target))
        loop = asyncio.get_running_loop()
        for signum, reason in ((signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")):
            loop.add_signal_handler(signum, service.terminate, reason)
        try:
            print(f"treadlink serve: {topics.base} on {settings.broker_address()}", flush=True)
            confirmed = await service.run()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
        if not confirmed:
            print(BELT_MAY_BE_RUNNING, file=sys.stderr, flush=True)
            return EXIT_BELT_MAY_BE_RUNNING
        return EXIT_OK


async def remove(settings: MqttSettings, topics: Topics) -> int:
    link = BrokerLink(
        settings.broker_address(),
        client_id=f"treadlink-{topics.device_id}-remover",
        status_topic=None,  # not the bridge: no status, no Last Will
        subscriptions=(),
        on_message=lambda _message: None,
        on_connect=lambda: None,
    )
    try:
        async with asyncio.timeout(30), link:
            await remove_discovery(link, topics)
    except TimeoutError:
        print(f"treadlink serve: no broker at {settings.broker_address()}", file=sys.stderr)
        return EXIT_FAILED
    print(f"removed Home Assistant discovery of {topics.device_id}")
    return EXIT_OK
