"""The guard watches the belt in every state (running, paused, latched, idle), whoever moves it
(the plan, the console, nobody), and whatever the telemetry does (normal, silent, contradicting).
Against the simulator in fake time; what the belt did is the simulator's word."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.guard import STOP, Wire, rig
from tests.support.simulated import fake_time, link
from treadlink.ftms.protocol import OpCode
from treadlink.safety.events import BeltMoving, BeltStopped, Fault, Reconnected
from treadlink.safety.faults import FaultKind, InterlockError
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


def faults(events: list[object], kind: FaultKind) -> list[Fault]:
    return [e for e in events if isinstance(e, Fault) and e.fault == kind.value]


# --- the incline cap ---------------------------------------------------------------------------
@fake_time
async def test_an_incline_raised_over_the_cap_on_the_console_stops_the_belt() -> None:
    async with rig(cap_kmh=10.0, cap_incline_pct=5.0) as r:
        await r.run_at(5.5)
        await r.guard.set_incline(1.0)
        await r.sim.console_set_incline(10.0)
        fault = await r.events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=60)
        assert isinstance(fault, Fault)
        assert fault.fault == FaultKind.INCLINE_ABOVE_CAP.value
        assert "5" in fault.message and "incline" in fault.message
        # Caught at the first frame over the cap (the belt climbs 0.5 %/s: 0.1 % past it).
        assert r.sim.incline_pct <= 5.5
        await r.stopped()
        assert r.wire.stops(fault.at)[0] - fault.at < 0.01, "not stopped at once"


@fake_time
async def test_an_incline_exactly_at_the_cap_is_no_fault() -> None:
    async with rig(cap_kmh=10.0, cap_incline_pct=5.0) as r:
        await r.run_at(5.5)
        await r.guard.set_incline(5.0)
        await r.sim.wait_for(lambda s: s.incline_pct == 5.0, timeout=60)
        await asyncio.sleep(5)
        assert r.guard.latched is None
        assert not r.wire.stops()


# --- held means held ---------------------------------------------------------------------------
@fake_time
async def test_a_belt_the_console_starts_while_latched_is_stopped_again_at_once() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.SAFETY_KEY)
        await r.stopped()
        await r.sim.clear_fault(SimFault.SAFETY_KEY)
        loop = asyncio.get_running_loop()
        t_start = loop.time()
        await r.sim.console_start()
        moving = await r.events.first(lambda e: isinstance(e, BeltMoving), timeout=30)
        assert isinstance(moving, BeltMoving)
        held = faults(r.events, FaultKind.MOVED_WHILE_LATCHED)
        assert held, "the runner is not told why the belt is stopped again"
        assert "acknowledge" in held[0].message and "console" in held[0].message
        # Stopped again at the frame that showed it moving, not seconds later.
        stops = r.wire.stops(t_start)
        assert stops and stops[0] - moving.at < 0.01
        assert r.guard.latched is FaultKind.SAFETY_KEY  # the fault that holds it, unchanged
        await r.events.first(lambda e: isinstance(e, BeltStopped) and e.at > moving.at, 60)
        assert r.sim.belt_speed_kmh == 0.0
        with_key = r.guard.acknowledge()
        assert with_key, with_key.reason


# --- paused: a session holds its plan ----------------------------------------------------------
@fake_time
async def test_silent_telemetry_while_paused_is_a_fault_and_the_console_belt_is_stopped() -> None:
    async with rig() as r:
        release = r.guard.hold_plan()
        try:
            await r.run_at(6.0)
            await r.guard.pause()
            await r.sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
            await r.sim.set_fault(SimFault.TELEMETRY_SILENT)
            t_silent = asyncio.get_running_loop().time()
            await r.sim.console_start()
            fault = await r.events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=30)
            assert isinstance(fault, Fault)
            assert fault.fault == FaultKind.STALE_TELEMETRY.value
            assert fault.at - t_silent <= r.guard.settings.stale_after_s + 0.5
            assert r.guard.speed_doubt is not None  # the last frame's 0 km/h is not the belt's
            await r.sim.clear_fault(SimFault.TELEMETRY_SILENT)
            await r.stopped()
            assert r.wire.stops(fault.at)[0] - fault.at < 0.01, "not stopped at once"
        finally:
            release()


@fake_time
async def test_silent_telemetry_while_idle_is_no_fault() -> None:
    """Idle (no plan held, nothing of ours running) a treadmill may stop sending data."""
    async with rig() as r:
        await asyncio.sleep(2)
        await r.sim.set_fault(SimFault.TELEMETRY_SILENT)
        await asyncio.sleep(10)
        assert r.guard.latched is None
        assert not r.wire.stops()


@fake_time
async def test_frames_at_zero_while_the_distance_grows_are_a_fault_when_paused() -> None:
    async with rig() as r:
        release = r.guard.hold_plan()
        try:
            await r.run_at(6.0)
            await r.guard.pause()
            await r.sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
            await asyncio.sleep(2)
            await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
            t0 = asyncio.get_running_loop().time()
            await r.sim.console_start()
            fault = await r.events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=60)
            assert isinstance(fault, Fault)
            assert fault.fault == FaultKind.CONTRADICTING_TELEMETRY.value
            # Found within seconds: a few metres at the console's speed, not 13 s of it.
            assert fault.at - t0 < 8.0
            assert r.guard.speed_doubt is not None
            await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
            await r.stopped()
            assert r.wire.stops(fault.at)[0] - fault.at < 0.01, "not stopped at once"
        finally:
            release()


@fake_time
async def test_the_belt_braking_under_frames_that_already_read_zero_is_no_contradiction() -> None:
    """A treadmill may report 0 km/h while its belt still runs down: a few metres more are its
    ramp, not a contradiction."""
    async with rig() as r:
        release = r.guard.hold_plan()
        try:
            await r.run_at(8.0)
            await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
            await r.guard.pause()
            await r.sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
            await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
            await asyncio.sleep(10)
            assert not faults(r.events, FaultKind.CONTRADICTING_TELEMETRY)
            assert r.guard.speed_doubt is None
        finally:
            release()


# --- nothing but Stop before the first frame ---------------------------------------------------
@fake_time
async def test_nothing_but_stop_goes_out_before_the_first_frame() -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        wire = Wire(sim)
        await sim.set_fault(SimFault.TELEMETRY_SILENT)
        async with SafetyGuard(connection.link) as guard:  # no frame heard by it, none coming
            assert not guard.belt_reported
            assert guard.refusal(incline_pct=1.0) is not None
            for command in (guard.start, lambda: guard.set_speed(5.0)):
                with pytest.raises(InterlockError, match="not reported"):
                    await command()
            assert not wire.writes
            guard.stop("test")  # Stop always goes out
            await sim.clear_fault(SimFault.TELEMETRY_SILENT)
            assert await guard.wait_belt_stopped(30)
            assert wire.stops()
            await guard.request_control()
            await guard.start()  # frames have shown the belt at rest since


@fake_time
async def test_frames_that_contradicted_themselves_cannot_confirm_the_belt_stopped() -> None:
    """A belt braking from the console's speed under frames that read 0 km/h covers less than a
    metre a second near the end: a 1 s window of unchanged whole metres is no proof of rest
    once the frames have been caught contradicting themselves."""
    async with rig() as r:
        release = r.guard.hold_plan()
        try:
            await r.run_at(6.0)
            await r.guard.pause()
            await r.sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
            await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
            await r.sim.console_start()
            await r.sim.console_set_speed(6.0)
            lie: list[float] = []

            def check(event: object) -> None:
                if isinstance(event, BeltStopped) and r.sim.belt_speed_kmh > 0:
                    lie.append(r.sim.belt_speed_kmh)

            r.guard.subscribe(check)
            await r.events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=60)
            await r.events.first(lambda e: isinstance(e, BeltStopped), timeout=60)
            assert lie == [], f"belt_stopped said with the belt at {lie} km/h"
            assert r.sim.belt_speed_kmh == 0.0
        finally:
            release()
            await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)


@fake_time
async def test_after_a_reconnect_the_belt_is_unknown_until_the_first_frame_on_it() -> None:
    """A frame on the old link says nothing of the belt now: back after a drop with the
    telemetry silent, the guard does not call the belt reported, refuses a speed, and writes
    nothing but Request Control and Stop (the drop latched a fault)."""
    async with rig() as r:
        assert await r.guard.wait_belt_reported()
        await r.sim.set_fault(SimFault.TELEMETRY_SILENT)
        await r.sim.drop_link()
        await r.events.first(lambda e: isinstance(e, Reconnected), timeout=60)
        assert not r.guard.belt_reported
        assert not await r.guard.wait_belt_reported(timeout=5)
        assert r.guard.refusal(speed_kmh=5.0) is not None
        assert {data for _, data in r.wire.writes} <= {bytes([OpCode.REQUEST_CONTROL]), STOP}
        await r.sim.clear_fault(SimFault.TELEMETRY_SILENT)
        assert await r.guard.wait_belt_reported()
