"""The CITYSPORTS pad (`citysports-wp8`) zeroes every counter once its belt rests after a stop:
the session's distance and time, on the screen and in the record, never go back, and the
distance counts every metre across the reset. A unit that sends single stray 0 km/h frames
(quirk `stray_zero_speed`) is not stopped by them for the screen or the record, while the guard's
"belt stopped" still needs its whole window: judged by the simulator's belt at that moment."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.real_units import RUNNER, STAGE
from tests.support.simulated import fake_time, link
from treadlink.app.connection import Connection
from treadlink.events import Event
from treadlink.plans.loader import load_stage
from treadlink.plans.timeline import Timeline
from treadlink.records.model import SessionStart
from treadlink.records.session_record import SessionRecording
from treadlink.records.store import Store
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    BeltStopped,
    Resumed,
    SegmentStarted,
    TelemetryUpdate,
)
from treadlink.session.view import ViewTracker
from treadlink_sim.profile import load_profile


def fitted(tmp_path: Path, connection: Connection) -> Timeline:
    path = tmp_path / "stage.yaml"
    path.write_text(STAGE)
    return load_stage(path, RUNNER, dataclasses.replace(connection.limits, flat=True))


class Screen(list[tuple[float, float | None, int | None, int | None]]):
    """What the screen showed at each frame: the treadmill's distance, and the session's
    speed, distance and timer as the runner reads them."""

    def __init__(self, tracker: ViewTracker) -> None:
        super().__init__()
        self.tracker = tracker
        self.reported: list[int] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, TelemetryUpdate) and event.distance_m is not None:
            v = self.tracker.view
            self.reported.append(event.distance_m)
            self.append((event.at, v.speed_kmh, v.distance_m, v.elapsed_s))


def workouts(reported: list[int]) -> list[int]:
    """The distance of each of the treadmill's workouts: its counter between resets."""
    ends = [before for before, after in itertools.pairwise(reported) if after < before]
    return [*ends, reported[-1]] if reported[-1] else ends


@fake_time
@pytest.mark.timeout(120)  # a write storm in fake time would otherwise never end
async def test_counters_reset_on_stop_never_take_the_session_back(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    async with (
        link(profile="citysports-wp8") as connection,
        SafetyGuard(connection.link) as guard,
    ):
        timeline = fitted(tmp_path, Connection(connection.link, guard))
        start = SessionStart("pad", "stage.yaml", 180.0, datetime.now(UTC), simulated=True)
        session = Session(guard, timeline, on_fault="pause")
        events, tracker = Recorder(), ViewTracker(timeline)
        screen = Screen(tracker)
        for listener in (events, tracker, screen):
            session.subscribe(listener)
        with SessionRecording(start, running_threshold_kmh=4.0, path=db) as recording:
            session.subscribe(recording.listen)
            run = asyncio.create_task(session.run())
            running = await events.first(lambda e: isinstance(e, SegmentStarted) and e.index == 1)
            await asyncio.sleep(running.at + 40 - session.clock())
            assert session.emergency_stop("runner's key")
            stopped = await events.first(lambda e: isinstance(e, BeltStopped))
            # The pad zeroes its counters once the belt rests.
            await events.first(
                lambda e: isinstance(e, TelemetryUpdate) and e.distance_m == 0 and e.at > stopped.at
            )
            first_count = max(screen.reported)
            assert session.acknowledge() and session.resume()
            await events.first(lambda e: isinstance(e, Resumed))
            finished = await run
    assert finished.completed
    reported, shown = screen.reported, [s for _, _, s, _ in screen]
    timers = [t for _, _, _, t in screen if t is not None]
    assert 0 in reported[reported.index(first_count) :]  # the treadmill's counter went back
    assert shown == sorted(shown) and timers == sorted(timers)  # the session's never did
    counted = sum(workouts(reported))  # every metre of both of the pad's workouts
    assert len(workouts(reported)) == 2 and workouts(reported)[0] == first_count
    assert finished.distance_m is not None and abs(finished.distance_m - counted) <= 2
    with Store.open(db) as store:
        record = store.session(store.last().id)
    assert record.end is not None and abs(record.end.distance_m - counted) <= 2


@fake_time
@pytest.mark.timeout(120)
async def test_stray_zero_frames_are_no_stop_but_belt_stopped_needs_its_window(
    tmp_path: Path,
) -> None:
    pad = load_profile("citysports-wp8", quirks=["stray_zero_speed", "status_extra_byte"])
    async with link(profile=pad) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            timeline = fitted(tmp_path, Connection(connection.link, guard))
            session = Session(guard, timeline, on_fault="end")
            tracker = ViewTracker(timeline)
            screen = Screen(tracker)
            events = Recorder()
            belt_at_stopped: list[float] = []

            def judge(event: Event) -> None:
                if isinstance(event, BeltStopped):
                    belt_at_stopped.append(sim.belt_speed_kmh)  # the simulator's word

            for listener in (events, tracker, screen, judge):
                session.subscribe(listener)
            finished = await session.run()
    assert finished.completed and finished.belt == "stopped"
    frames = [e for e in events if isinstance(e, TelemetryUpdate)]
    running = [f for f in frames if f.at > frames[0].at + 10 and f.at < 170]
    assert any(f.speed_kmh == 0.0 for f in running)  # the pad did send its stray zeros
    shown = [speed for at, speed, _, _ in screen if 10 < at < 170]
    assert shown and all(shown)  # the screen never showed the belt stopped meanwhile
    assert belt_at_stopped == [0.0]  # said once, at the end, with the belt really at rest
