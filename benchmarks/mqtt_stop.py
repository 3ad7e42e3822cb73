"""MQTT stop latency: from the publish of `B/command/stop` by a client to the Stop bytes arriving
at the simulated treadmill, through a real Mosquitto on 127.0.0.1, with telemetry at 10 Hz.

Each trial is a session that has just started its first segment, stopped over MQTT. Trials run
idle and while a separate process floods the bridge with 1,000 unreadable commands a second
(each answered on `B/result`, so the bridge carries the flood both ways).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiomqtt
from tests.mqtt.broker import Mosquitto

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
from treadlink.session.events import Event, SetpointConfirmed
from treadlink_sim.profile import load_profile as load_machine

FLOOD_RATE = 1000.0
BELT_SPEEDUP = 20.0  # the belt starts and stops in a blink, so trials are quick
TOPICS = Topics("treadlink", "bench")


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


def fast_belt() -> Any:
    machine = load_machine("noblepro-elite")
    return load_machine(
        "noblepro-elite",
        acceleration_up_kmh_per_s=machine.acceleration_up_kmh_per_s * BELT_SPEEDUP,
        acceleration_down_kmh_per_s=machine.acceleration_down_kmh_per_s * BELT_SPEEDUP,
    )


async def _trials(
    mosquitto: Mosquitto, timeline: Timeline, trials: int, flood: bool
) -> list[float]:
    latencies: list[float] = []
    settings = MqttSettings(broker=mosquitto.url)
    caps = Caps(max_speed_kmh=10.0, max_incline_pct=5.0)
    async with (
        simulated_link(telemetry_hz=10.0, profile=fast_belt()) as link,
        SafetyGuard(link.link, settings=GuardSettings(cap_kmh=10.0)) as guard,
    ):
        arrival = StopArrival(link.simulator)
        bridged = connect_bridge(settings, TOPICS, caps=caps, rules=RULES_FOR_RUN)
        bridge, broker_link = bridged.bridge, bridged.link
        async with (
            broker_link,
            aiomqtt.Client("127.0.0.1", mosquitto.port, identifier="bench-commander") as client,
        ):
            await broker_link.wait_connected()
            with flooding(mosquitto.port, TOPICS.command("speed")) if flood else _nothing():
                for _ in range(trials):
                    session = Session(guard, timeline, on_fault="end")
                    segment = _first(session, SetpointConfirmed)  # nothing pending: idle
                    bridge.attach(session)
                    run = asyncio.create_task(session.run())
                    await segment
                    arrived = arrival.arm()
                    t0 = time.perf_counter()
                    await client.publish(TOPICS.command("stop"), b"PRESS")
                    latencies.append((await arrived - t0) * 1000)
                    await run
            bridge.close()
    return latencies


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _first(session: Session, kind: type[Event]) -> asyncio.Future[None]:
    seen: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check(event: Event) -> None:
        if isinstance(event, kind) and not seen.done():
            seen.set_result(None)

    session.subscribe(check)
    return seen


def measure(trials: int = 100) -> dict[str, Any]:
    with broker() as mosquitto, tempfile.TemporaryDirectory() as directory:
        timeline = walk(Path(directory))
        idle = asyncio.run(_trials(mosquitto, timeline, trials, flood=False))
        flood = asyncio.run(_trials(mosquitto, timeline, trials, flood=True))
    return {
        "idle_ms": summary(idle),
        "flood_ms": summary(flood),
        "flood_msg_per_s": FLOOD_RATE,
        "telemetry_hz": 10.0,
    }
