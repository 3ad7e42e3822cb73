"""The session engine through the full stack (engine → Treadmill → bleak → bumble → simulator),
in fake time: a 30-minute stage takes about a second."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.session import Events, stage, write_stage
from tests.support.simulated import fake_time, link
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    BeltStarted,
    BeltStopped,
    ControlRequested,
    Fault,
    Paused,
    Resumed,
    SegmentStarted,
    SetpointSent,
    StopRequested,
)
from treadlink_sim.faults import Fault as SimFault

pytestmark = pytest.mark.slow


@fake_time
async def test_stage_one_end_to_end() -> None:
    timeline = stage(1)
    events = Events()
    async with link() as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, timeline)
        session.subscribe(events.append)
        loop = asyncio.get_running_loop()
        belt_speeds: list[tuple[float, float]] = []

        def sample(_: bytes) -> None:  # what the treadmill was told, and when
            belt_speeds.append((loop.time(), connection.simulator.target_speed_kmh))

        connection.simulator.add_control_point_listener(sample)
        finished = await session.run()
        # The session returns only once the belt stands still: the simulator's own belt says so.
        assert connection.simulator.stopped
        assert connection.simulator.belt_speed_kmh == 0.0

    assert finished.completed and finished.segments_done == 13
    assert events.of(ControlRequested)[0].result == "success"
    assert events.of(BeltStarted)
    segments = events.of(SegmentStarted)
    assert [s.segment_kind for s in segments] == ["walk"] + ["run", "walk"] * 6
    assert [s.speed_kmh for s in segments] == [5.5] + [8.5, 5.5] * 6
    # Boundaries exactly where the plan puts them, measured from the first segment's start.
    t0 = segments[0].at
    expected = [0.0] + [180 + 270 * i + offset for i in range(6) for offset in (0, 30)]
    assert [round(s.at - t0, 6) for s in segments] == expected
    assert events.of(StopRequested)[-1].at - t0 == pytest.approx(1800, abs=0.01)
    assert finished.belt == "stopped" and finished.at >= events.of(BeltStopped)[0].at
    assert max(e.lag_ms for e in events.of(SetpointSent)) < 1.0  # fake time: no real lag
    assert events.of(BeltStopped)


@fake_time
async def test_a_distance_segment_ends_at_its_distance(tmp_path: Path) -> None:
    timeline = write_stage(
        tmp_path, "name: d\nitems:\n  - walk: 1:00\n  - run: 400m\n  - walk: 1:00\n"
    )
    events = Events()
    async with link() as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, timeline)
        session.subscribe(events.append)
        distances: dict[int, int] = {}
        session.subscribe(
            lambda e: (
                isinstance(e, SegmentStarted)
                and distances.setdefault(e.index, connection.treadmill.state.distance_m or 0)
            )
        )
        finished = await session.run()
    assert finished.completed
    run_start, walk_start = distances[1], distances[2]
    assert 400 <= walk_start - run_start <= 403  # one telemetry period at 8.5 km/h is 0.6 m


@fake_time
async def test_pause_holds_the_plan_clock() -> None:
    timeline = stage(1)
    events = Events()
    async with link() as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, timeline)
        session.subscribe(events.append)
        loop = asyncio.get_running_loop()

        async def runner_pauses() -> None:
            await asyncio.sleep(60)  # fake time: a minute into the first walk
            session.pause()
            await connection.simulator.wait_for(lambda s: s.paused)
            await asyncio.sleep(120)  # the runner ties a shoelace for two minutes
            session.acknowledge()
            session.resume()

        runner = loop.create_task(runner_pauses())
        finished = await session.run()
        await runner
    assert finished.completed
    assert events.of(Paused)[0].reason == "runner"
    assert events.of(Resumed)[0].paused_s == pytest.approx(120, abs=0.5)
    segments = events.of(SegmentStarted)
    # The second segment starts 3:00 of plan time after the first, plus the pause.
    assert segments[1].at - segments[0].at == pytest.approx(300, abs=0.5)


@fake_time
async def test_a_console_stop_pauses_the_plan_instead_of_fighting_it() -> None:
    events = Events()
    async with link() as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, stage(1), on_fault="pause")
        session.subscribe(events.append)
        loop = asyncio.get_running_loop()

        async def runner_presses_stop() -> None:
            await asyncio.sleep(30)
            await connection.simulator.console_stop()
            await asyncio.sleep(60)
            session.stop("runner")

        runner = loop.create_task(runner_presses_stop())
        finished = await session.run()
        await runner
        assert connection.simulator.stopped
    assert not finished.completed
    fault = events.of(Fault)[0]
    assert fault.fault == "console_stop"
    assert fault.latched
    assert events.of(Paused)[0].reason == "stopped or paused on the treadmill's console"
    # Nothing restarted the belt or sent a setpoint after the console stop.
    assert not [e for e in events.of(SetpointSent) if e.at > fault.at]


@fake_time
async def test_request_control_answered_failed_is_tolerated() -> None:
    events = Events()
    async with link() as connection, SafetyGuard(connection.link) as guard:
        await connection.simulator.set_fault(SimFault.CONTROL_FAILING)

        async def heal() -> None:  # only Request Control fails, as on some real treadmills
            await connection.simulator.wait_for(lambda s: len(s.control_point_log) >= 1)
            await connection.simulator.clear_fault(SimFault.CONTROL_FAILING)

        asyncio.get_running_loop().create_task(heal())
        session = Session(guard, stage(1))
        session.subscribe(events.append)
        loop = asyncio.get_running_loop()
        loop.call_later(200, session.stop)
        await session.run()
    assert events.of(ControlRequested)[0].result == "operation failed (tolerated)"
    assert events.of(BeltStarted)


@fake_time
@pytest.mark.parametrize("number", range(1, 16))
async def test_every_stage_runs_through_the_full_stack(number: int) -> None:
    timeline = stage(number)
    async with link(telemetry_hz=1.0) as connection, SafetyGuard(connection.link) as guard:
        finished = await Session(guard, timeline).run()
        assert connection.simulator.stopped
    assert finished.completed
    assert finished.segments_done == len(timeline.steps)
