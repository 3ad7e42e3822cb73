"""A distance segment interrupted by the runner's stop, on a treadmill that counts from 0 again
when its belt restarts (the simulator does): it ends after its distance, counted across the
reset, and the screen's metres to go never jump back up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.screen import Events
from tests.support.simulated import fake_time, link
from treadlink.config import RunnerProfile
from treadlink.events import Event
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import BeltStopped, Resumed, SegmentStarted, TelemetryUpdate
from treadlink.session.view import ViewTracker

PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0)
STAGE = "name: 300 m\nitems:\n  - walk: 300m\n  - walk: 0:20\n"


@fake_time
async def test_a_distance_segment_counts_its_metres_across_the_treadmills_reset(
    tmp_path: Path,
) -> None:
    stage_file = tmp_path / "metres.yaml"
    stage_file.write_text(STAGE)
    timeline = load_stage(stage_file, PROFILE, TreadmillLimits())
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline, on_fault="pause")
        events, tracker = Events(), ViewTracker(timeline)
        to_go: list[float] = []

        def screen(event: Event) -> None:
            tracker.update(event)
            left = tracker.remaining_m()
            if isinstance(event, TelemetryUpdate) and left is not None:
                to_go.append(left)

        session.subscribe(events)
        session.subscribe(screen)
        run = asyncio.create_task(session.run())
        first = await events.next(SegmentStarted)
        await asyncio.sleep(first.at + 60 - session.clock())  # about 90 m walked
        session.emergency_stop("runner's key")
        await events.next(BeltStopped)
        walked = sim.distance_m  # the treadmill's count before it starts again from 0
        assert 60 < walked < 150
        assert session.acknowledge() and session.resume()
        await events.next(Resumed)
        await asyncio.sleep(120)  # about 180 m more: the segment is not over yet
        assert not events.of(SegmentStarted)[1:]
        second = await events.next(SegmentStarted, lambda e: e.index == 1)
        covered = walked + sim.distance_m  # the belt's metres through the first segment
        session.quit("the test is done")
        await run
    assert covered == pytest.approx(300, abs=3)
    assert to_go == sorted(to_go, reverse=True) and to_go[-1] == 0.0
    assert second.at > first.at
