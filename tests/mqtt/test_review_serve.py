"""Review of session 13 (serve's idle rules and `start next`): each test is a finding, written
to fail until it is fixed. Real simulator through the production bleak path, real Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from tests.mqtt.conftest import BASE, payload
from tests.mqtt.test_serve import ready_to_start
from tests.support.mosquitto import Mosquitto
from treadlink.records.store import Store, database_path
from treadlink.safety.events import LinkDown
from treadlink.safety.guard import SafetyGuard
from treadlink.session.events import Finished
from treadlink_sim.faults import Fault
from treadlink_sim.treadmill import TreadmillSimulator


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
    """docs/safety.md: "A drop with the belt moving (the console's too) ... is a fault as
    before". `idle_at_rest` judges the belt by the last frame alone, and a running belt that
    reports 0 km/h (a known firmware quirk, debounced everywhere else in the guard) makes a drop
    look like the treadmill going to sleep: no fault, no reconnect, nothing stops the belt."""
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
    """A remote start sets `Service.session` at once, but the session holds its plan only once
    `open_recording` (a thread) returns. A drop in between is judged "idle at rest" by the guard
    (no fault, no reconnect) while the service ignores the LinkDown (a session exists): nobody
    reconnects, ever. The session then fails on the dead link and `serve` stays connected to
    nothing, `B/treadmill` online, every later start refused, until it is restarted."""
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
    """The consequence of the finding above: once the treadmill is back and someone walks from
    its console, `serve` still holds the old guard over the dead link. A remote `stop` is
    accepted, but the guard's stop loop has no link to write on and nothing reconnects it
    (`stop()` never starts reconnecting): the belt runs on while Home Assistant was told "ok"."""
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
    """The same hole at the other end of a session: `run()` lets go of the plan as it returns,
    but `Service.session` stays set until the record is closed (a thread). A drop then, with the
    belt confirmed stopped, is "idle at rest" to the guard (no fault, no reconnect) and ignored
    by the service (a session exists): `serve` is left holding a dead link for good."""
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


async def test_no_remote_start_on_a_console_belt_whose_frames_read_zero(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """The bridge's own belt view follows the frames: a belt walked on the console whose frames
    read 0 km/h looked stopped, and a remote start was accepted onto it. The guard's window of
    frames at rest (the distance unchanged) decides."""
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        await simulator.console_start()
        await watcher.state(lambda s: s["belt"] == "running")
        await simulator.set_fault(Fault.ZERO_SPEED_FRAMES)
        guard = service.guard
        assert guard is not None
        zero_frames = asyncio.Event()
        seen: list[float] = []

        def count(_event: object) -> None:
            if guard.treadmill.state.speed_kmh == 0.0:
                seen.append(asyncio.get_running_loop().time())
                if len(seen) >= 3 and seen[-1] - seen[0] >= 2.0:  # longer than the window
                    zero_frames.set()

        unsubscribe = guard.treadmill.subscribe(count)
        try:
            async with asyncio.timeout(15):
                await zero_frames.wait()
            assert simulator.belt_speed_kmh > 0.5  # the belt runs; only the frames say 0
            answer = await watcher.command("start", '{"stage": "short"}')
            assert not answer["ok"] and "at rest" in answer["reason"], answer
            assert service.sessions == 0
        finally:
            unsubscribe()
            await simulator.clear_fault(Fault.ZERO_SPEED_FRAMES)
            await simulator.console_stop()
