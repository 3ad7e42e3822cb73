"""MQTT stop latency: from the publish of `B/command/stop` by a client to the Stop bytes arriving
at the simulated treadmill, through a real Mosquitto on 127.0.0.1, with telemetry at 10 Hz.

Each trial is a session that has just started its first segment, stopped over MQTT. Trials run
idle and while a separate process floods the bridge with 1,000 unreadable commands a second
(each answered on `B/result`, so the bridge carries the flood both ways), and then flooded with
the bridge's loop stalled for 50 ms just before the stop is published: what a loaded machine
does when it leaves the process off the CPU, made reproducible. The flood piles up in the
bridge's socket and the stop arrives behind it.

The commander publishes synchronously from its own socket (`publish()` returns with the bytes
written), so its publish is not queued behind the bridge's own work on the shared event loop,
as Home Assistant's would not be. Each trial is split where it crosses into the bridge:
publish → the bridge's `on_message` (Mosquitto, the socket, the MQTT client) and `on_message` →
Stop bytes (the session, the guard, Bluetooth). The floor is the same publish to a bare
subscriber on the same broker at the same moment: no bridge can do better than that.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from tests.support.mosquitto import Mosquitto

from benchmarks.estop import StopArrival
from benchmarks.stats import summary
from treadlink.ble.bumble.radio import simulated_link
from treadlink.config import RunnerProfile
from treadlink.mqtt.bridge import RULES_FOR_RUN
from treadlink.mqtt.connect import connect_bridge
from treadlink.mqtt.discovery import Caps
from treadlink.mqtt.settings import MqttSettings
from treadlink.mqtt.topics import Topics
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.plans.timeline import Timeline
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Event, Finished, SetpointSent
from treadlink_sim.profile import load_profile as load_machine
from treadlink_sim.treadmill import TreadmillSimulator

FLOOD_RATE = 1000.0
TRIAL_BOUND_S = 60.0  # a session's first setpoint reached by the fast belt, well within
BELT_SPEEDUP = 20.0  # the belt starts and stops in a blink, so trials are quick
TOPICS = Topics("treadlink", "bench")
FLOOR_TOPIC = "bench/floor"
STALL_S = 0.05


@contextmanager
def broker() -> Iterator[Mosquitto]:
    with tempfile.TemporaryDirectory() as directory:
        mosquitto = Mosquitto(Path(directory), tls=False, password=False)
        mosquitto.start()
        try:
            yield mosquitto
        finally:
            mosquitto.kill()


@contextmanager
def flooding(port: int, topic: str, rate: float = FLOOD_RATE) -> Iterator[None]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.mqtt_flood", str(port), topic, str(rate)]
    )
    try:
        yield
    finally:
        process.kill()
        process.wait()


def walk(directory: Path) -> Timeline:
    path = directory / "walk.yaml"
    path.write_text('name: "Bench walk"\nitems:\n  - walk: 10:00\n')
    return load_stage(path, RunnerProfile(), TreadmillLimits())


def fast_belt(**overrides: Any) -> Any:
    """The default machine with a belt that starts and stops BELT_SPEEDUP times faster."""
    machine = load_machine("noblepro-elite")
    return load_machine(
        "noblepro-elite",
        acceleration_up_kmh_per_s=machine.acceleration_up_kmh_per_s * BELT_SPEEDUP,
        acceleration_down_kmh_per_s=machine.acceleration_down_kmh_per_s * BELT_SPEEDUP,
        **overrides,
    )


def blocking_client(port: int, identifier: str) -> mqtt.Client:
    """A paho client with no network loop of its own: `publish` writes to the socket before it
    returns, and `loop` reads only when called. Nagle off, as on the bridge's side."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, identifier, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port, keepalive=3600)
    sock = client.socket()
    assert isinstance(sock, socket.socket)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    deadline = time.monotonic() + 5
    while not client.is_connected() and time.monotonic() < deadline:
        client.loop(0.1)
    if not client.is_connected():
        raise RuntimeError(f"{identifier}: no CONNACK from the broker")
    return client


class Floor:
    """Publish → a bare subscriber's callback on the same broker: what Mosquitto, the kernel and
    the scheduler cost alone at that moment. Blocking, a few milliseconds per ping."""

    def __init__(self, port: int) -> None:
        self.sender = blocking_client(port, "bench-floor-sender")
        self.receiver = blocking_client(port, "bench-floor-receiver")
        self._arrived: float | None = None
        self.receiver.on_message = self._on_message
        self.receiver.subscribe(FLOOR_TOPIC, qos=0)
        while not self.ping_ok():  # the subscription is in place once a ping comes back
            pass

    def _on_message(self, client: mqtt.Client, userdata: object, message: Any) -> None:
        self._arrived = time.perf_counter()

    def ping_ok(self) -> bool:
        self._arrived = None
        self.sender.publish(FLOOR_TOPIC, b"ping", qos=0)
        deadline = time.monotonic() + 1
        while self._arrived is None and time.monotonic() < deadline:
            self.receiver.loop(0.1)
        return self._arrived is not None

    def ping_ms(self) -> float | None:
        """None when the ping is lost (QoS 0 through a flood on a loaded machine)."""
        t0 = time.perf_counter()
        if not self.ping_ok():
            return None
        assert self._arrived is not None
        return (self._arrived - t0) * 1000

    def close(self) -> None:
        self.sender.disconnect()
        self.receiver.disconnect()


