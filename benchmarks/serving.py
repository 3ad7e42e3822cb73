"""`treadlink serve --sim` processes for the bench, and one MQTT client that drives them all.

Each process gets its own simulated treadmill (its own Bluetooth address, so its own device id
and topics), telemetry at 10 Hz, remote start allowed, and one stage to start: a long walk.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import psutil
from tests.support.mosquitto import Mosquitto

PROFILES = Path(__file__).resolve().parents[1] / "simulators" / "treadlink_sim" / "profiles"
WALK = 'name: "Bench walk"\nitems:\n  - walk: 30:00\n'


def write_setup(directory: Path, count: int, telemetry_hz: float) -> list[Path]:
    """The stage, the runner's config, and one machine profile per treadmill."""
    (directory / "workouts").mkdir(exist_ok=True)
    (directory / "workouts" / "walk.yaml").write_text(WALK)
    (directory / "config.yaml").write_text("max_speed: 10\n")
    base = (PROFILES / "noblepro-elite.yaml").read_text()
    profiles = []
    for n in range(count):
        text = base.replace('address: "F0:F0:F0:F0:F0:01"', f'address: "F0:F0:F0:F0:F1:{n:02X}"')
        text = re.sub(r"^telemetry_hz: .*$", f"telemetry_hz: {telemetry_hz}", text, flags=re.M)
        path = directory / f"treadmill-{n:02d}.yaml"
        path.write_text(text)
        profiles.append(path)
    return profiles


EXIT_TIMEOUT_S = 60.0  # SIGTERM: the bridge stops its belt, waits for it, and leaves


@dataclass
class Bridge:
    process: asyncio.subprocess.Process
    base: str  # B: treadlink/<device id>
    said: list[str] = field(default_factory=list)  # its stderr, kept to explain a failure

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    @property
    def client_id(self) -> str:
        return f"treadlink-{self.base.rpartition('/')[2]}"  # as treadlink.mqtt.connect names it

    def connections(self, broker: Mosquitto) -> list[str]:
        """The broker's log lines about this bridge's client: each connection, and each end."""
        return [line for line in broker.log if f" {self.client_id} " in f"{line} "]

    def assert_one_connection(self, broker: Mosquitto) -> None:
        """A bridge that lost its broker (and reconnected) during a measurement measured its
        reconnecting, not its work: say so, with the broker's word on why."""
        lines = self.connections(broker)
        made = [line for line in lines if "New client connected" in line]
        if len(made) != 1:
            story = "; ".join(line.split(": ", 1)[-1] for line in lines[-6:])
            raise RuntimeError(
                f"{self.client_id} connected to the broker {len(made)} times during the step "
                f"(the broker: {story}; the bridge: {' / '.join(self.said[-3:]) or 'nothing'})"
            )


@asynccontextmanager
async def serving(
    broker_url: str, directory: Path, profiles: list[Path], speedup: float
) -> AsyncIterator[list[Bridge]]:
    """The bridges, started one by one; on the way out every one of them ends (SIGTERM, then
    SIGKILL after EXIT_TIMEOUT_S), before the caller stops the broker they use."""
    env = {
        **os.environ,
        "TREADLINK_CONFIG": str(directory / "config.yaml"),
        "TREADLINK_MQTT_ALLOW_REMOTE_START": "true",
        "TREADLINK_MQTT_WORKOUTS": str(directory / "workouts"),
    }
    bridges: list[Bridge] = []
    drains: list[asyncio.Task[None]] = []
    try:
        for profile in profiles:
            options = ["--profile", str(profile), "--broker", broker_url, "--speedup", str(speedup)]
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "treadlink.cli", "serve", "--sim", *options),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
            bridge = Bridge(process, "")
            bridges.append(bridge)
            drains.append(asyncio.create_task(_keep(process.stderr, bridge.said)))
            bridge.base = await _announced_base(process, bridge.said)
        yield bridges
    finally:
        await _end_all(bridges)
        for drain in drains:
            drain.cancel()


