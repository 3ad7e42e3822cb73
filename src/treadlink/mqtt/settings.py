"""The `mqtt:` section of the config file, the broker URL, and where each setting came from.

    mqtt:
      broker: mqtts://treadlink:secret@broker.lan:8883
      tls_ca: /etc/treadlink/ca.pem
      allow_remote_start: false

Precedence, lowest first: the file's `mqtt:` section, `TREADLINK_MQTT_*` environment variables
(e.g. `TREADLINK_MQTT_BROKER`), then `--broker`/`--mqtt URL` on the command line. A bad value is a
`ConfigError` naming the file, line and field (or the variable, or the option), never a fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, Field, field_validator
from pydantic_settings import SettingsConfigDict

from treadlink.settings_file import Settings, load_settings, read_config_file
from treadlink.sources import excerpt

SECTION: Final = "mqtt"
ENV_PREFIX: Final = "TREADLINK_MQTT_"
DEFAULT_BROKER: Final = "mqtt://localhost"
_PORTS: Final = {"mqtt": 1883, "mqtts": 8883}
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Broker:
    """Where the broker is and how to log in: parsed from `mqtt[s]://[user:pass@]host[:port]`."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:  # never shows the password
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def parse_broker(url: str) -> Broker:
    """The broker a URL names, or ValueError saying what is wrong with it (never its password)."""
    parts = urlsplit(url.strip())
    shown = excerpt(_without_password(url))
    if parts.scheme not in _PORTS:
        raise ValueError(f"{shown} is not a broker URL: use mqtt://host[:port] or mqtts://…")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{shown}: a broker URL has no path, query or fragment")
    try:
        port = parts.port or _PORTS[parts.scheme]
    except ValueError as e:
        raise ValueError(f"{shown}: bad port ({e})") from None
    if not parts.hostname:
        raise ValueError(f"{shown} names no host")
    return Broker(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _without_password(url: str) -> str:
    # An error message goes to a terminal and to logs: the password stays out of both.
    head, at, tail = url.rpartition("@")
    scheme, sep, login = head.partition("://")
    if not at or not sep or ":" not in login:
        return url
    return f"{scheme}://{login.split(':', 1)[0]}:***@{tail}"


def _broker_url(value: str) -> str:
    parse_broker(value)
    return value


def _topic_level(value: str) -> str:
    # A base topic is published under, never subscribed to: wildcards and empty levels would
    # make the whole contract ambiguous.
    if not value or any(c in value for c in "+#\0") or "" in value.split("/"):
        raise ValueError(f"{excerpt(value)} is not a topic prefix: no wildcards, no empty levels")
    return value


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(f"{excerpt(value)}: use lower-case letters, digits, '-' and '_'")
    return value


BrokerUrl = Annotated[str, AfterValidator(_broker_url)]
TopicPrefix = Annotated[str, AfterValidator(_topic_level)]
Slug = Annotated[str, AfterValidator(_slug)]


class MqttSettings(Settings):
    """Everything the MQTT bridge is told. Remote start and remote increase are off unless the
    config turns them on (docs/safety.md, contract item 8)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, allow_inf_nan=False
    )

    broker: BrokerUrl = DEFAULT_BROKER
    username: str | None = None
    password: str | None = Field(default=None, repr=False)  # nor quoted in errors
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    base_topic: TopicPrefix = "treadlink"
    discovery_prefix: TopicPrefix = "homeassistant"
    device_id: Slug | None = None
    allow_remote_start: bool = False
    allow_remote_increase: bool = False
    workouts: Path | None = Field(default=None, description="stage files `start` may name")

    @field_validator("tls_ca", "tls_cert", "tls_key")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_file():
            raise ValueError(f"{excerpt(str(value))} is not a file")
        return None if value is None else value.expanduser()

    @field_validator("workouts")
    @classmethod
    def _directory(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_dir():
            raise ValueError(f"{excerpt(str(value))} is not a directory")
        return None if value is None else value.expanduser()

    def broker_address(self) -> Broker:
        """The broker, with the URL's credentials winning over username/password."""
        broker = parse_broker(self.broker)
        if broker.username is None and self.username is not None:
            return Broker(broker.host, broker.port, broker.tls, self.username, self.password)
        return broker


def load_mqtt_settings(
    config: Path | str | None = None, broker: str | None = None, *, option: str = "--broker"
) -> MqttSettings:
    """The `mqtt:` section of the config file (`config`, else $TREADLINK_CONFIG, else the default
    file), with the environment on top and `broker` (from the command line `option`) on top.

    Raises ConfigError naming the file, line and field of every bad value.
    """
    file = read_config_file(config)
    command_line = {"broker": (option, broker)} if broker is not None else None
    return load_settings(
        MqttSettings, file.section(SECTION), file.source, at=(SECTION,), command_line=command_line
    )
