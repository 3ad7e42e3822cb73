"""The two private attributes of aiomqtt's `Client` that treadlink reaches into, checked when
this module is imported: an aiomqtt that renamed them fails at once, saying which attribute and
which aiomqtt treadlink was tested with, never mid-run with an AttributeError while a stop waits.

* `_client`, paho's client: its socket is read in bursts, so a flood cannot leave a stop in the
  kernel's buffer (treadlink.mqtt.client, `_read_in_bursts`; docs/decisions/0011).
* `_queue`, the incoming messages: the rest of a batch is taken from it without a turn of the
  event loop per message.

pyproject.toml pins aiomqtt to the minor version tested (TESTED); moving it is done on purpose,
with tests/mqtt run against the new one.
"""

from __future__ import annotations

import asyncio
from typing import Final

import aiomqtt
from paho.mqtt.client import Client as PahoClient

TESTED: Final = "2.5"
REACHED: Final = {
    "_client": "paho's client, whose socket treadlink reads in bursts",
    "_queue": "the incoming messages, taken a batch at a time",
}


def missing(client_type: type[aiomqtt.Client]) -> list[str]:
    """The reached-into attributes that `client_type`'s constructor no longer sets. Read from its
    compiled code: making a client takes a running event loop, and an import has none."""
    assigned = client_type.__init__.__code__.co_names
    return [name for name in REACHED if name not in assigned]


def check(client_type: type[aiomqtt.Client] = aiomqtt.Client) -> None:
    """Raise ImportError naming the first attribute gone, and the aiomqtt that had it."""
    for name in missing(client_type):
        raise ImportError(
            f"treadlink needs aiomqtt {TESTED}.x: aiomqtt {aiomqtt.__version__} has no "
            f"Client.{name} ({REACHED[name]}); install 'aiomqtt>={TESTED},<{_next(TESTED)}'"
        )


def _next(version: str) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) + 1}"


check()


def paho_client(client: aiomqtt.Client) -> PahoClient:
    return client._client


def incoming(client: aiomqtt.Client) -> asyncio.Queue[aiomqtt.Message]:
    return client._queue
