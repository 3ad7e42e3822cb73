"""`treadlink run … --mqtt [URL]`: the run is published, and MQTT may stop, pause, skip or slow
it; it never resumes, acknowledges, starts or speeds up anything (RULES_FOR_RUN).

cli/run.py calls three things: `add_arguments(parser)`, `settings_of(args)` before any radio is
opened (bad settings: exit 2), and `published(settings, session)` around `session.run()`.
A broker that is down or slow changes nothing: the session runs and the link keeps retrying.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from treadlink.config import ConfigError
from treadlink.mqtt.bridge import RULES_FOR_RUN
from treadlink.mqtt.connect import Bridged, connect_bridge
from treadlink.mqtt.discovery import Caps, Machine
from treadlink.mqtt.settings import MqttSettings, load_mqtt_settings
from treadlink.mqtt.topics import Topics, device_slug
from treadlink.safety.guard import GuardSettings
from treadlink.session.engine import Session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mqtt",
        nargs="?",
        const="",
        metavar="URL",
        help="also publish the run over MQTT (mqtt[s]://[user:pass@]host[:port]; default: the "
        "config's mqtt.broker); MQTT may stop, pause, skip or slow the run, nothing more",
    )


class BadSettings(Exception):
    """The MQTT settings are bad; `report_settings` has said why."""


def settings_of(args: argparse.Namespace) -> MqttSettings | None:
    """The MQTT settings if --mqtt was given, else None. Raises BadSettings after printing why
    they are bad."""
    if args.mqtt is None:
        return None
    try:
        return load_mqtt_settings(args.config, args.mqtt or None, option="--mqtt")
    except ConfigError as e:
        report_settings(e)
        raise BadSettings from e


def report_settings(error: ConfigError) -> None:
    print("bad MQTT settings:", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def topics_for(settings: MqttSettings, address: str) -> Topics:
    device_id = settings.device_id or device_slug(address)
    return Topics(settings.base_topic, device_id, settings.discovery_prefix)


def caps_of(settings: GuardSettings) -> Caps:
    """The runner's caps, as the guard enforces them (for Home Assistant's bounds)."""
    return Caps(
        max_speed_kmh=math.inf if settings.cap_kmh is None else settings.cap_kmh,
        max_incline_pct=math.inf if settings.cap_incline_pct is None else settings.cap_incline_pct,
    )


@asynccontextmanager
async def published(
    settings: MqttSettings | None, session: Session
) -> AsyncIterator[Bridged | None]:
    """Publish `session` while inside, given settings (None otherwise)."""
    if settings is None:
        yield None
        return
    treadmill = session.treadmill
    bridged = connect_bridge(
        settings,
        topics_for(settings, treadmill.address),
        caps=caps_of(session.guard.settings),
        rules=RULES_FOR_RUN,
        machine=Machine.of(treadmill),  # known once connected
    )
    async with bridged.link:
        bridged.bridge.attach(session)
        try:
            yield bridged
        finally:
            bridged.bridge.close()
