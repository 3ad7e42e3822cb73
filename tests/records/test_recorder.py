"""The recorder: from a session's events (their JSON form) to laps, outcome, samples and totals.

First through the full stack in fake time (engine → bleak → bumble → simulator, recorded to
SQLite by the writer thread), where the simulator's own odometer is the reference; then single
rules on hand-written event streams.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.simulated import fake_time, link
from treadlink.config import RunnerProfile
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.records.model import FaultRecord, Lap, Sample, SessionEnd, SessionStart
from treadlink.records.recorder import Recorder
from treadlink.records.session_record import SessionRecording
from treadlink.records.store import Store
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session

PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0)
STAGE = "name: short\nitems:\n  - walk: 1:00\n  - run: 0:30\n  - walk: 1:00\n"


@fake_time
async def test_a_real_session_is_recorded_from_the_treadmills_counters(tmp_path: Path) -> None:
    stage_file = tmp_path / "short.yaml"
    stage_file.write_text(STAGE)
    timeline = load_stage(stage_file, PROFILE, TreadmillLimits())
    start = SessionStart("short", str(stage_file), timeline.estimated_total_s, datetime.now(UTC))
    db = tmp_path / "history.sqlite3"
    async with link() as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, timeline)
        with SessionRecording(start, running_threshold_kmh=7.0, path=db) as recording:
            recording.set_pain("before", 0)
            session.subscribe(recording.listen)
            finished = await session.run()
        odometer = connection.simulator.distance_m
    assert finished.completed
    with Store.open(db) as store:
        record = store.session(store.last().id)
    assert record.pain == {"before": 0}
    assert record.end is not None and record.end.outcome == "completed"
    assert [(lap.kind, lap.target_speed_kmh) for lap in record.laps] == [
        ("walk", 5.5),
        ("run", 8.5),
        ("walk", 5.5),
    ]
    # Counters are whole metres and seconds: a frame's worth either side.
    assert record.end.distance_m == pytest.approx(odometer, abs=3)
    assert record.end.walk_m + record.end.run_m == record.end.distance_m
    assert record.laps[1].time_s == pytest.approx(30, abs=1.5)
    assert record.laps[1].distance_m == pytest.approx(8.5 / 3.6 * 30, abs=8)  # with the ramps
    assert record.end.run_s == record.laps[1].time_s
    # Through the plan: from the first segment to the end of the last, not the stop after it.
    assert record.end.done_s == pytest.approx(150, abs=0.01)
    assert record.laps[-1].end_s == pytest.approx(record.laps[0].start_s + 150, abs=0.01)
    times = [s.t_s for s in record.samples]
    assert len(times) >= 150 and all(b - a >= 0.5 for a, b in itertools.pairwise(times))
    assert {int(t) for t in times} >= set(range(5, 150))  # one per second of the session
    assert record.samples[-1].distance_m == pytest.approx(record.end.distance_m, abs=3)


# --- single rules on hand-written streams -----------------------------------------------------
def segment(at: float, index: int, kind: str = "walk", speed: float = 5.5) -> dict[str, Any]:
    return {
        "event": "segment_started",
        "at": at,
        "index": index,
        "name": f"{kind} {index}",
        "segment_kind": kind,
        "speed_kmh": speed,
        "incline_pct": 1.0,
        "duration_s": 60.0,
        "distance_m": None,
        "cue": None,
    }


def frame(at: float, distance: int, elapsed: int, speed: float = 5.5) -> dict[str, Any]:
    return {
        "event": "telemetry",
        "at": at,
        "speed_kmh": speed,
        "incline_pct": 1.0,
        "distance_m": distance,
        "elapsed_time_s": elapsed,
        "heart_rate_bpm": 110,
    }


def finished(at: float, completed: bool, done: int = 2) -> dict[str, Any]:
    return {"event": "finished", "at": at, "completed": completed, "segments_done": done}


def record(events: Iterable[dict[str, Any]]) -> list[Lap | FaultRecord | Sample | SessionEnd]:
    items: list[Lap | FaultRecord | Sample | SessionEnd] = []
    recorder = Recorder(items.append, running_threshold_kmh=7.0)
    for event in events:
        recorder(event)
    return items


def ending(items: list[Any]) -> SessionEnd:
    (end,) = [i for i in items if isinstance(i, SessionEnd)]
    return end


def laps(items: list[Any]) -> list[Lap]:
    return [i for i in items if isinstance(i, Lap)]


def test_counters_go_to_the_segment_running_and_restart_after_a_new_workout() -> None:
    items = record(
        [
            frame(0.5, 900, 500),  # left over from the treadmill's last workout: not ours
            frame(1.0, 0, 0),  # Start: a new workout from 0
            frame(2.0, 2, 1),  # before the first segment: joins it
            segment(2.0, 0),
            frame(62.0, 94, 61),
            segment(62.0, 1, "run", 8.5),
            frame(90.0, 160, 89),
            frame(91.0, 0, 0),  # stopped and started again after a fault: counts from 0
            frame(122.0, 70, 31),
            finished(122.0, True),
        ]
    )
    walk, run = laps(items)
    # Time is the session's timer over each lap (treadlink.session.account), not the counter.
    assert (walk.distance_m, walk.time_s) == (94, 60)
    assert (run.distance_m, run.time_s) == (66 + 70, 60)
    end = ending(items)
    assert (end.walk_m, end.run_m, end.distance_m) == (94, 136, 230)


def test_samples_are_kept_at_one_per_second_of_session_time() -> None:
    items = record(frame(t / 4, t, t // 4) for t in range(40))
    assert [s.t_s for s in items if isinstance(s, Sample)] == [float(t) for t in range(10)]


@pytest.mark.parametrize(
    ("events", "outcome", "reason"),
    [
        ([finished(60, True)], "completed", None),
        ([{"event": "stop_requested", "at": 30, "reason": "Ctrl-C"}, finished(31, False)],
         "stopped", "Ctrl-C"),
        ([{"event": "fault", "at": 30, "message": "e-stop key", "fault": "stop_input",
           "latched": True}, finished(31, False)], "stopped", "e-stop key"),
        ([{"event": "fault", "at": 30, "message": "link lost", "fault": "link_dropped",
           "latched": True},
          {"event": "stop_requested", "at": 30, "reason": "link lost"}, finished(31, False)],
         "fault", "link lost"),
        # Acknowledged and resumed, then stopped by the runner: an early stop, not a fault.
        ([{"event": "fault", "at": 30, "message": "safety key", "fault": "safety_key",
           "latched": True},
          {"event": "acknowledged", "at": 40, "fault": "safety_key"},
          {"event": "stop_requested", "at": 50, "reason": "runner"}, finished(51, False)],
         "stopped", "runner"),
        ([finished(20, False)], "stopped", "ended early"),
    ],
)  # fmt: skip
def test_the_outcome_says_how_the_session_ended(
    events: list[dict[str, Any]], outcome: str, reason: str | None
) -> None:
    end = ending(record([segment(0, 0), *events]))
    assert (end.outcome, end.reason) == (outcome, reason)


def test_pauses_count_as_paused_and_skips_are_marked() -> None:
    items = record(
        [
            segment(0, 0),
            {"event": "paused", "at": 10, "reason": "runner"},
            {"event": "resumed", "at": 40, "paused_s": 30},
            {"event": "skipped", "at": 50, "index": 0},
            segment(50, 1, "run", 8.5),
            {"event": "paused", "at": 80, "reason": "runner"},
            finished(100, True),
        ]
    )
    end = ending(items)
    assert (end.paused_s, end.done_s, end.segments_skipped) == (50, 50, 1)
    assert [lap.skipped for lap in laps(items)] == [True, False]


def test_a_custom_segment_counts_as_a_run_from_the_runners_threshold() -> None:
    items = record(
        [segment(0, 0, "custom", 7.5), segment(60, 1, "custom", 6.0), finished(90, True)]
    )
    assert [lap.kind for lap in laps(items)] == ["run", "walk"]


def test_unknown_events_and_repeated_finishes_are_ignored() -> None:
    items = record(
        [
            {"event": "belt_stopped", "at": 1},
            {"event": "something_new", "at": 2, "x": 1},
            segment(3, 0),
            finished(10, True, 1),
            finished(11, False, 1),
        ]
    )
    assert len([i for i in items if isinstance(i, SessionEnd)]) == 1
    assert ending(items).outcome == "completed"


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], float]:
    """Segments and frames whose counters climb, and now and then start again from 0 (a new
    workout on the treadmill); returns the events and the distance the belt really covered."""
    events: list[dict[str, Any]] = []
    at, distance, elapsed, covered = 0.0, draw(st.integers(0, 5000)), 0, 0.0
    first = True
    for index in range(draw(st.integers(1, 6))):
        events.append(segment(at, index, draw(st.sampled_from(["walk", "run", "custom"]))))
        for _ in range(draw(st.integers(0, 30))):
            at += draw(st.sampled_from([0.25, 0.5, 1.0, 3.0]))
            step = draw(st.integers(0, 5))
            # A new workout counts from 0 again; the treadmill's odometer is then below its
            # last reading (a reset that read higher could not be told from moving on).
            if distance > 5 and draw(st.integers(0, 20)) == 0:
                distance, elapsed = 0, 0
            distance += step
            elapsed += 1
            covered += 0 if first else step
            first = False
            events.append(frame(at, distance, elapsed))
    events.append(finished(at, True))
    return events, covered


@settings(derandomize=True, max_examples=200, deadline=None)
@given(streams())
def test_walked_and_run_always_add_up_to_the_distance_covered(
    stream: tuple[list[dict[str, Any]], float],
) -> None:
    events, covered = stream
    items = record(events)
    end = ending(items)
    assert end.distance_m == covered
    assert end.walk_m + end.run_m == covered
    assert sum(lap.distance_m for lap in laps(items)) == covered
    samples = [i.distance_m for i in items if isinstance(i, Sample)]
    assert samples == sorted(samples)  # the recorded distance never goes back


def test_the_plan_ends_at_the_stop_not_when_the_treadmill_confirms_it() -> None:
    items = record(
        [
            segment(0, 0),
            frame(0.5, 0, 0),
            frame(29.0, 44, 29),
            {"event": "stop_requested", "at": 30.0, "reason": "end of plan"},
            frame(35.0, 46, 31),  # slowing down: the distance still counts
            finished(40.0, True, 1),
        ]
    )
    (lap,) = laps(items)
    assert (lap.end_s, lap.distance_m) == (30.0, 46)
    assert ending(items).done_s == 30.0
