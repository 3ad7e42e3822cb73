"""The guard's promises one at a time, against the simulator in fake time, each checked where it
matters: at the treadmill (what reached its control point, what its belt did).

Each test fails deterministically when the promise it names is broken (`make mutate` checks that
for the safety core: see docs/safety.md).
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from tests.support.guard import faults, rig, walk_from_the_console
from tests.support.simulated import fake_time
from treadlink.ftms.protocol import OpCode
from treadlink.safety.events import (
    Acknowledged,
    BeltMoving,
    BeltStopped,
    ConsoleStop,
    Fault,
    GuardEvent,
    LinkDown,
    Reconnected,
    StopAccepted,
    StopRequested,
    StopUnconfirmed,
)
from treadlink.safety.faults import FaultKind, InterlockError
from treadlink.safety.guard import GuardSettings
from treadlink_sim.faults import Fault as SimFault


# --- stop wins -------------------------------------------------------------------------------
@fake_time
async def test_the_stop_reaches_the_treadmill_before_any_listener_hears_of_the_fault() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        heard: list[tuple[str, bool]] = []

        def listener(event: GuardEvent) -> None:
            if isinstance(event, Fault | StopRequested):
                heard.append((event.kind, r.stop_in_the_stack()))

        unsubscribe = r.guard.subscribe(listener)
        assert not r.stop_in_the_stack()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        unsubscribe()
        assert [kind for kind, _ in heard] == ["stop_requested", "fault"]
        # Every listener (a display, the disk) hears of it after the Bluetooth stack has the
        # Stop write in hand.
        assert all(in_stack for _, in_stack in heard), heard
        await r.stopped()


@fake_time
async def test_an_unanswered_stop_is_written_again_every_quarter_second(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="treadlink.safety")
    async with rig() as r:  # the default settings: the cadence is part of the contract
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)  # every procedure answered 04, Stop too
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(3.0)
        stops = r.wire.stops(t0)
        gaps = [b - a for a, b in itertools.pairwise(stops)]
        assert stops[0] == pytest.approx(t0, abs=0.01)  # at once
        assert len(stops) == pytest.approx(3.0 / 0.25, abs=1)
        assert gaps == pytest.approx([0.25] * len(gaps), abs=0.02)
        assert not r.guard.stop_accepted
        # The log hears of the refusal loudly once, not twelve times (StopUnconfirmed goes on
        # telling the runner).
        refusals = [rec for rec in caplog.records if rec.getMessage().startswith("stop refused")]
        assert [rec.levelno for rec in refusals] == [logging.WARNING] + [logging.DEBUG] * (
            len(stops) - 1
        )
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)
        await r.stopped()
        # Accepted once, though every later attempt was answered with success too.
        assert len([e for e in r.events if isinstance(e, StopAccepted)]) == 1
        # An attempt already under way may still land (its 0xFE retries); none starts after.
        done = loop.time() + 0.25
        await asyncio.sleep(5)
        assert r.wire.stops(done) == [], "Stop written again after the belt was seen stopped"


@fake_time
async def test_a_stop_that_times_out_is_written_again_within_the_retry_interval() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.INDICATIONS_LOST)  # the belt obeys, no answer comes
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(1.0)
        stops = r.wire.stops(t0)
        # Each attempt gives up after stop_retry_s, not the 2 s procedure timeout.
        assert len(stops) >= 4, stops
        # The treadmill's status 02 after our Stop is its word that it accepted it.
        accepted = await r.events.first(lambda e: isinstance(e, StopAccepted), timeout=30)
        assert isinstance(accepted, StopAccepted)
        assert accepted.how == "status stopped by user"
        await r.stopped()


# --- acknowledging ---------------------------------------------------------------------------
@fake_time
async def test_no_acknowledgement_while_the_treadmill_has_not_accepted_the_stop() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(5)
        verdict = r.guard.acknowledge()
        assert not verdict
        # The runner is told what to do, in these words.
        assert verdict.reason == (
            "the treadmill has not accepted the stop: use its stop button or safety key"
        )
        assert r.guard.latched is FaultKind.STOP_INPUT
        assert r.sim.belt_speed_kmh == 8.0
        with pytest.raises(InterlockError):
            await r.guard.start()


@fake_time
async def test_no_acknowledgement_while_the_belt_is_not_seen_standing_still() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.events.first(lambda e: isinstance(e, StopAccepted), timeout=30)
        assert r.sim.belt_speed_kmh > 0.0
        verdict = r.guard.acknowledge()
        assert not verdict
        assert verdict.reason == "the belt has not been seen standing still yet"
        assert r.guard.latched is FaultKind.STOP_INPUT
        await r.stopped()
        assert r.guard.acknowledge()


@fake_time
async def test_no_acknowledgement_while_the_treadmill_is_not_connected() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.stopped()
        await r.sim.set_fault(SimFault.LINK_LOST)  # out of range: not advertising either
        await r.events.first(
            lambda e: isinstance(e, Fault) and e.fault == "link_dropped", timeout=30
        )
        await asyncio.sleep(5)
        verdict = r.guard.acknowledge()
        assert not verdict
        assert verdict.reason == "the treadmill is not connected, so it cannot be watched"
        assert r.guard.latched is FaultKind.STOP_INPUT


@fake_time
async def test_no_acknowledgement_while_the_safety_key_is_out() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.SAFETY_KEY)
        await r.stopped()
        await asyncio.sleep(5)
        verdict = r.guard.acknowledge()
        assert not verdict
        assert verdict.reason == "the safety key is out: put it back first"
        await r.sim.clear_fault(SimFault.SAFETY_KEY)
        await asyncio.sleep(1)
        assert r.guard.acknowledge()
        ack = await r.events.first(lambda e: isinstance(e, Acknowledged), timeout=30)
        assert isinstance(ack, Acknowledged)
        assert ack.fault == "safety_key"
        assert ack.at == asyncio.get_running_loop().time()


@fake_time
async def test_nothing_to_acknowledge_without_a_fault() -> None:
    async with rig() as r:
        verdict = r.guard.acknowledge()
        assert not verdict
        assert verdict.reason == "no fault to acknowledge"
        assert not [e for e in r.events if isinstance(e, Acknowledged)]


# --- the latch and the ease-in ---------------------------------------------------------------
@fake_time
async def test_while_latched_no_incline_reaches_the_treadmill_even_with_the_belt_stopped() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.guard.set_incline(2.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.stopped()
        assert not r.guard.stopping  # the stop is over; only the latch holds now
        t0 = asyncio.get_running_loop().time()
        for pct in (4.0, 2.0, 0.0):  # steeper, the same, lower: nothing goes out
            latched = "latched after stop input; acknowledge at the laptop"
            with pytest.raises(InterlockError, match=latched):
                await r.guard.set_incline(pct)
            assert r.guard.refusal(incline_pct=pct) is not None
        assert r.wire.ops(OpCode.SET_TARGET_INCLINATION, t0) == []
        assert r.sim.target_incline_pct == 2.0


@fake_time
async def test_after_an_acknowledgement_the_first_speed_is_not_above_the_belts() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.stopped()
        assert r.guard.acknowledge()
        t0 = asyncio.get_running_loop().time()
        # The interlock itself refuses, whatever the session would have asked.
        with pytest.raises(InterlockError, match="must not exceed the belt's"):
            await r.guard.set_speed(8.0)
        assert r.wire.ops(OpCode.SET_TARGET_SPEED, t0) == []
        await r.guard.start()  # the treadmill's own lowest speed, 1.0 km/h
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 1.0, timeout=30)
        await asyncio.sleep(1)  # fake time: the guard has frames at 1.0 km/h
        with pytest.raises(InterlockError):
            await r.guard.set_speed(1.5)
        await r.guard.set_speed(1.0)  # the first speed, at the belt's: eases in
        with pytest.raises(InterlockError, match="one step"):
            await r.guard.set_speed(6.0)  # never more than a step above the belt
        await r.guard.set_speed(1.5)
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 1.5, timeout=30)
        await asyncio.sleep(1)  # fake time: the guard has frames at 1.5 km/h
        await r.guard.set_speed(2.0)
        r.guard.eased_in()  # the session says the belt is back
        await r.guard.set_speed(6.0)  # then the plan may go up again
        speeds = r.wire.ops(OpCode.SET_TARGET_SPEED, t0)
        sent = [int.from_bytes(data[1:], "little") / 100 for _, data in speeds]
        assert sent == [1.0, 1.5, 2.0, 6.0]


# --- runaway ---------------------------------------------------------------------------------
@fake_time
async def test_a_belt_slowing_down_is_no_runaway_until_it_stops_slowing_above_its_target() -> None:
    async with rig() as r:
        await r.run_at(14.0)
        await r.guard.set_speed(2.0)
        # The motor overshoots: the belt slows from 14 to 6 km/h (over 5 s) and stays there.
        await r.sim.set_fault(SimFault.SPEED_RUNAWAY, runaway_kmh=4.0)
        loop = asyncio.get_running_loop()
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=30)
        held_from = loop.time()
        assert not [e for e in r.events if isinstance(e, Fault)], "a slowing belt tripped"
        fault = await r.events.first(lambda e: isinstance(e, Fault), timeout=30)
        assert isinstance(fault, Fault)
        assert fault.fault == "overspeed"
        grace = GuardSettings().overspeed_grace_s
        # Judged at the end of a grace during which it did not slow down: no sooner, no later.
        assert grace <= loop.time() - held_from <= 2 * grace + 0.5
        await r.stopped()


# --- pausing ---------------------------------------------------------------------------------
PAUSE = bytes([OpCode.STOP_OR_PAUSE, 0x02])


@fake_time
async def test_our_own_pause_is_no_fault_and_the_belt_stays_unwatched_until_started() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.guard.pause()
        assert [data for _, data in r.wire.writes][-1] == PAUSE
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=30)
        await asyncio.sleep(30)  # fake time: a long pause, frames at 0 km/h, status 02 heard
        # Status 02 after our own Pause is ours: not the console, not a belt that stopped.
        assert r.guard.latched is None
        assert not [e for e in r.events if isinstance(e, Fault)]
        assert not [e for e in r.events if isinstance(e, StopAccepted)]  # no stop was asked
        await r.guard.start()
        await r.sim.wait_for(lambda s: s.belt_speed_kmh > 0.0, timeout=30)
        assert r.guard.latched is None
        # Well after our pause, a stop on the console is the runner's: a fault.
        await asyncio.sleep(GuardSettings().own_status_window_s + 1)
        await r.sim.console_stop()
        fault = await r.events.first(lambda e: isinstance(e, Fault), timeout=30)
        assert isinstance(fault, Fault)
        assert fault.fault == "console_stop"


@fake_time
async def test_a_pause_while_stopping_or_latched_leaves_the_stop_in_charge() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.guard.pause()  # while stopping
        await r.stopped()
        await r.guard.pause()  # while latched
        assert PAUSE not in [data for _, data in r.wire.writes]
        assert r.sim.stopped  # stopped, not paused: a pause would leave it resumable


# --- the two facts of a stop -----------------------------------------------------------------
@fake_time
async def test_frames_reading_0_kmh_while_the_belt_runs_never_make_it_stopped() -> None:
    async with rig() as r:
        await r.run_at(12.0)
        await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)  # firmware: 0 km/h, the belt at 12
        loop = asyncio.get_running_loop()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
        at_rest = loop.time()  # 8 s later, at 1.5 km/h/s
        stopped = await r.events.first(lambda e: isinstance(e, BeltStopped), timeout=60)
        assert isinstance(stopped, BeltStopped)
        # The last speed seen was 12 km/h: the window lasts as long as the slowest belt
        # (slowest_deceleration_kmh_s, 1 km/h/s) takes to stop from it, 12 s.
        assert stopped.window_s >= 12.0
        assert stopped.frames >= 12 * 4  # 4 frames a second
        assert r.sim.belt_speed_kmh == 0.0
        assert loop.time() - at_rest <= 12.0 + 1.0  # and no later than that


@fake_time
async def test_the_runner_is_told_again_and_again_while_the_stop_is_unconfirmed() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        assert not await r.guard.wait_belt_stopped(timeout=7.0)
        told = [e for e in r.events if isinstance(e, StopUnconfirmed)]
        assert [round(e.waited_s, 2) for e in told] == [3.0, 6.0]
        assert [round(e.at - t0, 2) for e in told] == [3.0, 6.0]
        assert not any(e.accepted for e in told)
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)
        assert await r.guard.wait_belt_stopped(timeout=30)
        n = len([e for e in r.events if isinstance(e, StopUnconfirmed)])
        await asyncio.sleep(10)
        assert len([e for e in r.events if isinstance(e, StopUnconfirmed)]) == n


@fake_time
async def test_an_accepted_stop_without_frames_is_unconfirmed_and_says_accepted() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.TELEMETRY_SILENT)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        told = await r.events.first(lambda e: isinstance(e, StopUnconfirmed), timeout=30)
        assert isinstance(told, StopUnconfirmed)
        assert told.accepted
        assert r.guard.stop_accepted and not r.guard.belt_stopped
        await r.sim.clear_fault(SimFault.TELEMETRY_SILENT)
        await r.stopped()


@fake_time
async def test_a_belt_moving_again_while_latched_is_no_longer_stopped() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.stopped()
        await r.sim.console_start()  # the runner starts it on the console
        moving = await r.events.first(lambda e: isinstance(e, BeltMoving), timeout=30)
        assert isinstance(moving, BeltMoving)
        assert moving.speed_kmh > 0.0
        assert not r.guard.belt_stopped
        verdict = r.guard.acknowledge()
        assert not verdict
        assert "accepted the stop" in verdict.reason  # moved: that stop is over


@fake_time
async def test_nothing_to_wait_for_when_no_stop_was_asked() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        assert await r.guard.wait_belt_stopped(timeout=0)


@fake_time
async def test_a_stop_loop_cancelled_from_outside_is_started_again() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(1)
        task = r.guard._stop.loop_task  # what a stray cancel (a task group, a bug) would hit
        assert task is not None
        task.cancel()
        restarted = await r.events.first(
            lambda e: isinstance(e, Fault) and "stop loop restarted" in e.message, timeout=10
        )
        assert isinstance(restarted, Fault)
        assert not restarted.latched  # an error report, not a second fault to acknowledge
        t = asyncio.get_running_loop().time()
        await asyncio.sleep(1)
        assert len(r.wire.stops(t)) >= 3, "no Stop written after the loop was cancelled"
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)
        await r.stopped()


# --- reconnecting ----------------------------------------------------------------------------
@fake_time
async def test_every_drop_of_the_link_is_followed_by_a_reconnect() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        loop = asyncio.get_running_loop()
        since = -1.0
        for _ in range(2):  # the second drop too: a finished reconnect does not block the next
            await r.sim.drop_link()
            after = since
            reconnected = await r.events.first(
                lambda e, after=after: isinstance(e, Reconnected) and e.at > after, timeout=30
            )
            assert isinstance(reconnected, Reconnected)
            assert reconnected.attempts == 1  # the treadmill was there at the first try
            assert reconnected.at == pytest.approx(loop.time(), abs=0.5)
            since = reconnected.at
            # The stop went out on the new link, and the belt is stopped.
            await r.events.first(
                lambda e, after=since: isinstance(e, BeltStopped) and e.at > after, timeout=30
            )
            assert r.guard.link_up and r.guard.belt_stopped
            assert r.sim.connected and r.sim.belt_speed_kmh == 0.0


@fake_time
async def test_reconnecting_cancelled_from_outside_is_started_again() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.LINK_LOST)  # out of range: each attempt waits its timeout
        await r.events.first(
            lambda e: isinstance(e, Fault) and e.fault == "link_dropped", timeout=30
        )
        task = r.guard._reconnecting.task  # what a stray cancel (a lower layer's bug) would hit
        assert task is not None
        task.cancel()
        restarted = await r.events.first(
            lambda e: isinstance(e, Fault) and "reconnecting restarted" in e.message, timeout=10
        )
        assert isinstance(restarted, Fault)
        assert not restarted.latched  # an error report, not a second fault to acknowledge
        await r.sim.clear_fault(SimFault.LINK_LOST)
        await r.events.first(lambda e: isinstance(e, Reconnected), timeout=60)
        await r.stopped()  # the Stop went out on the new link
        # Reconnecting that ends because the link is back is not started again.
        await asyncio.sleep(30)
        assert r.restart_alarms() == [restarted]
        assert len([e for e in r.events if isinstance(e, Reconnected)]) == 1


# --- a fault while latched -------------------------------------------------------------------
@fake_time
async def test_a_fault_while_latched_and_stopped_stops_the_belt_again() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.stopped()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        r.guard.trip(FaultKind.STOP_INPUT, "escape")  # still latched, the belt at rest
        assert r.wire.stops(t0) or r.stop_in_the_stack(), "no Stop for a fault while latched"
        again = [e for e in r.events if isinstance(e, StopRequested) and e.at >= t0]
        assert [e.reason for e in again] == ["escape"]
        await r.events.first(lambda e: isinstance(e, BeltStopped) and e.at > t0, timeout=30)
        assert r.sim.belt_speed_kmh == 0.0
        assert r.guard.latched is FaultKind.STOP_INPUT  # still the first fault to acknowledge


@fake_time
async def test_each_new_fault_is_reported_once_while_the_belt_is_being_stopped() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)  # the stop takes a while
        loop = asyncio.get_running_loop()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        r.guard.trip(FaultKind.STOP_INPUT, "space bar again")  # the same fault: said once
        r.guard.trip(FaultKind.ABOVE_CAP, "belt above the cap")  # a new one: said
        r.guard.trip(FaultKind.ABOVE_CAP, "belt above the cap")
        faults = [e for e in r.events if isinstance(e, Fault)]
        assert [(e.fault, e.message) for e in faults] == [
            ("stop_input", "space bar"),
            ("above_cap", "belt above the cap"),
        ]
        assert all(e.latched and e.at == loop.time() for e in faults)
        assert r.guard.latched is FaultKind.STOP_INPUT  # the first one holds the latch
        # One stop under way, however many faults.
        assert len([e for e in r.events if isinstance(e, StopRequested)]) == 1
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)
        await r.stopped()


# --- caps ------------------------------------------------------------------------------------
@fake_time
async def test_an_incline_above_the_runners_cap_is_refused_before_anything_is_written() -> None:
    async with rig(cap_incline_pct=5.0) as r:
        await r.run_at(5.0)
        t0 = asyncio.get_running_loop().time()
        with pytest.raises(InterlockError, match="above the runner's cap 5 %"):
            await r.guard.set_incline(5.5)
        with pytest.raises(InterlockError, match=r"incline 2\.2 % refused"):
            await r.guard.set_incline(2.2)  # off the treadmill's 0.5 % grid
        assert r.wire.ops(OpCode.SET_TARGET_INCLINATION, t0) == []
        await r.guard.set_incline(5.0)  # at the cap: allowed
        assert len(r.wire.ops(OpCode.SET_TARGET_INCLINATION, t0)) == 1
        assert r.guard.latched is None


@fake_time
async def test_a_speed_above_the_runners_cap_is_refused_before_anything_is_written() -> None:
    async with rig(cap_kmh=10.0) as r:
        await r.run_at(5.0)
        t0 = asyncio.get_running_loop().time()
        with pytest.raises(InterlockError, match="above the runner's cap 10 km/h"):
            await r.guard.set_speed(10.1)
        assert r.wire.ops(OpCode.SET_TARGET_SPEED, t0) == []
        await r.guard.set_speed(10.0)  # at the cap: allowed
        assert len(r.wire.ops(OpCode.SET_TARGET_SPEED, t0)) == 1
        assert r.guard.latched is None


# --- a stop ends the judgements under way ----------------------------------------------------
@fake_time
async def test_a_stop_asked_for_is_not_then_judged_a_belt_that_stopped_by_itself() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
        await asyncio.sleep(0.3)  # fake time: one frame reads 0 km/h, under the 1 s debounce
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
        await r.stopped()
        await asyncio.sleep(5)
        assert [e.fault for e in r.events if isinstance(e, Fault)] == ["stop_input"]


@fake_time
async def test_a_stop_asked_for_is_not_then_judged_a_runaway() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.SPEED_RUNAWAY, runaway_kmh=1.0)
        await r.sim.wait_for(lambda s: s.belt_speed_kmh >= 8.7, timeout=30)
        await asyncio.sleep(0.3)  # fake time: the guard sees it above its target, in the grace
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.sim.clear_fault(SimFault.SPEED_RUNAWAY)
        await r.stopped()
        await asyncio.sleep(10)
        assert [e.fault for e in r.events if isinstance(e, Fault)] == ["stop_input"]


@fake_time
async def test_a_belt_crawling_under_frames_that_read_0_kmh_is_never_taken_for_stopped() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.events.first(lambda e: isinstance(e, StopAccepted), timeout=30)
        # The firmware now reads 0 km/h and ignores our Stops, and the runner starts the belt
        # on the console: only the distance shows that it moves.
        await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)
        await r.sim.console_start()
        await asyncio.sleep(30)
        assert r.sim.belt_speed_kmh > 0.0
        assert not [e for e in r.events if isinstance(e, BeltStopped)]
        assert not r.guard.belt_stopped
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)
        await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
        await r.stopped()


# --- a belt treadlink does not drive (serve, idle) -------------------------------------------
@fake_time
async def test_a_console_stop_of_a_belt_treadlink_does_not_drive_is_an_event_not_a_fault() -> None:
    async with rig() as r:
        await walk_from_the_console(r)
        await r.sim.console_stop()
        stop = await r.events.first(lambda e: isinstance(e, ConsoleStop), timeout=30)
        assert isinstance(stop, ConsoleStop) and not stop.paused
        await asyncio.sleep(5)
        assert r.guard.latched is None and not faults(r)
        assert not r.wire.stops()  # nothing to stop: the console did
        assert not r.guard.stopping
        # A pause on the console is the same.
        await walk_from_the_console(r)
        await r.sim.console_pause()
        paused = await r.events.first(lambda e: isinstance(e, ConsoleStop) and e.paused, timeout=30)
        assert isinstance(paused, ConsoleStop)
        assert r.guard.latched is None and not faults(r)


@fake_time
async def test_a_console_stop_while_a_session_holds_its_plan_is_a_fault_even_paused() -> None:
    async with rig() as r:
        release = r.guard.hold_plan()
        await r.run_at(8.0)
        await r.guard.pause()  # our own pause: no Start in force, but the plan is held
        await asyncio.sleep(GuardSettings().own_status_window_s + 5)
        assert r.guard.latched is None
        await r.sim.console_start()
        await r.sim.wait_for(lambda s: s.belt_speed_kmh > 0.0, timeout=30)
        await r.sim.console_stop()
        fault = await r.events.first(lambda e: isinstance(e, Fault), timeout=30)
        assert isinstance(fault, Fault) and fault.fault == "console_stop"
        assert r.guard.latched is FaultKind.CONSOLE_STOP
        assert not [e for e in r.events if isinstance(e, ConsoleStop)]
        await r.stopped()
        assert r.guard.acknowledge()
        # Released (the session is over), twice even: the console's stops are its own again.
        release()
        release()
        await walk_from_the_console(r)
        await asyncio.sleep(GuardSettings().own_status_window_s)  # well after our own stop
        await r.sim.console_stop()
        await r.events.first(lambda e: isinstance(e, ConsoleStop), timeout=30)
        assert r.guard.latched is None


@fake_time
async def test_an_idle_link_drop_with_the_belt_at_rest_is_no_fault_and_not_reconnected() -> None:
    async with rig() as r:
        await asyncio.sleep(10)  # idle frames, longer than the idle window (8 s)
        assert r.guard.idle_at_rest
        await r.sim.drop_link()
        await r.events.first(lambda e: isinstance(e, LinkDown), timeout=30)
        await asyncio.sleep(30)
        assert r.guard.latched is None and not faults(r)
        assert not r.guard.stopping and not r.guard.link_up
        assert not [e for e in r.events if isinstance(e, Reconnected)]  # serve looks again


@fake_time
@pytest.mark.parametrize("how", ["console belt moving", "plan held", "stop under way", "latched"])
async def test_a_link_drop_is_a_fault_unless_idle_at_rest(how: str) -> None:
    async with rig() as r:
        if how == "console belt moving":
            await walk_from_the_console(r)
        elif how == "plan held":
            r.guard.hold_plan()  # a session between segments, the belt still
            await asyncio.sleep(10)  # longer than the idle window: only the plan makes it ours
        elif how == "stop under way":
            await asyncio.sleep(10)  # idle frames: the belt at rest over the idle window
            r.guard.stop("MQTT stop")  # not seen stopped over a window yet
        else:
            r.guard.trip(FaultKind.STOP_INPUT, "space bar")
            await r.stopped()
            await asyncio.sleep(10)  # at rest over the idle window: only the latch counts
        assert not r.guard.idle_at_rest
        before = len(r.events)
        await r.sim.drop_link()
        dropped = await r.events.first(
            lambda e: isinstance(e, Fault) and e.fault == "link_dropped", timeout=30
        )
        assert isinstance(dropped, Fault) and dropped.latched
        assert r.guard.latched is not None
        await r.events.first(lambda e: isinstance(e, Reconnected), timeout=30)
        # The stop goes on over the new link until the belt is seen stopped.
        await r.events.first(
            lambda e: isinstance(e, BeltStopped) and any(e is x for x in r.events[before:]),
            timeout=60,
        )
        assert r.sim.belt_speed_kmh == 0.0 and r.guard.belt_stopped
