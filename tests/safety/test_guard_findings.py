"""The review findings against the old guard, each as a test that failed before the rebuild.

All through the real simulator and the production bleak path, in fake time; what the belt did
is read from the simulator, not from the guard's own events.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.conftest import fake_time, link
from treadlink.ftms.protocol import OpCode
from treadlink.safety.events import BeltStopped, Fault, StopAccepted
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.treadmill.base import ControlTaken
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink_sim.faults import Fault as SimFault
from treadlink_sim.treadmill import TreadmillSimulator

STOP = bytes([OpCode.STOP_OR_PAUSE, 0x01])


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


@fake_time
async def test_stop_is_rewritten_every_quarter_second_when_the_treadmill_is_silent() -> None:
    """Finding 3: each attempt has its own 0.25 s timeout, not the 2 s procedure timeout."""
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
    """Finding 2: an OSError from the write (a dying transport) never ends the stop loop."""
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
    # and leaving the guard raised nothing


@fake_time
async def test_the_cap_is_checked_on_every_frame_whoever_moves_the_belt() -> None:
    """Finding 4: the belt above the cap with nothing of ours running (the console) trips."""
    settings = GuardSettings(cap_kmh=10.0)
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link, settings=settings) as guard:
        writes = recording(c.simulator)
        await guard.request_control()
        fault = next_guard_event(guard, Fault)
        await c.simulator.console_start()
        await c.simulator.console_set_speed(14.0)
        assert (await asyncio.wait_for(fault, 60)).fault == "above_cap"
        assert guard.latched is FaultKind.ABOVE_CAP
        assert await guard.wait_belt_stopped(30)
        assert stop_writes(writes)
        assert c.simulator.belt_speed_kmh == 0.0


@fake_time
async def test_the_guard_hears_every_frame_before_anyone_else() -> None:
    """Finding 5: whoever subscribed first, the guard's watcher has the frame already."""
    async with link(telemetry_hz=4.0) as c:
        behind: list[bool] = []

        def early(event: TreadmillEvent) -> None:  # subscribed before the guard exists
            if isinstance(event, Telemetry):
                behind.append(guard._watch.last_speed != event.state.speed_kmh)

        c.treadmill.subscribe(early)
        async with SafetyGuard(c.link) as guard:
            await running_belt(guard, 6.0)
            await c.simulator.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=30)
            await asyncio.sleep(1)
        assert behind and not any(behind)


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


async def test_no_one_else_can_take_the_control_point() -> None:
    """Finding 6: the guard holds the one command surface; a second taker is refused."""
    async with link() as c, SafetyGuard(c.link):
        with pytest.raises(ControlTaken):
            c.treadmill.take_control(lambda _event: None)
        for command in ("start", "set_speed", "set_incline", "stop", "pause", "control"):
            assert not hasattr(c.treadmill, command)


@fake_time
async def test_acknowledge_waits_for_the_safety_key_the_stop_and_the_link() -> None:
    """Finding 10 and the earlier mutants: acknowledge is refused with the reason while the
    safety key is out, the stop unconfirmed or the link down."""
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link) as guard:
        sim = c.simulator
        await running_belt(guard)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 8.5, timeout=30)
        fault = next_guard_event(guard, Fault)
        await sim.set_fault(SimFault.SAFETY_KEY)
        await fault
        assert await guard.wait_belt_stopped(30)
        verdict = guard.acknowledge()
        assert not verdict and "safety key" in verdict.reason
        await sim.clear_fault(SimFault.SAFETY_KEY)
        await asyncio.sleep(1)
        assert guard.acknowledge()

        # Unconfirmed: the treadmill fails every Stop; the belt keeps running.
        await guard.start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=30)
        await sim.set_fault(SimFault.CONTROL_FAILING)
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(5)
        verdict = guard.acknowledge()
        assert not verdict and "not accepted the stop" in verdict.reason
        assert sim.running  # and nothing claimed otherwise
        await sim.clear_fault(SimFault.CONTROL_FAILING)
        assert await guard.wait_belt_stopped(30)
        assert guard.acknowledge()
        await guard.start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=30)

        # Link down: nothing can watch the belt.
        fault = next_guard_event(guard, Fault)
        await sim.set_fault(SimFault.LINK_LOST)
        await fault
        verdict = guard.acknowledge()
        assert not verdict and "not connected" in verdict.reason
        await sim.clear_fault(SimFault.LINK_LOST)
        assert await guard.wait_belt_stopped(60)
        assert guard.acknowledge()


@fake_time
async def test_belt_stopped_only_after_acceptance_and_a_window_at_rest() -> None:
    """Findings 1 and 8: zero-speed frames from a running belt confirm nothing, and the belt is
    reported stopped only when the simulator's belt really is."""
    async with link(telemetry_hz=4.0) as c, SafetyGuard(c.link) as guard:
        sim = c.simulator
        await running_belt(guard)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 8.5, timeout=30)
        facts: dict[str, float] = {}
        guard.subscribe(
            lambda e: (
                facts.setdefault(e.kind, sim.belt_speed_kmh)
                if isinstance(e, StopAccepted | BeltStopped)
                else None
            )
        )
        await sim.set_fault(SimFault.CONTROL_FAILING)  # refuses the Stop...
        await sim.set_fault(SimFault.ZERO_SPEED_FRAMES)  # ...while its frames read 0 km/h
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(10)
        assert facts == {} and sim.belt_speed_kmh == 8.5
        await sim.clear_fault(SimFault.CONTROL_FAILING)
        assert await guard.wait_belt_stopped(60)
        assert facts["belt_stopped"] == 0.0
        assert "stop_accepted" in facts