async def _keep(stream: asyncio.StreamReader | None, lines: list[str]) -> None:
    assert stream is not None
    while line := await stream.readline():
        lines.append(line.decode(errors="replace").rstrip())


async def _end_all(bridges: list[Bridge]) -> None:
    for bridge in bridges:
        if bridge.process.returncode is None:
            bridge.process.send_signal(signal.SIGTERM)
    ends = [asyncio.create_task(b.process.wait()) for b in bridges]
    if not ends:
        return
    await asyncio.wait(ends, timeout=EXIT_TIMEOUT_S)
    stuck = [b for b in bridges if b.process.returncode is None]
    for bridge in stuck:
        bridge.process.kill()
    await asyncio.gather(*ends)
    if stuck:
        names = ", ".join(f"{b.client_id} ({' / '.join(b.said[-2:])})" for b in stuck)
        raise RuntimeError(f"killed: not gone {EXIT_TIMEOUT_S:g} s after SIGTERM: {names}")


async def _announced_base(process: asyncio.subprocess.Process, said: list[str]) -> str:
    assert process.stdout is not None
    async with asyncio.timeout(30):
        line = (await process.stdout.readline()).decode()  # "treadlink serve: B on mqtt://…"
    if not line.startswith("treadlink serve: "):
        raise RuntimeError(f"treadlink serve did not start: {line!r} {' / '.join(said[-3:])}")
    return line.split()[2]


@dataclass
class Driver:
    """One client for all bridges: commands out, events and state in, per bridge."""

    client: aiomqtt.Client
    events: dict[str, asyncio.Queue[tuple[float, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(asyncio.Queue)
    )
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, asyncio.Queue[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(asyncio.Queue)
    )
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def collect(self) -> None:
        loop = asyncio.get_running_loop()
        async for message in self.client.messages:
            arrived = loop.time()
            topic = message.topic.value
            base, _, leaf = topic.rpartition("/")
            assert isinstance(message.payload, bytes)
            if leaf == "event":
                self.events[base].put_nowait((arrived, json.loads(message.payload)))
            elif leaf == "result":
                self.results[base].put_nowait(json.loads(message.payload))
            elif leaf == "state":
                async with self.changed:
                    self.states[base] = json.loads(message.payload)
                    self.changed.notify_all()

    async def event(self, base: str, kind: str) -> float:
        """When the next `kind` event of this bridge arrived (loop time)."""
        while True:
            arrived, event = await self.events[base].get()
            if event["event"] == kind:
                return arrived

    async def until_state(self, base: str, key: str, value: object) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.states.get(base, {}).get(key) == value)

    def drain(self, base: str) -> None:
        queue = self.events[base]
        while not queue.empty():
            queue.get_nowait()


@asynccontextmanager
async def driving(port: int) -> AsyncIterator[Driver]:
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier="bench-driver", protocol=aiomqtt.ProtocolVersion.V5
    ) as client:
        await client.subscribe("treadlink/+/event")
        await client.subscribe("treadlink/+/state")
        await client.subscribe("treadlink/+/result")
        driver = Driver(client)
        task = asyncio.create_task(driver.collect())
        try:
            yield driver
        finally:
            task.cancel()


async def start_walk(driver: Driver, bridge: Bridge) -> None:
    """Start the walk remotely once the bridge says it would take it; wait for its segment."""
    async with asyncio.timeout(60):
        while True:
            await driver.until_state(bridge.base, "remote_start", True)
            driver.drain(bridge.base)
            await driver.client.publish(f"{bridge.base}/command/start", b'{"stage": "walk"}')
            answer = await driver.results[bridge.base].get()
            while answer["command"] != "start":  # the answers to earlier stops
                answer = await driver.results[bridge.base].get()
            if answer["ok"]:
                break
            # Refused (the state we read was a moment old): wait for the next change.
            async with driver.changed:
                await driver.changed.wait()
        await driver.event(bridge.base, "setpoint_confirmed")
