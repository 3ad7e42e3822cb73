"""Stop → acknowledge → resume on the simulator, whose counters start again from 0 when its belt
restarts after a stop (as real ones do): the screen, the end line, the history and the exports
tell the same session, read back by tools that did not write the files (fitdecode, tcxreader).

Full stack in fake time: engine → bleak → bumble → simulator, recorded to SQLite by the writer
thread, exported as the CLI does.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.dom import minidom

import fitdecode
import pytest
from tcxreader.tcxreader import TCXReader

from tests.support.screen import Events
from tests.support.simulated import fake_time, link
from treadlink.config import RunnerProfile
from treadlink.events import Event
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.records.export.activity import activity
from treadlink.records.export.fit import write_fit
from treadlink.records.export.png import title, write_png
from treadlink.records.export.tcx import write_tcx
from treadlink.records.model import SessionRecord, SessionStart
from treadlink.records.session_record import SessionRecording
from treadlink.records.store import Store
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    BeltStopped,
    Finished,
    Resumed,
    SegmentStarted,
    TelemetryUpdate,
)
from treadlink.session.view import ViewTracker
from treadlink.ui.lines import describe

PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0)
STAGE = "name: short\nitems:\n  - walk: 0:40\n  - run: 1:00\n  - walk: 2:00\n"
PLANNED_S = 40 + 60 + 120
FitMessages = dict[str, list[dict[str, Any]]]


class Distances(list[int]):
    """The screen's distance after every frame (subscribed after the tracker)."""

    def __init__(self, tracker: ViewTracker) -> None:
        super().__init__()
        self.tracker = tracker

    def __call__(self, event: Event) -> None:
        if isinstance(event, TelemetryUpdate) and self.tracker.view.distance_m is not None:
            self.append(self.tracker.view.distance_m)


async def stopped_and_resumed(tmp_path: Path) -> tuple[SessionRecord, Finished, list[int], float]:
    """Stage `STAGE` with the runner's stop 20 s into the run, acknowledged and resumed. Returns
    the record, the end, the screen's distances, and the simulator's own odometer total."""
    stage_file = tmp_path / "short.yaml"
    stage_file.write_text(STAGE)
    timeline = load_stage(stage_file, PROFILE, TreadmillLimits())
    start = SessionStart(
        "short", str(stage_file), PLANNED_S, datetime.now(UTC), stage=1, simulated=True
    )
    db = tmp_path / "history.sqlite3"
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline, on_fault="pause")
        events = Events()
        tracker = ViewTracker(timeline)
        distances = Distances(tracker)
        for listener in (events, tracker, distances):
            session.subscribe(listener)
        with SessionRecording(start, running_threshold_kmh=7.0, path=db) as recording:
            session.subscribe(recording.listen)
            run = asyncio.create_task(session.run())
            running = await events.next(SegmentStarted, lambda e: e.index == 1)
            await asyncio.sleep(running.at + 20 - session.clock())
            assert session.emergency_stop("runner's key")
            await events.next(BeltStopped)
            before_restart = sim.distance_m  # the treadmill's count of its first workout
            assert session.acknowledge() and session.resume()
            await events.next(Resumed)
            finished = await run
        odometer = before_restart + sim.distance_m
    assert finished.completed
    with Store.open(db) as store:
        return store.session(store.last().id), finished, distances, odometer


def fit_messages(path: Path) -> FitMessages:
    messages: FitMessages = {}
    with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.ENABLED) as fit:
        for frame in fit:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields}
                messages.setdefault(frame.name, []).append(fields)
    return messages


def end_of(message: dict[str, Any]) -> datetime:
    """Garmin's rule: a summary message ends at start_time + total_elapsed_time."""
    return message["start_time"] + timedelta(seconds=message["total_elapsed_time"])


