"""The guard's stop loop: the Stop is on its way before anyone hears of the fault, written again
every 0.25 s until the belt is stopped, one loop whatever else asks for a stop, outliving any
error from the write, started again if it ends early, and no false alarm when it ends as it
should. Through the real simulator and the production bleak path, in fake time; what reached
the treadmill is read from the simulator."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.support.guard import (
    STOP,
    recording,
    rig,
    running_belt,
    stop_writes,
)
from tests.support.simulated import fake_time, link
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_stop_is_rewritten_every_quarter_second_when_the_treadmill_is_silent() -> None:
    """Each Stop attempt has its own 0.25 s timeout, not the 2 s procedure timeout: with nothing
    answered, a Stop goes out every quarter second."""
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link) as guard:
        writes = recording(c.simulator)
        await running_belt(guard)
        await c.simulator.set_fault(SimFault.INDICATIONS_LOST)
        await c.simulator.set_fault(SimFault.TELEMETRY_SILENT)  # nothing can confirm the stop
        t0 = asyncio.get_running_loop().time()
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(10)
        times = stop_writes(writes, t0)
        assert 39 <= len(times) <= 41, len(times)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) == pytest.approx(0.25, abs=0.02)
        assert not guard.belt_stopped
        for fault in (SimFault.TELEMETRY_SILENT, SimFault.INDICATIONS_LOST):
            await c.simulator.clear_fault(fault)
        assert await guard.wait_belt_stopped(30)


@fake_time
async def test_the_stop_loop_outlives_any_exception_from_the_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An OSError from the write (a dying transport) never ends the stop loop."""
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link) as guard:
        writes = recording(c.simulator)
        await running_belt(guard)
        real_write = c.link.write
        failures = 0

        async def flaky(uuid: int, data: bytes, *, response: bool) -> None:
            nonlocal failures
            if data == STOP and failures < 6:
                failures += 1
                raise OSError(5, "Input/output error")
            await real_write(uuid, data, response=response)

        monkeypatch.setattr(c.link, "write", flaky)
        t0 = asyncio.get_running_loop().time()
        guard.trip(FaultKind.STOP_INPUT, "test")
        assert await guard.wait_belt_stopped(30)
        assert failures == 6
        assert stop_writes(writes, t0), "the stop reached the treadmill after the errors"
        assert c.simulator.belt_speed_kmh == 0.0


@fake_time
async def test_stop_bytes_are_on_their_way_before_any_listener_hears_of_the_fault() -> None:
    """The stop task is eager: its first write has begun before the Fault event goes out."""
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link) as guard:
        await running_belt(guard)
        started: list[int] = []
        guard.subscribe(
            lambda e: started.append(guard._stop.writes) if isinstance(e, Fault) else None
        )
        guard.trip(FaultKind.STOP_INPUT, "test")
        assert started == [1]
        assert await guard.wait_belt_stopped(30)


@fake_time
async def test_a_stop_loop_cancelled_from_outside_is_started_again() -> None:
    """A CancelledError that escapes one Stop attempt (a Bluetooth stack that cancels the pending
    write when the link drops) does not end stopping: the loop is started again and keeps writing
    the Stop."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        await guard.request_control()
        await guard.start()
        await guard.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.0)
        await sim.set_fault(SimFault.CONTROL_FAILING)  # every Stop refused: the loop goes on
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(1.0)
        task = guard._stop.loop_task
        assert task is not None and not task.done()
        task.cancel()
        cancelled_at = asyncio.get_running_loop().time()
        await asyncio.sleep(3.0)
        assert guard.stopping
        stops = [r for r in sim.control_point_log if r.at > cancelled_at and r.data == b"\x08\x01"]
        await sim.clear_fault(SimFault.CONTROL_FAILING)
        guard.stop("end of test")
        await guard.wait_belt_stopped(timeout=30)
    assert len(stops) >= 8, f"{len(stops)} Stop writes in the 3 s after the loop was cancelled"


@fake_time
async def test_a_new_stop_right_after_the_last_one_ended_raises_no_false_alarm() -> None:
    """A stop asked for between the old stop loop's return and its done callback starts a new loop;
    the old loop, which ended as it should, is not reported as "stop loop restarted"."""

    async with rig() as r:
        await r.run_at(6.0)
        r.guard.trip(FaultKind.STOP_INPUT, "first press")
        old = r.guard._stop.loop_task
        assert old is not None
        await r.stopped()
        async with asyncio.timeout(10):
            # Polled a loop turn at a time on purpose: the stop must come after the loop's
            # return and before its done callback, which awaiting the task cannot do.
            while not old.done():  # noqa: ASYNC110
                await asyncio.sleep(0)
        r.guard.trip(FaultKind.STOP_INPUT, "second press")
        async with asyncio.timeout(60):
            await r.guard.wait_belt_stopped()
        alarms = r.restart_alarms()
    assert not alarms, f"false alarm: {alarms}"


@fake_time
async def test_stop_refused_and_control_refused_keep_the_stop_loop_going() -> None:
    """Another device holds control: every Stop is answered 05 (control not permitted) and the
    Request Control sent to get it back is refused too. That refusal is part of an attempt;
    it must not end the stop loop (which would then be restarted with a false alarm)."""

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.CONTROL_TAKEN)
        t = asyncio.get_running_loop().time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(3.0)
        alarms = r.restart_alarms()
        stops = r.wire.stops(t)
    assert not alarms, f"the stop loop died on a refused Request Control: {alarms}"
    assert len(stops) >= 10, f"{len(stops)} Stop writes in 3 s"


@fake_time
async def test_more_stop_presses_while_stopping_keep_one_cadence() -> None:
    """One stop loop at a time: every press (the space bar again, MQTT stop, a second fault)
    while the belt is being stopped joins the loop under way; a second loop would double the
    writes and break the 0.25 s cadence."""
    import itertools

    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)  # every Stop answered 04: stopping goes on
        t0 = asyncio.get_running_loop().time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        for _ in range(3):
            await asyncio.sleep(0.6)
            r.guard.stop("MQTT stop")
            r.guard.trip(FaultKind.COMMAND_FAILED, "another fault")
        await asyncio.sleep(3.0 - 1.8)
        stops = r.wire.stops(t0)
        gaps = [b - a for a, b in itertools.pairwise(stops)]
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)
    assert len(stops) == pytest.approx(3.0 / 0.25, abs=1), stops
    assert min(gaps) > 0.2, gaps


@fake_time
async def test_unanswered_stops_raise_no_false_alarm() -> None:
    """Indications lost: every Stop attempt times out ("not answered"). That is the loop's own
    business, logged once; it must not end the loop and be reported as a restart."""

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.INDICATIONS_LOST)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(3.0)
        alarms = r.restart_alarms()
        await r.sim.clear_fault(SimFault.INDICATIONS_LOST)
    assert not alarms, alarms
