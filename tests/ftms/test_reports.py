"""What the FTMS driver reports: full-state telemetry, each machine status once, in the
interface's words, malformed frames dropped without an exception, and the link dropping."""

from __future__ import annotations

import asyncio

import pytest
from bleak.exc import BleakError
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.simulated import commanded, fake_time, link
from treadlink.ftms.control import ProcedureTimeout
from treadlink.ftms.treadmill import FtmsTreadmill
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.errors import LinkLost
from treadlink.treadmill.state import (
    ControlLost,
    Disconnected,
    SafetyKeyBack,
    SafetyKeyPulled,
    StartedOnConsole,
    StoppedOnConsole,
    StopTaken,
    TargetSpeedChanged,
    Telemetry,
    TreadmillEvent,
)
from treadlink_sim.faults import Fault
from treadlink_sim.treadmill import TreadmillSimulator

STATUSES = (
    StoppedOnConsole,
    StartedOnConsole,
    TargetSpeedChanged,
    SafetyKeyPulled,
    SafetyKeyBack,
    ControlLost,
)


class Recorder:
    def __init__(self, treadmill: Treadmill) -> None:
        self.events: list[TreadmillEvent] = []
        self._waiters: list[tuple[type, asyncio.Future[TreadmillEvent]]] = []
        treadmill.subscribe(self._on_event)

    def _on_event(self, event: TreadmillEvent) -> None:
        self.events.append(event)
        for kind, future in self._waiters:
            if isinstance(event, kind) and not future.done():
                future.set_result(event)

    async def next(self, kind: type, timeout: float = 5.0) -> TreadmillEvent:
        future: asyncio.Future[TreadmillEvent] = asyncio.get_running_loop().create_future()
        self._waiters.append((kind, future))
        async with asyncio.timeout(timeout):
            return await future

    def statuses(self) -> list[TreadmillEvent]:
        """The status events, without their times."""
        return [
            type(e)(0.0, *[getattr(e, f) for f in e.__dataclass_fields__ if f != "at"])
            for e in self.events
            if isinstance(e, STATUSES)
        ]


@fake_time
async def test_telemetry_carries_the_whole_state() -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await controlled.start()
        await controlled.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=30)
        recorder = Recorder(controlled)
        event = await recorder.next(Telemetry)
        assert isinstance(event, Telemetry)
        state = event.state
        assert state.speed_kmh == 6.0
        assert state.distance_m is not None and state.distance_m > 0
        assert state.incline_pct == 0.0
        assert state.elapsed_time_s is not None and state.elapsed_time_s > 0
        assert state.heart_rate_bpm is not None and state.step_count is not None


async def test_each_status_is_reported_once(controlled: Treadmill, sim: TreadmillSimulator) -> None:
    recorder = Recorder(controlled)
    await controlled.start()
    await controlled.set_speed(7.0)
    await controlled.stop()
    await recorder.next(StoppedOnConsole)  # the stop's status may trail its response
    # FTMS says "by the user" for our own commands too: the guard tells ours apart by time.
    assert recorder.statuses() == [
        StartedOnConsole(0.0),
        TargetSpeedChanged(0.0, 7.0),
        StoppedOnConsole(0.0, paused=False),
    ]
    assert [e for e in recorder.events if isinstance(e, StopTaken)]


async def test_console_and_safety_key_statuses(
    controlled: Treadmill, sim: TreadmillSimulator
) -> None:
    recorder = Recorder(controlled)
    await sim.console_pause()
    paused = await recorder.next(StoppedOnConsole)
    assert isinstance(paused, StoppedOnConsole) and paused.paused
    await sim.set_fault(Fault.SAFETY_KEY)
    assert isinstance(await recorder.next(SafetyKeyPulled), SafetyKeyPulled)
    await sim.clear_fault(Fault.SAFETY_KEY)  # the console leaves post-workout: key back
    assert isinstance(await recorder.next(SafetyKeyBack), SafetyKeyBack)
    await sim.set_fault(Fault.CONTROL_TAKEN)
    assert isinstance(await recorder.next(ControlLost), ControlLost)


