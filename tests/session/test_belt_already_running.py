"""A session never starts its plan on a belt it did not start (the console, another app, a run
killed before this one): over the runner's cap the guard stops it at its first frame, below it
the runner is asked, and with nobody to ask the plan does not start. Start is never written to a
running belt (some treadmills take it as a pause)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.guard import Wire
from tests.support.session import write_stage
from tests.support.simulated import fake_time, link
from treadlink.ftms.protocol import OpCode
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Event, Fault, Finished, Paused, SegmentStarted

STAGE = 'name: "Walk then run"\nitems:\n  - walk: 1:00\n  - run: 1:00\n'


def ops(wire: Wire) -> list[int]:
    return [data[0] for _, data in wire.writes]


@fake_time
async def test_with_nobody_to_ask_a_running_belt_is_left_alone(tmp_path: Path) -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        await sim.console_start()
        await sim.console_set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=30)
        wire = Wire(sim)
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="end")
            events: list[Event] = []
            session.subscribe(events.append)
            finished = await session.run()
        assert not finished.completed
        assert finished.belt == "not started"
        said = [e for e in events if isinstance(e, Fault)]
        assert said and "already running at 6 km/h" in said[0].message
        assert wire.writes == []  # nothing at all: not even a Start it could take as a pause
        assert sim.belt_speed_kmh == 6.0


@fake_time
async def test_a_belt_running_over_the_cap_is_stopped_before_anything_else(
    tmp_path: Path,
) -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        await sim.console_start()
        await sim.console_set_speed(11.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 11.0, timeout=30)
        wire = Wire(sim)
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="pause")
            finished = await session.run()
            assert guard.latched is not None
        assert not finished.completed
        assert set(ops(wire)) <= {OpCode.STOP_OR_PAUSE, OpCode.REQUEST_CONTROL}
        assert OpCode.STOP_OR_PAUSE in ops(wire)
        assert sim.belt_speed_kmh == 0.0


@fake_time
async def test_the_runner_is_asked_and_the_belt_taken_over_without_a_start(
    tmp_path: Path,
) -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        await sim.console_start()
        await sim.console_set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=30)
        wire = Wire(sim)
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="pause")
            events: list[Event] = []
            asked = asyncio.Event()

            def listen(event: Event) -> None:
                events.append(event)
                if isinstance(event, Paused) and "already running" in event.reason:
                    asked.set()

            session.subscribe(listen)
            run = asyncio.create_task(session.run())
            async with asyncio.timeout(30):
                await asked.wait()
            await asyncio.sleep(5)
            assert not [op for op in ops(wire) if op != OpCode.REQUEST_CONTROL]  # waits
            assert session.resume()
            finished = await run
        assert finished.completed
        assert OpCode.START_OR_RESUME not in ops(wire)
        assert [e.segment_kind for e in events if isinstance(e, SegmentStarted)] == ["walk", "run"]
        assert isinstance(events[-1], Finished)
        assert sim.belt_speed_kmh == 0.0


@fake_time
async def test_quitting_when_asked_stops_the_belt(tmp_path: Path) -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        await sim.console_start()
        await sim.console_set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=30)
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="pause")
            asked = asyncio.Event()
            session.subscribe(lambda e: asked.set() if isinstance(e, Paused) else None)
            run = asyncio.create_task(session.run())
            async with asyncio.timeout(30):
                await asked.wait()
            session.quit("q")
            finished = await run
        assert finished.belt == "stopped"
        assert sim.belt_speed_kmh == 0.0


@fake_time
async def test_a_console_speed_change_before_the_plan_starts_is_asked_about_in_its_own_words(
    tmp_path: Path,
) -> None:
    """The console changes the speed of a belt it started while the session waits for its first
    frame: the runner is asked about a belt already running, not told of a console change to a
    plan that never ran."""
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        await sim.console_start()
        await sim.wait_for(lambda s: s.belt_speed_kmh > 0, timeout=30)
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="pause")
            paused: list[Paused] = []
            asked = asyncio.Event()

            def listen(event: Event) -> None:
                if isinstance(event, Paused):
                    paused.append(event)
                    asked.set()

            session.subscribe(listen)
            run = asyncio.create_task(session.run())
            await sim.console_set_speed(6.0)
            async with asyncio.timeout(30):
                await asked.wait()
            session.quit("q")
            finished = await run
        assert "already running" in paused[0].reason
        assert finished.belt == "stopped"
        assert sim.belt_speed_kmh == 0.0
