"""A watching MQTT client, and a session on the simulator published through the same hook
`treadlink run --mqtt` uses. Real time (sockets), sped-up plans."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
from paho.mqtt.properties import Properties

from tests.support.simulated import link
from treadlink.config import RunnerProfile
from treadlink.mqtt import run_hook
from treadlink.mqtt.bridge import MqttBridge, Rules
from treadlink.mqtt.client import BrokerLink
from treadlink.mqtt.settings import MqttSettings
from treadlink.mqtt.topics import Topics
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.plans.timeline import Timeline
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Event, Finished
from treadlink_sim.profile import load_profile as load_machine
from treadlink_sim.treadmill import TreadmillSimulator

PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0, max_speed=10.0, max_incline=5.0)
SIM_ADDRESS = "F0:F0:F0:F0:F0:01"  # the simulated treadmill's: its slug is the device id
DEVICE_ID = "f0f0f0f0f001"
BASE = f"treadlink/{DEVICE_ID}"
TOPICS = Topics("treadlink", DEVICE_ID)


def write_stage(directory: Path, text: str, name: str = "stage.yaml") -> Timeline:
    path = directory / name
    path.write_text(text)
    return load_stage(path, PROFILE, TreadmillLimits())


LONG_STAGE = 'name: "Long"\nitems:\n  - walk: 10:00\n  - run: 10:00\n'


class Watcher:
    """An MQTT client that keeps every message it sees, and waits for the ones a test wants."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.messages: list[aiomqtt.Message] = []
        self._arrived = asyncio.Condition()

    async def collect(self) -> None:
        async for message in self.client.messages:
            async with self._arrived:
                self.messages.append(message)
                self._arrived.notify_all()

    async def expect(
        self,
        topic: str,
        where: Callable[[aiomqtt.Message], bool] = lambda m: True,
        *,
        after: int = 0,
        timeout: float = 10.0,
    ) -> aiomqtt.Message:
        """The first message on `topic` (from index `after`) for which `where` holds."""
        seen = after

        def found() -> aiomqtt.Message | None:
            nonlocal seen
            for message in self.messages[seen:]:
                seen += 1
                if message.topic.value == topic and where(message):
                    return message
            return None

        async with asyncio.timeout(timeout), self._arrived:
            while (message := found()) is None:
                await self._arrived.wait()
        return message

    async def state(
        self, where: Callable[[dict[str, Any]], bool], after: int = 0, *, timeout: float = 30.0
    ) -> dict[str, Any]:
        """The first state (from index `after`) for which `where` holds. The bound is wider than
        `expect`'s: a remote start is allowed only once the guard has seen the belt at rest over
        its 8 s idle window, which a loaded machine may take a few seconds more to reach."""
        message = await self.expect(
            f"{BASE}/state", lambda m: where(payload(m)), after=after, timeout=timeout
        )
        return payload(message)

    async def command(
        self,
        name: str,
        body: bytes | str = b"",
        *,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> dict[str, Any]:
        """Send a command and return its answer on B/result."""
        mark = len(self.messages)
        await self.client.publish(
            f"{BASE}/command/{name}", body, qos=1, retain=retain, properties=properties
        )
        answer = await self.expect(
            f"{BASE}/result", lambda m: payload(m)["command"] == name, after=mark
        )
        return payload(answer)


def payload(message: aiomqtt.Message) -> Any:
    assert isinstance(message.payload, bytes)
    return json.loads(message.payload)


@asynccontextmanager
async def watching(url: str, *filters: str) -> AsyncIterator[Watcher]:
    port = int(url.rsplit(":", 1)[1])
    async with aiomqtt.Client(
        "127.0.0.1", port, protocol=aiomqtt.ProtocolVersion.V5, identifier="test-watcher"
    ) as client:
        for f in filters or ("treadlink/#",):
            await client.subscribe(f, qos=1)
        watcher = Watcher(client)
        task = asyncio.create_task(watcher.collect())
        try:
            yield watcher
        finally:
            task.cancel()


class Recorder(list[Event]):
    """A session's events, and a way to wait for one."""

    def __init__(self) -> None:
        super().__init__()
        self._arrived = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.append(event)
        self._arrived.set()

    def of[E: Event](self, kind: type[E]) -> list[E]:
        return [e for e in self if isinstance(e, kind)]

    async def wait_for[E: Event](
        self, kind: type[E], where: Callable[[E], bool] = lambda e: True, timeout: float = 15.0
    ) -> E:
        async with asyncio.timeout(timeout):
            while True:
                for event in self.of(kind):
                    if where(event):
                        return event
                self._arrived.clear()
                await self._arrived.wait()


@dataclass
class Rig:
    session: Session
    simulator: TreadmillSimulator
    events: Recorder
    bridge: MqttBridge
    link: BrokerLink
    run: asyncio.Task[Finished]


def faster_machine(speedup: float) -> Any:
    machine = load_machine("noblepro-elite")
    return load_machine(
        "noblepro-elite",
        acceleration_up_kmh_per_s=machine.acceleration_up_kmh_per_s * speedup,
        acceleration_down_kmh_per_s=machine.acceleration_down_kmh_per_s * speedup,
        incline_rate_pct_per_s=machine.incline_rate_pct_per_s * speedup,
    )


@asynccontextmanager
async def published_session(
    broker_url: str,
    timeline: Timeline,
    *,
    speedup: float = 1.0,
    rules: Rules | None = None,
    settings: dict[str, Any] | None = None,
    belt_speedup: float = 10.0,
    telemetry_hz: float | None = None,
) -> AsyncIterator[Rig]:
    """A session on the in-process simulator, published by `run_hook.published` as in
    `treadlink run --mqtt`; stopped and awaited on the way out."""
    machine = faster_machine(belt_speedup)
    caps = GuardSettings(cap_kmh=PROFILE.max_speed, cap_incline_pct=PROFILE.max_incline)
    async with (
        link(profile=machine, telemetry_hz=telemetry_hz) as connection,
        SafetyGuard(connection.link, settings=caps) as guard,
    ):
        session = Session(guard, timeline, speedup=speedup, on_fault="pause")
        events = Recorder()
        session.subscribe(events)
        mqtt_settings = MqttSettings(broker=broker_url, **(settings or {}))
        async with run_hook.published(mqtt_settings, session) as published:
            assert published is not None
            if rules is not None:
                published.bridge.rules = rules
            await published.link.wait_connected()
            run = asyncio.create_task(session.run())
            try:
                yield Rig(
                    session, connection.simulator, events, published.bridge, published.link, run
                )
            finally:
                session.stop("test over")
                await run
