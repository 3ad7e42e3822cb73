"""A single stray 0 km/h frame while the belt runs (some treadmills send them) is not a stop for
the screen, the MQTT state or the record: the simulator sends one through the real bleak path."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from tests.support.screen import Events
from tests.support.simulated import fake_time, link
from treadlink.config import RunnerProfile
from treadlink.events import Event
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.records.model import SessionStart
from treadlink.records.session_record import SessionRecording
from treadlink.records.store import Store
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Fault, SegmentStarted, TelemetryUpdate
from treadlink.session.view import Facet, ViewTracker
from treadlink_sim.faults import Fault as SimFault

PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0)
STAGE = "name: glitch\nitems:\n  - walk: 0:30\n  - run: 0:40\n"


@fake_time
async def test_one_zero_speed_frame_is_not_a_stop_for_the_screen_or_the_record(
    tmp_path: Path,
) -> None:
    stage_file = tmp_path / "glitch.yaml"
    stage_file.write_text(STAGE)
    timeline = load_stage(stage_file, PROFILE, TreadmillLimits())
    start = SessionStart("glitch", str(stage_file), 70.0, datetime.now(UTC), simulated=True)
    db = tmp_path / "history.sqlite3"
    async with link(telemetry_hz=4.0) as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline)
        events, tracker = Events(), ViewTracker(timeline)
        shown: list[tuple[float | None, set[Facet]]] = []

        def screen(event: Event) -> None:
            facets = tracker.update(event)
            if isinstance(event, TelemetryUpdate):
                shown.append((tracker.view.speed_kmh, facets))

        session.subscribe(events)
        session.subscribe(screen)
        with SessionRecording(start, running_threshold_kmh=7.0, path=db) as recording:
            session.subscribe(recording.listen)
            run = asyncio.create_task(session.run())
            running = await events.next(SegmentStarted, lambda e: e.index == 1)
            await asyncio.sleep(running.at + 15 - session.clock())
            mark = len(events)
            await sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
            await events.next(TelemetryUpdate, lambda e: e.speed_kmh == 0.0, after=mark)
            await sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
            after = len(shown)
            finished = await run
    assert finished.completed and not events.of(Fault)
    frames = events.of(TelemetryUpdate)
    glitch = next(i for i, e in enumerate(frames) if e.at > running.at and e.speed_kmh == 0.0)
    assert frames[glitch + 1].speed_kmh, "one stray frame, then the belt's speed again"
    # The screen (and the MQTT state, which reads the same view) never showed the belt stopped.
    around = shown[after - 4 : after + 4]
    assert all(speed for speed, _ in around), around
    assert all("belt" not in facets for _, facets in around), around
    with Store.open(db) as store:
        record = store.session(store.last().id)
    run_lap = record.laps[1]
    during_run = [s for s in record.samples if run_lap.start_s + 5 < s.t_s < run_lap.end_s]
    assert during_run and all(s.speed_kmh for s in during_run)
