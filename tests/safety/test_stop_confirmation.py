"""Stopped means the treadmill said so: the stop is accepted only on its answer (a late one
counts), and the belt is stopped only after that, over a window of frames at rest with no
distance gained; frames that read 0 km/h from a running belt confirm nothing."""

from __future__ import annotations

import asyncio

from tests.support.guard import (
    rig,
    running_belt,
)
from tests.support.simulated import fake_time, link
from treadlink.safety.events import BeltStopped, StopAccepted
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_belt_stopped_only_after_acceptance_and_a_window_at_rest() -> None:
    """Zero-speed frames from a running belt confirm nothing, and the belt is reported stopped only
    when the simulator's belt really is."""
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


@fake_time
async def test_belt_stopped_needs_the_treadmill_to_accept_the_stop() -> None:
    """The treadmill refuses every Stop (04): the stop is never accepted, and belt_stopped is never
    said, even though the frames read 0 km/h with no distance gained (the belt was idle: a speed
    reading alone never confirms anything)."""
    from treadlink.safety.events import BeltStopped, StopAccepted

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        said: list[object] = []
        guard.subscribe(
            lambda e: said.append(e) if isinstance(e, BeltStopped | StopAccepted) else None
        )
        await guard.request_control()
        await sim.set_fault(SimFault.CONTROL_FAILING)
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(20.0)
        assert sim.belt_speed_kmh == 0.0
        assert not said and not guard.belt_stopped, f"said {said} with every Stop refused"


@fake_time
async def test_zero_frames_from_a_belt_restarted_on_the_console_never_confirm_a_stop() -> None:
    """Frames read 0 km/h (the firmware glitch), the stop is accepted, then the treadmill refuses
    the later Stops and the runner starts the belt again on the console (status 04). Only the
    distance shows the belt moving; belt_stopped is not said while it turns."""
    from treadlink.safety.events import BeltStopped, StopAccepted

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        belt_at: list[float] = []
        accepted = asyncio.get_running_loop().create_future()

        def facts(event: object) -> None:
            if isinstance(event, BeltStopped):
                belt_at.append(sim.belt_speed_kmh)
            if isinstance(event, StopAccepted) and not accepted.done():
                accepted.set_result(None)

        guard.subscribe(facts)
        await guard.request_control()
        await guard.start()
        await guard.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.0)
        await sim.set_fault(SimFault.ZERO_SPEED_FRAMES)  # sustained 0 km/h: the guard stops
        await accepted
        await sim.set_fault(SimFault.CONTROL_FAILING)  # later Stops refused (answered 04)
        await asyncio.sleep(2.0)
        await sim.console_start()  # the runner walks on, from the console
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 0.5)
        await asyncio.sleep(20.0)
        assert sim.belt_speed_kmh > 0.5
    assert all(at == 0.0 for at in belt_at), f"belt_stopped said with the belt at {belt_at} km/h"


@fake_time
async def test_belt_stopped_takes_three_frames_at_rest_on_a_slow_telemetry_rate() -> None:
    """The belt is stopped only over >= 3 frames at rest (docs/safety.md); at 4 Hz the 1 s window
    hides the count, so the treadmill here sends one frame a second."""
    from treadlink.safety.events import BeltStopped, StopAccepted
    from treadlink.treadmill.state import Telemetry

    async with link(telemetry_hz=1.0) as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        said: list[BeltStopped] = []
        at_rest: list[float] = []  # frames at 0 km/h since the stop was accepted, counted here
        counted_when_said: list[int] = []

        def on_guard(e: object) -> None:
            if isinstance(e, StopAccepted):
                at_rest.clear()
            if isinstance(e, BeltStopped):
                said.append(e)
                counted_when_said.append(len(at_rest))

        def on_frame(e: object) -> None:
            if isinstance(e, Telemetry) and guard.stop_accepted and e.state.speed_kmh == 0.0:
                at_rest.append(e.state.speed_kmh)

        guard.subscribe(on_guard)
        guard.treadmill.subscribe(on_frame)
        await guard.request_control()
        await guard.start()
        await guard.set_speed(2.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 2.0)
        guard.stop("test")
        assert await guard.wait_belt_stopped(timeout=30)
    assert said and said[0].frames >= 3, said
    # The guard hears each frame first: the one that completes the window is not counted yet.
    assert counted_when_said and counted_when_said[0] + 1 >= 3, counted_when_said


@fake_time
async def test_a_late_success_answer_to_a_stop_counts_as_accepted() -> None:
    """docs/safety.md: "the treadmill answered a Stop with success (a late answer counts)". Every
    answer here comes after the attempt's 0.25 s: the loop's own wait times out each time, and
    only the late answers, heard by the guard as they come, say the stop was accepted."""
    from treadlink.safety.events import StopAccepted

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.INDICATIONS_LOST)  # the belt obeys; no answer comes...
        await r.sim.set_fault(SimFault.LATE_ANSWERS, late_s=0.4)  # ...in time, at least
        await r.sim.clear_fault(SimFault.INDICATIONS_LOST)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        accepted = await r.events.first(lambda e: isinstance(e, StopAccepted), timeout=10)
        await r.sim.clear_fault(SimFault.LATE_ANSWERS)
    assert isinstance(accepted, StopAccepted) and accepted.how == "indication"