@fake_time
async def test_screen_end_line_history_and_exports_tell_one_session(tmp_path: Path) -> None:
    record, finished, distances, odometer = await stopped_and_resumed(tmp_path)
    end = record.end
    assert end is not None and end.outcome == "completed"

    # The screen's distance never goes back, though the treadmill's counter went back to 0.
    assert distances == sorted(distances)
    # One distance: the screen's last, the end line, the history, the laps and the treadmill.
    assert finished.distance_m is not None
    assert distances[-1] == finished.distance_m == round(end.distance_m)
    assert f"{finished.distance_m} m" in (describe(finished) or "")
    assert sum(lap.distance_m for lap in record.laps) == end.distance_m
    assert end.distance_m == pytest.approx(odometer, abs=3)
    # The time done is the whole plan, the segment after the resume included.
    assert end.done_s == pytest.approx(PLANNED_S, abs=1)
    assert [lap.time_s for lap in record.laps] == pytest.approx([40, 60, 120], abs=1)
    (stop,) = record.pauses
    assert stop.kind == "stop" and record.laps[1].start_s < stop.start_s < record.laps[1].end_s

    fit, tcx_path = tmp_path / "a.fit", tmp_path / "a.tcx"
    ride = activity(record)
    write_fit(ride, fit)
    write_tcx(ride, tcx_path)
    m = fit_messages(fit)
    (session,) = m["session"]
    laps = m["lap"]
    assert session["total_elapsed_time"] >= session["total_timer_time"]
    assert session["total_timer_time"] == pytest.approx(end.done_s, abs=2)
    assert session["total_distance"] == pytest.approx(end.distance_m, abs=0.01)
    for lap in laps:
        assert lap["total_elapsed_time"] >= lap["total_timer_time"], lap
    # The laps cover the session, one after the other, from its start to its end.
    assert laps[0]["start_time"] == session["start_time"]
    for before, after in itertools.pairwise(laps):
        assert end_of(before) == after["start_time"]
    assert end_of(laps[-1]) == end_of(session)
    assert sum(lap["total_timer_time"] for lap in laps) == session["total_timer_time"]
    # Every record lies inside the session.
    stamps = [r["timestamp"] for r in m["record"]]
    assert session["start_time"] <= min(stamps) and max(stamps) <= end_of(session)
    # The stop is a timer stop, the resume a timer start, and the timer's spans add up.
    timer = [(e["event_type"], e["timestamp"]) for e in m["event"] if e["event"] == "timer"]
    kinds = [kind for kind, _ in timer]
    assert kinds[:3] == ["start", "stop", "start"] and kinds[-1] == "stop_all"
    ran = sum(
        (stop_at - start_at).total_seconds()
        for (start_kind, start_at), (_, stop_at) in itertools.pairwise(timer)
        if start_kind == "start"
    )
    assert ran == session["total_timer_time"]
    stop_at = timer[1][1]
    assert laps[1]["start_time"] < stop_at < end_of(laps[1])

    # TCX: the same laps (start, timer time, distance).
    tcx = TCXReader().read(str(tcx_path), only_gps=False)
    assert [lap.start_time for lap in tcx.laps] == [
        lap["start_time"].replace(tzinfo=None) for lap in laps
    ]
    doc = minidom.parse(str(tcx_path))
    seconds = [float(e.firstChild.data) for e in doc.getElementsByTagName("TotalTimeSeconds")]  # type: ignore[union-attr]
    assert seconds == [lap["total_timer_time"] for lap in laps]
    assert [lap.distance for lap in tcx.laps] == pytest.approx(
        [lap.distance_m for lap in record.laps]
    )

    write_png(record, tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"


@fake_time
async def test_a_simulated_session_says_so_in_every_export_and_carries_no_made_up_altitude(
    tmp_path: Path,
) -> None:
    record, _, _, _ = await stopped_and_resumed(tmp_path)
    ride = activity(record)
    fit, tcx = tmp_path / "a.fit", tmp_path / "a.tcx"
    write_fit(ride, fit)
    write_tcx(ride, tcx)
    m = fit_messages(fit)
    assert "SIMULATED" in m["file_id"][0]["product_name"]
    assert "SIMULATED" in m["device_info"][0]["product_name"]
    # The incline stays (FIT's grade); no altitude is made up from it.
    assert all("altitude" not in r and "enhanced_altitude" not in r for r in m["record"])
    assert 1.0 in {r.get("grade") for r in m["record"]}
    doc = minidom.parse(str(tcx))
    assert not doc.getElementsByTagName("AltitudeMeters")
    (notes,) = [
        n.firstChild.data  # type: ignore[union-attr]
        for n in doc.getElementsByTagName("Notes")
        if n.parentNode.tagName == "Activity"  # type: ignore[union-attr]
    ]
    assert "SIMULATED" in notes
    assert "SIMULATED" in title(record)