@dataclass
class Trials:
    total_ms: list[float] = field(default_factory=list)
    to_bridge_ms: list[float] = field(default_factory=list)  # publish → bridge.on_message
    in_bridge_ms: list[float] = field(default_factory=list)  # on_message → Stop bytes
    floor_ms: list[float] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # trials whose session ended before a setpoint
    floor_lost: int = 0  # floor pings lost (QoS 0)
    load: list[float] = field(default_factory=list)  # 1-minute load average, before and after

    def summary(self) -> dict[str, Any]:
        return {
            "total_ms": summary(self.total_ms),
            "publish_to_bridge_ms": summary(self.to_bridge_ms),
            "bridge_to_stop_bytes_ms": summary(self.in_bridge_ms),
            "broker_floor_ms": summary(self.floor_ms),
            "trials_not_run": self.not_run,
            "broker_floor_pings_lost": self.floor_lost,
            "load_1min": self.load,
        }


async def _trials(
    mosquitto: Mosquitto, timeline: Timeline, trials: int, flood: bool, stall_s: float = 0.0
) -> Trials:
    result = Trials(load=[os.getloadavg()[0]])
    settings = MqttSettings(broker=mosquitto.url)
    caps = Caps(max_speed_kmh=10.0, max_incline_pct=5.0)
    stop_topic = TOPICS.command("stop")
    async with (
        simulated_link(telemetry_hz=10.0, profile=fast_belt()) as link,
        SafetyGuard(link.link, settings=GuardSettings(cap_kmh=10.0)) as guard,
    ):
        arrival = StopArrival(link.simulator)
        sim = link.simulator
        bridged = connect_bridge(settings, TOPICS, caps=caps, rules=RULES_FOR_RUN)
        bridge, broker_link = bridged.bridge, bridged.link
        reached: list[float] = []
        handle = bridge.on_message

        def timed(message: aiomqtt.Message) -> None:
            if message.topic.value == stop_topic:
                reached.append(time.perf_counter())
            handle(message)

        bridge.on_message = timed  # type: ignore[method-assign]
        commander = blocking_client(mosquitto.port, "bench-commander")
        floor = Floor(mosquitto.port)
        try:
            async with broker_link:
                await broker_link.wait_connected()
                with flooding(mosquitto.port, TOPICS.command("speed")) if flood else _nothing():
                    for _ in range(trials):
                        session = Session(guard, timeline, on_fault="end")
                        # The first setpoint written and the belt at it: nothing pending, idle.
                        # (Not SetpointConfirmed: that waits seconds to see the belt hold it.)
                        # A session that ends first is counted as not run, never waited on.
                        segment = _first(session, SetpointSent, Finished)
                        bridge.attach(session)
                        run = asyncio.create_task(session.run())
                        async with asyncio.timeout(TRIAL_BOUND_S):
                            first = await segment
                            if isinstance(first, SetpointSent):
                                await sim.wait_for(_at(first.speed_kmh), TRIAL_BOUND_S)
                        if not isinstance(first, SetpointSent):
                            result.not_run.append(type(first).__name__)
                            session.quit("bench: trial not run")
                            await run
                            continue
                        arrived = arrival.arm()
                        reached.clear()
                        if stall_s:  # on purpose: the loop off the CPU while the flood piles up
                            time.sleep(stall_s)  # noqa: ASYNC251
                        t0 = time.perf_counter()
                        commander.publish(stop_topic, b"PRESS", qos=0)
                        t_bytes = await arrived
                        result.total_ms.append((t_bytes - t0) * 1000)
                        result.to_bridge_ms.append((reached[0] - t0) * 1000)
                        result.in_bridge_ms.append((t_bytes - reached[0]) * 1000)
                        await run
                        if (ping := floor.ping_ms()) is None:
                            result.floor_lost += 1
                        else:
                            result.floor_ms.append(ping)
                bridge.close()
        finally:
            commander.disconnect()
            floor.close()
    result.load.append(os.getloadavg()[0])
    return result


def _at(kmh: float) -> Callable[[TreadmillSimulator], bool]:
    return lambda sim: sim.belt_speed_kmh == kmh


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _first(session: Session, *kinds: type[Event]) -> asyncio.Future[Event]:
    seen: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

    def check(event: Event) -> None:
        if isinstance(event, kinds) and not seen.done():
            seen.set_result(event)

    session.subscribe(check)
    return seen


def measure(trials: int = 100) -> dict[str, Any]:
    with broker() as mosquitto, tempfile.TemporaryDirectory() as directory:
        timeline = walk(Path(directory))
        idle = asyncio.run(_trials(mosquitto, timeline, trials, flood=False))
        flood = asyncio.run(_trials(mosquitto, timeline, trials, flood=True))
        stalled = asyncio.run(_trials(mosquitto, timeline, trials, flood=True, stall_s=STALL_S))
    return {
        "idle": idle.summary(),
        "flood": flood.summary(),
        "flood_stalled": stalled.summary(),
        "stall_ms": STALL_S * 1000,
        "idle_ms": summary(idle.total_ms),
        "flood_ms": summary(flood.total_ms),
        "flood_msg_per_s": FLOOD_RATE,
        "telemetry_hz": 10.0,
    }
