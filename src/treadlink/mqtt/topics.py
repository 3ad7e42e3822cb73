"""The topic contract (docs/mqtt.md), as data: every topic treadlink publishes or listens on.

`B` is `<base_topic>/<device_id>`; the device id defaults to a slug of the treadmill's
Bluetooth address, so it is the same after every restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

CommandName = Literal["stop", "pause", "skip", "resume", "start", "speed", "incline"]
COMMANDS: Final[tuple[CommandName, ...]] = (
    "stop",
    "pause",
    "skip",
    "resume",
    "start",
    "speed",
    "incline",
)
ONLINE: Final = "online"
OFFLINE: Final = "offline"


def device_slug(address: str) -> str:
    """`F0:7D:1A:00:00:01` -> `f07d1a000001`; a macOS UUID keeps its hex digits alike."""
    slug = re.sub(r"[^a-z0-9]+", "", address.lower())
    return slug or "treadmill"


@dataclass(frozen=True, slots=True)
class Topics:
    base_topic: str
    device_id: str
    discovery_prefix: str = "homeassistant"

    @property
    def base(self) -> str:
        return f"{self.base_topic}/{self.device_id}"

    @property
    def status(self) -> str:
        """`online`/`offline` (retained): the bridge itself; `offline` is also its Last Will."""
        return f"{self.base}/status"

    @property
    def treadmill(self) -> str:
        """`online`/`offline` (retained): the Bluetooth link to the treadmill."""
        return f"{self.base}/treadmill"

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def event(self) -> str:
        return f"{self.base}/event"

    @property
    def result(self) -> str:
        return f"{self.base}/result"

    @property
    def commands(self) -> str:
        """The subscription filter for every command."""
        return f"{self.base}/command/+"

    def command(self, name: str) -> str:
        return f"{self.base}/command/{name}"

    def command_name(self, topic: str) -> str | None:
        """The command a topic names (known or not), or None if it is not a command topic."""
        prefix = f"{self.base}/command/"
        return topic.removeprefix(prefix) if topic.startswith(prefix) else None

    @property
    def ha_status(self) -> str:
        """Where Home Assistant announces `online` after it starts: discovery is sent again."""
        return f"{self.discovery_prefix}/status"

    def discovery(self, component: str, entity: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.device_id}/{entity}/config"
