"""The runner's controls during a session: skip, and the keys at the laptop."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.session import Events, stage
from tests.support.simulated import fake_time, link
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Paused, Resumed, SegmentStarted, Skipped, StopRequested
from treadlink.ui.keys import RunnerKeys


@fake_time
async def test_skip_ends_the_segment_and_the_plan_goes_on() -> None:
    events = Events()
    async with link(telemetry_hz=1.0) as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, stage(1))
        session.subscribe(events.append)
        loop = asyncio.get_running_loop()

        def skip_a_minute_in(event: object) -> None:  # a minute into the 3:00 warm-up walk
            if isinstance(event, SegmentStarted) and event.index == 0:
                loop.call_later(60, session.skip)

        session.subscribe(skip_a_minute_in)
        finished = await session.run()
    assert finished.completed
    assert [e.index for e in events.of(Skipped)] == [0]
    segments = events.of(SegmentStarted)
    assert segments[1].at - segments[0].at == pytest.approx(60)
    # Later boundaries are scheduled from the skip, not from the original plan.
    assert segments[2].at - segments[1].at == pytest.approx(30)
    # The plan ended two minutes early; the session then waited for the belt to stand still.
    end_of_plan = events.of(StopRequested)[0]
    assert end_of_plan.reason == "end of plan"
    assert end_of_plan.at - segments[0].at == pytest.approx(1800 - 120)
    assert finished.at > end_of_plan.at and finished.belt == "stopped"


@fake_time
async def test_keys_pause_resume_and_stop() -> None:
    events = Events()
    async with link(telemetry_hz=1.0) as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, stage(1))
        session.subscribe(events.append)
        keys = RunnerKeys(session)
        loop = asyncio.get_running_loop()
        loop.call_later(10, keys.press, ord("p"))
        loop.call_later(40, keys.press, ord("p"))
        loop.call_later(70, keys.press, ord(" "))
        finished = await session.run()
        assert connection.simulator.stopped
    assert not finished.completed
    assert events.of(Paused)[0].reason == "runner's key"
    assert len(events.of(Resumed)) == 1
    assert events.of(StopRequested)[0].reason == "runner's key"
