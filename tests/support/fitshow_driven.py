"""The FitShow driver held by the test itself: its Commands, every event it says, and every
frame it wrote, against the in-process simulator through the production bleak path.

No guard in between: these are tests of the driver's own contract (what a command waits for,
what a status means), which the guard would otherwise paper over by judging the polls itself.
Build it inside a `@fake_time` test (see tests.support.simulated).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tests.support.simulated import Link, link
from treadlink.fitshow.driver import FitShowCommands, FitShowTreadmill
from treadlink.fitshow.protocol import BeltState
from treadlink.fitshow.requests import Request, StatusRequest, decode_request
from treadlink.safety.guard import SafetyGuard
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink_sim.profile import MachineProfile
from treadlink_sim.treadmill import TreadmillSimulator


@dataclass
class Heard:
    """What the driver said, each event with the belt state the driver held when it said it."""

    events: list[tuple[TreadmillEvent, BeltState | None]] = field(default_factory=list)
    _waiters: list[tuple[Callable[[TreadmillEvent], bool], asyncio.Future[None]]] = field(
        default_factory=list
    )

    def of[E](self, kind: type[E]) -> list[E]:
        return [e for e, _ in self.events if isinstance(e, kind)]

    def kinds(self) -> list[type]:
        """The events other than telemetry, in order."""
        return [type(e) for e, _ in self.events if not isinstance(e, Telemetry)]

    async def first(self, predicate: Callable[[TreadmillEvent], bool], timeout: float) -> None:
        if any(predicate(e) for e, _ in self.events):
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        async with asyncio.timeout(timeout):
            await future

    async def polls(self, count: int, timeout: float = 10.0) -> None:
        """Wait until `count` more status replies have been read."""
        target = len(self.of(Telemetry)) + count
        await self.first(lambda _: len(self.of(Telemetry)) >= target, timeout)


@dataclass
class Driven:
    connection: Link
    treadmill: FitShowTreadmill
    commands: FitShowCommands
    heard: Heard
    writes: list[tuple[float, Request]]  # (loop time, request) of every write but the polls
    arrived: asyncio.Event  # set at every write that arrives (cleared by `arrival`)

    async def arrival(self, request: Request, timeout: float = 5.0) -> None:
        """Wait until the simulator has received `request` (a write without response arrives
        a moment after the driver wrote it)."""
        async with asyncio.timeout(timeout):
            while request not in self.written(type(request)):
                self.arrived.clear()
                await self.arrived.wait()

    @property
    def sim(self) -> TreadmillSimulator:
        return self.connection.simulator

    def written[R](self, kind: type[R]) -> list[R]:
        return [r for _, r in self.writes if isinstance(r, kind)]

    async def belt(self, *states: BeltState, timeout: float = 30.0) -> None:
        """Wait until the console shows one of `states` (the simulator's word)."""
        await self.sim.wait_for(lambda s: s.console_state in states, timeout=timeout)

    async def polled(self, *states: BeltState, timeout: float = 30.0) -> None:
        """Wait until the driver has read one of `states` in a poll."""
        await self.heard.first(lambda _: self.treadmill.belt in states, timeout)


@asynccontextmanager
async def driven(
    profile: str | MachineProfile = "noblepro-e8i", *, procedure_timeout: float = 2.0
) -> AsyncIterator[Driven]:
    """`profile` connected as FitShow (a dual-mode unit too)."""
    async with link(
        profile=profile,
        telemetry_hz=4.0,
        procedure_timeout=procedure_timeout,
        protocol="fitshow",
    ) as connection:
        treadmill = connection.treadmill
        assert isinstance(treadmill, FitShowTreadmill)
        heard = Heard()

        def hear(event: TreadmillEvent) -> None:
            heard.events.append((event, treadmill.belt))
            for predicate, future in heard._waiters:
                if not future.done() and predicate(event):
                    future.set_result(None)

        commands = treadmill.take_control(hear)
        assert isinstance(commands, FitShowCommands)
        writes: list[tuple[float, Request]] = []
        arrived = asyncio.Event()
        loop = asyncio.get_running_loop()

        def wrote(data: bytes) -> None:
            request = decode_request(data)
            if not isinstance(request, StatusRequest):
                writes.append((loop.time(), request))
                arrived.set()

        connection.simulator.add_control_point_listener(wrote)
        await heard.polls(1)  # the first poll read: the driver knows the belt's state
        yield Driven(connection, treadmill, commands, heard, writes, arrived)


async def guard_runs_the_belt(
    sim: TreadmillSimulator, guard: SafetyGuard, kmh: float = 6.0, *, take_control: bool = True
) -> None:
    """Through the guard: control (unless `take_control` is False), start, then `kmh`; returns
    once the simulated belt runs at it."""
    if take_control:
        await guard.request_control()
    await guard.start()
    await sim.wait_for(lambda s: s.console_state == BeltState.RUNNING, timeout=30)
    await guard.set_speed(kmh)
    await sim.wait_for(lambda s: s.belt_speed_kmh == kmh, timeout=30)
