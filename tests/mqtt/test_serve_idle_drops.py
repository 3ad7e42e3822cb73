"""`treadlink serve` and link drops while idle: a drop with the console's belt moving is a fault
even when its frames read 0 km/h, and a treadmill lost while a session's record opens or closes
is looked for again, so a later remote stop still reaches the belt. Real simulator through the
production bleak path, real Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import BASE, payload
from tests.support.serving import ready_to_start
from treadlink.records.store import Store, database_path
from treadlink.safety.events import LinkDown
from treadlink.safety.guard import SafetyGuard
from treadlink.session.events import Finished
from treadlink_sim.faults import Fault
from treadlink_sim.treadmill import TreadmillSimulator

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def history_connection() -> Iterator[sqlite3.Connection]:
    """A second connection to the history: `BEGIN EXCLUSIVE` on it holds serve's record back
    (busy timeout 10 s), as another process writing would. Rolled back and closed at the end."""
    with Store.open(database_path()):
        pass  # the history exists, so a lock on it holds its writer back
    history = sqlite3.connect(database_path(), isolation_level=None)
    try:
        yield history
    finally:
        if history.in_transaction:
            history.execute("ROLLBACK")
        history.close()


async def drop_the_link(guard: SafetyGuard, simulator: TreadmillSimulator) -> None:
    """The treadmill's link drops; returns once the guard has heard of it."""
    dropped = asyncio.Event()
    unsubscribe = guard.subscribe(lambda e: dropped.set() if isinstance(e, LinkDown) else None)
    try:
        await simulator.set_fault(Fault.LINK_LOST)
        async with asyncio.timeout(10):
            await dropped.wait()
    finally:
        unsubscribe()


async def test_an_idle_drop_of_a_console_belt_reading_zero_is_still_a_fault(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """docs/safety.md: "A drop with the belt moving (the console's too) ... is a fault as before",
    also when the running belt's frames read 0 km/h (a known firmware quirk)."""
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        await simulator.console_start()
        await watcher.state(lambda s: s["belt"] == "running")
        await simulator.set_fault(Fault.ZERO_SPEED_FRAMES)
        guard = service.guard
        assert guard is not None
        zero = asyncio.Event()
        unsubscribe = guard.treadmill.subscribe(
            lambda _e: zero.set() if guard.treadmill.state.speed_kmh == 0.0 else None
        )
        try:
            async with asyncio.timeout(10):
                await zero.wait()
        finally:
            unsubscribe()
        assert simulator.belt_speed_kmh > 0.5  # the belt runs; only the frames say 0
        mark = len(watcher.messages)
        try:
            await simulator.set_fault(Fault.LINK_LOST)
            message = await watcher.expect(
                f"{BASE}/event", lambda m: payload(m)["event"] == "fault", after=mark
            )
            assert payload(message)["fault"] == "link_dropped"
        finally:
            await simulator.clear_fault(Fault.ZERO_SPEED_FRAMES)
            await simulator.clear_fault(Fault.LINK_LOST)
            await simulator.console_stop()


async def test_an_idle_drop_while_a_remote_start_is_being_recorded_is_looked_for_again(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """A drop after a remote start but before the session holds its plan (its record is still
    being opened, in a thread): `serve` says the treadmill is offline and finds it again."""
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        guard = service.guard
        assert guard is not None
        with history_connection() as history:
            history.execute("BEGIN EXCLUSIVE")  # open_recording waits
            answer = await watcher.command("start", '{"stage": "short"}')
            assert answer["ok"], answer
            mark = len(watcher.messages)
            await drop_the_link(guard, simulator)
        await simulator.clear_fault(Fault.LINK_LOST)
        await service._session_done()
        assert simulator.stopped
        # The treadmill was lost: serve says so and looks for it again (or the guard reconnects).
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"offline", after=mark)
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online", after=mark)
        assert service.guard is not None and service.guard.link_up


async def test_a_remote_stop_after_a_drop_during_a_remote_start_reaches_the_belt(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """After a drop during a remote start, once the treadmill is back and someone walks from its
    console, a remote `stop` is accepted and reaches the belt."""
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        guard = service.guard
        assert guard is not None
        with history_connection() as history:
            history.execute("BEGIN EXCLUSIVE")
            assert (await watcher.command("start", '{"stage": "short"}'))["ok"]
            await drop_the_link(guard, simulator)
        mark = len(watcher.messages)
        await simulator.clear_fault(Fault.LINK_LOST)
        await service._session_done()
        # The treadmill is back (serve found it again); someone walks from the console.
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online", after=mark)
        await simulator.console_start()
        await simulator.wait_for(lambda s: s.belt_speed_kmh > 0.5, timeout=30)
        try:
            answer = await watcher.command("stop")
            assert answer["ok"], answer
            await simulator.wait_for(lambda s: s.stopped, timeout=20)  # the simulator's belt
        finally:
            await simulator.console_stop()


async def test_an_idle_drop_while_a_finished_session_is_being_recorded_is_looked_for_again(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """A drop after the session has let go of its plan but before its record is closed (a thread),
    with the belt confirmed stopped: `serve` says the treadmill is offline and finds it again."""
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        with history_connection() as history:
            assert (await watcher.command("start", '{"stage": "short"}'))["ok"]
            session, guard = service.session, service.guard
            assert session is not None and guard is not None
            finished = asyncio.Event()

            def on_session(event: object) -> None:
                if isinstance(event, Finished) and not finished.is_set():
                    history.execute("BEGIN EXCLUSIVE")  # the record's end waits
                    finished.set()

            session.subscribe(on_session)
            async with asyncio.timeout(60):
                await finished.wait()
            assert simulator.stopped
            mark = len(watcher.messages)
            await drop_the_link(guard, simulator)
        await simulator.clear_fault(Fault.LINK_LOST)
        await service._session_done()
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"offline", after=mark)
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online", after=mark)
        assert service.guard is not None and service.guard.link_up
