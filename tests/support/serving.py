"""`treadlink serve` in-process on the simulator, with a real broker, and watched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.support.history import PLAN as RETURN_TO_RUN_PLAN
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import PROFILE, TOPICS, Watcher, faster_machine, watching
from treadlink.app.connection import Target
from treadlink.ble.bumble.radio import BumbleRadio
from treadlink.mqtt.service import ServeOptions, Service
from treadlink.mqtt.settings import MqttSettings
from treadlink_sim.treadmill import TreadmillSimulator

SHORT = 'name: "Short"\nitems:\n  - walk: 1:00\n  - run: 1:00\n'


@asynccontextmanager
async def serving(
    broker: Mosquitto, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Service, TreadmillSimulator]]:
    workouts = tmp_path / "workouts"
    workouts.mkdir(exist_ok=True)
    (workouts / "short.yaml").write_text(SHORT)
    mqtt = MqttSettings(broker=broker.url, workouts=workouts, **settings)
    options = ServeOptions(Target(speedup=10, scan_timeout_s=1.0), reconnect_s=(0.05, 0.2))
    async with BumbleRadio(profile=faster_machine(10)) as radio:
        assert radio.simulator is not None
        service = Service(radio, mqtt, PROFILE, TOPICS, options)
        task = asyncio.create_task(service.run())
        try:
            await service.bridged.link.wait_connected()
            yield service, radio.simulator
        finally:
            service.terminate("test over")
            assert await task  # every stop it asked for was confirmed


@asynccontextmanager
async def ready_to_start(
    broker: Mosquitto, tmp_path: Path
) -> AsyncIterator[tuple[Watcher, Service, TreadmillSimulator]]:
    """`serve` with remote start allowed, watched, once it says a start would be accepted."""
    async with (
        watching(broker.url) as watcher,
        serving(broker, tmp_path, allow_remote_start=True) as (service, simulator),
    ):
        await watcher.state(lambda s: s["remote_start"])
        yield watcher, service, simulator


MINI_STAGE = 'name: "{name}"\nitems:\n  - walk: 0:20\n  - run: 0:10\n'


def mini_plan(workouts: Path) -> Path:
    """Three tiny stages and the return-to-run rules, in the workouts directory."""
    workouts.mkdir(exist_ok=True)
    for name in ("one", "two", "three"):
        (workouts / f"{name}.yaml").write_text(MINI_STAGE.format(name=name.title()))
    rules = RETURN_TO_RUN_PLAN.read_text().split("progression:", 1)[1]
    plan = workouts / "plan.yaml"
    plan.write_text(f"name: Mini\nstages: [one.yaml, two.yaml, three.yaml]\nprogression:{rules}")
    return plan
