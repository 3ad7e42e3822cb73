"""A recorded-style event stream of stage 1 for the screen's snapshots: the events a session
emits, built from the real compiled stage, with the belt at each segment's speed and a steady
heart rate. Deterministic to the character, which a live run is not."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from treadlink.config import RunnerProfile
from treadlink.events import Event
from treadlink.plans.loader import load_stage
from treadlink.plans.timeline import Timeline
from treadlink.session.events import (
    BeltStarted,
    ControlRequested,
    Fault,
    SegmentStarted,
    SessionStarted,
    SetpointSent,
    StopAccepted,
    StopRequested,
    TelemetryUpdate,
)
from treadlink.session.view import ViewTracker
from treadlink.ui.screen.app import RunnerScreen

STAGE_ONE = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "stage-01.yaml"
PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0)


def stage_one() -> Timeline:
    return load_stage(STAGE_ONE, PROFILE)


def until(timeline: Timeline, end: float) -> list[Event]:
    """The session from its start to `end` session seconds: segments, setpoints, 1 Hz telemetry."""
    events: list[Event] = [
        SessionStarted(
            at=0.0,
            plan=None,
            stage=timeline.name,
            steps=len(timeline.steps),
            planned_s=sum(s.estimated_duration_s for s in timeline.steps),
            treadmill="NoblePro Elite",
        ),
        ControlRequested(at=0.0, result="success"),
        BeltStarted(at=0.0, speed_kmh=1.0),
    ]
    distance = 0.0
    t = 0.0
    for step in timeline.steps:
        if t >= end:
            break
        events += [
            SegmentStarted.for_step(step, at=t, start_distance_m=int(distance)),
            SetpointSent(
                at=t,
                index=step.index,
                speed_kmh=step.speed_kmh,
                incline_pct=step.incline_pct,
                lag_ms=0.4,
            ),
        ]
        step_end = t + step.estimated_duration_s
        while t < min(step_end, end):
            t += 1.0
            distance += step.speed_kmh / 3.6
            events.append(
                TelemetryUpdate(
                    at=t,
                    speed_kmh=step.speed_kmh,
                    incline_pct=step.incline_pct,
                    distance_m=int(distance),
                    elapsed_time_s=int(t),
                    heart_rate_bpm=118 if step.kind == "walk" else 141,
                )
            )
    return events


def stopped_by_the_runner(at: float) -> list[Event]:
    """Space pressed at `at`: the treadmill has accepted the Stop, the belt is still slowing."""
    return [
        StopRequested(at=at, reason="runner's key"),
        Fault(at=at, message="runner's key", fault="stop_input", latched=True),
        StopAccepted(at=at + 0.1, how="indication"),
        TelemetryUpdate(
            at=at + 0.5,
            speed_kmh=4.2,
            incline_pct=1.0,
            distance_m=None,
            elapsed_time_s=None,
            heart_rate_bpm=139,
        ),
    ]


Compare = Callable[..., bool]


def replayed(events: Iterable[Event], now: float) -> RunnerScreen:
    tracker = ViewTracker(stage_one())
    for event in events:
        tracker.update(event)
    return RunnerScreen(tracker, lambda: now, None, cue=False)
