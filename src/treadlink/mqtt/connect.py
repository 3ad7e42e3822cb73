"""Wire one bridge to one broker connection: what `run --mqtt` and `serve` both build."""

from __future__ import annotations

from dataclasses import dataclass

from treadlink.mqtt.bridge import MqttBridge, Rules, Starter
from treadlink.mqtt.client import BrokerLink, TlsFiles
from treadlink.mqtt.discovery import Caps, Discovery, Machine
from treadlink.mqtt.settings import MqttSettings
from treadlink.mqtt.topics import Topics


@dataclass(frozen=True, slots=True)
class Bridged:
    bridge: MqttBridge
    link: BrokerLink
    discovery: Discovery


def connect_bridge(
    settings: MqttSettings,
    topics: Topics,
    *,
    caps: Caps,
    rules: Rules,
    machine: Machine | None = None,
    starter: Starter | None = None,
    queue_limit: int = 1000,
) -> Bridged:
    """The bridge and its broker link (enter the link with `async with` to connect).

    Once the machine is known (`machine`, or later `discovery.set_machine`), Home Assistant
    discovery is published on every connection and whenever Home Assistant says `online`."""
    bridge: MqttBridge
    subscriptions = [topics.commands, topics.ha_status]
    link = BrokerLink(
        settings.broker_address(),
        client_id=f"treadlink-{topics.device_id}",
        status_topic=topics.status,
        subscriptions=subscriptions,
        on_message=lambda message: bridge.on_message(message),
        on_connect=lambda: bridge.on_connect(),
        urgent=(topics.command("stop"), topics.command("pause")),
        tls=TlsFiles(
            ca=None if settings.tls_ca is None else str(settings.tls_ca),
            cert=None if settings.tls_cert is None else str(settings.tls_cert),
            key=None if settings.tls_key is None else str(settings.tls_key),
        ),
        queue_limit=queue_limit,
    )

    discovery = Discovery(topics, caps, rules, link, machine)
    bridge = MqttBridge(
        topics,
        publish=link.publish,
        rules=rules,
        starter=starter,
        on_ha_online=discovery.announce,
    )
    return Bridged(bridge, link, discovery)
