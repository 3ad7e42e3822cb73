"""A guard on the in-process simulator, and what to watch it by: every control-point write as it
arrives at the treadmill (`Wire`), the guard's events (`Recorder`), and small steps (a running
belt, the console walking it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support.events import Recorder
from tests.support.simulated import SimulatedLink, link
from treadlink.ftms.protocol import OpCode
from treadlink.safety.events import (
    BeltStopped,
    Fault,
)
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink_sim.profile import MachineProfile
from treadlink_sim.treadmill import TreadmillSimulator

STOP = bytes([OpCode.STOP_OR_PAUSE, 0x01])


@dataclass
class Wire:
    """Every control-point write, the moment it arrives at the treadmill (loop time, bytes)."""

    sim: TreadmillSimulator
    writes: list[tuple[float, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.sim.add_control_point_listener(lambda data: self.writes.append((loop.time(), data)))

    def ops(self, op: OpCode, since: float = 0.0) -> list[tuple[float, bytes]]:
        return [(at, data) for at, data in self.writes if at >= since and data[:1] == bytes([op])]

    def stops(self, since: float = 0.0) -> list[float]:
        return [at for at, data in self.writes if at >= since and data == STOP]


@dataclass
class Rig:
    connection: SimulatedLink
    guard: SafetyGuard
    events: Recorder
    wire: Wire

    @property
    def sim(self) -> TreadmillSimulator:
        return self.connection.simulator

    async def run_at(self, kmh: float) -> None:
        await self.guard.start()
        await self.guard.set_speed(kmh)
        await self.sim.wait_for(lambda s: s.belt_speed_kmh == kmh, timeout=60)

    def stop_in_the_stack(self) -> bool:
        """The Stop write is in the Bluetooth stack (bumble's GATT client), or already arrived."""
        for connection in self.connection.radio.central.connections.values():
            request = connection.gatt_client.pending_request
            if request is not None and getattr(request, "attribute_value", None) == STOP:
                return True
        return bool(self.wire.stops())

    def restart_alarms(self) -> list[Fault]:
        """The runner told that the stop loop or reconnecting ended early and was restarted."""
        return [e for e in self.events if isinstance(e, Fault) and "restarted" in e.message]

    async def stopped(self) -> None:
        """The guard says the belt is stopped, and the treadmill agrees."""
        # 60 s of fake time: a stop that never comes fails the test fast.
        await self.events.first(lambda e: isinstance(e, BeltStopped), timeout=60)
        assert self.sim.belt_speed_kmh == 0.0
        assert self.guard.belt_stopped


@asynccontextmanager
async def rig(profile: MachineProfile | str | None = None, **settings: Any) -> AsyncIterator[Rig]:
    """A guard with `settings` over the in-process simulator (`profile`: its default if None)."""
    options: dict[str, Any] = {} if profile is None else {"profile": profile}
    async with (
        link(telemetry_hz=4.0, **options) as connection,
        SafetyGuard(connection.link, settings=GuardSettings(**settings)) as guard,
    ):
        events = Recorder()
        guard.subscribe(events)
        wire = Wire(connection.simulator)
        await guard.request_control()
        yield Rig(connection, guard, events, wire)


def faults(r: Rig) -> list[Fault]:
    return [e for e in r.events if isinstance(e, Fault)]


async def walk_from_the_console(r: Rig) -> None:
    await r.sim.console_start()
    await r.sim.wait_for(lambda s: s.belt_speed_kmh > 0.0, timeout=30)
    await asyncio.sleep(1)  # frames of the moving belt reach the guard


async def running_belt(guard: SafetyGuard, kmh: float = 8.5) -> None:
    await guard.request_control()
    await guard.start()
    await guard.set_speed(kmh)


def next_guard_event[E](guard: SafetyGuard, kind: type[E]) -> asyncio.Future[E]:
    """Resolves with the guard's next event of `kind` (subscribe before causing it)."""
    future: asyncio.Future[E] = asyncio.get_running_loop().create_future()

    def on_event(event: object) -> None:
        if isinstance(event, kind) and not future.done():
            future.set_result(event)

    guard.subscribe(on_event)
    return future


def stop_writes(writes: list[tuple[float, bytes]], since: float = 0.0) -> list[float]:
    return [at for at, data in writes if data == STOP and at >= since]


def recording(sim: TreadmillSimulator) -> list[tuple[float, bytes]]:
    writes: list[tuple[float, bytes]] = []
    loop = asyncio.get_running_loop()
    sim.add_control_point_listener(lambda data: writes.append((loop.time(), data)))
    return writes