@fake_time
@pytest.mark.parametrize("fault", [Fault.TRUNCATED_TREADMILL_DATA, Fault.EMPTY_MACHINE_STATUS])
async def test_malformed_notifications_are_dropped_and_the_link_carries_on(fault: Fault) -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await sim.set_fault(fault)
        recorder = Recorder(controlled)
        await controlled.start()
        await controlled.set_speed(5.0)
        await asyncio.sleep(1.0)  # fake time: four telemetry periods at 4 Hz
        assert controlled.frames_dropped >= (4 if fault is Fault.TRUNCATED_TREADMILL_DATA else 2)
        if fault is Fault.TRUNCATED_TREADMILL_DATA:
            assert not any(isinstance(e, Telemetry) for e in recorder.events)
        else:
            assert recorder.statuses() == []
        await sim.clear_fault(fault)
        assert isinstance(await recorder.next(Telemetry), Telemetry)
        await controlled.stop()


@fake_time
async def test_trailing_bytes_do_not_cost_the_frame() -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await sim.set_fault(Fault.TRAILING_BYTES)
        recorder = Recorder(controlled)
        event = await recorder.next(Telemetry)
        assert isinstance(event, Telemetry)
        assert controlled.frames_dropped == 0


@fake_time
async def test_a_garbage_indication_is_dropped_and_the_procedure_times_out() -> None:
    async with link() as connection:
        controlled, sim = commanded(connection.treadmill), connection.simulator
        await controlled.request_control()
        await sim.set_fault(Fault.GARBAGE_INDICATION)
        with pytest.raises(ProcedureTimeout):
            await controlled.start()
        await sim.clear_fault(Fault.GARBAGE_INDICATION)
        await controlled.stop()
        assert sim.stopped


async def test_link_drop_is_reported_and_fails_what_is_in_flight(
    controlled: Treadmill, sim: TreadmillSimulator
) -> None:
    recorder = Recorder(controlled)
    await controlled.start()
    await sim.set_fault(Fault.INDICATIONS_LOST)
    pending = asyncio.ensure_future(controlled.set_speed(9.0))
    gone = asyncio.ensure_future(recorder.next(Disconnected))
    await sim.wait_for(lambda s: s.target_speed_kmh == 9.0)
    await sim.drop_link()
    event = await gone
    assert isinstance(event, Disconnected) and not event.solicited
    with pytest.raises(LinkLost):
        await pending
    assert not controlled.is_connected
    with pytest.raises(LinkLost):
        await controlled.stop()
    # As real belts may, the simulated one keeps running with nobody connected.
    assert sim.running


@given(st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_no_notification_raises_out_of_the_callbacks(data: bytes) -> None:
    """Whatever bytes arrive on any characteristic, the bleak callback returns normally."""
    seen: list[TreadmillEvent] = []

    async def feed() -> None:
        treadmill = FtmsTreadmill("x", "F0:F0:F0:F0:F0:01")
        treadmill.subscribe(seen.append)
        treadmill.on_treadmill_data(data)
        treadmill.on_machine_status(data)
        treadmill.on_training_status(data)
        treadmill.on_control_point(data)

    asyncio.run(feed())
    assert all(isinstance(e, (Telemetry, StopTaken, *STATUSES)) for e in seen)


@fake_time
async def test_a_link_dropped_as_it_is_made_fails_the_connect_at_once() -> None:
    async with link() as connection:
        sim = connection.simulator
        await sim.set_fault(Fault.LINK_REFUSED)  # drops us, and every new link as it is made
        await sim.wait_for(lambda s: not s.connected, timeout=5)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        # bleak's own error, as on the OS's stack: not a cancellation of the caller, which
        # nobody cancelled, and not the 30 s wait for a GATT answer on a link that is gone.
        with pytest.raises(BleakError):
            await connection.link.connect()
        assert loop.time() - t0 < 1.0  # fake time: the advertising interval, not a timeout
        assert [c.refused for c in sim.connection_log] == [False, True]
        assert not connection.link.is_connected
        await sim.clear_fault(Fault.LINK_REFUSED)
        await connection.link.connect()
        assert connection.link.is_connected and sim.connected
