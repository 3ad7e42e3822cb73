"""A readable line per session event, for logs, pipes and terminals alike."""

from __future__ import annotations

import sys
from typing import TextIO

from treadlink.plans.durations import format_duration
from treadlink.session.account import RUNNER_STOP
from treadlink.session.events import (
    Acknowledged,
    BeltMoving,
    BeltStarted,
    BeltStopped,
    ConsoleOverride,
    ControlRequested,
    EaseInTarget,
    Event,
    Fault,
    Finished,
    LinkDown,
    Paused,
    PlanAdapted,
    Reconnected,
    Refused,
    Resumed,
    SegmentStarted,
    SessionStarted,
    SetpointConfirmed,
    SetpointNotFollowed,
    SetpointSent,
    Skipped,
    StopAccepted,
    StopRequested,
    StopUnconfirmed,
    TelemetryUpdate,
)


def describe(event: Event, *, keys: bool = False) -> str | None:
    """The line for an event, or None for events too frequent for a line. `keys`: the
    runner has the keyboard, so a fault says which keys to press."""
    match event:
        case SessionStarted():
            return (
                f"session {event.stage}: {event.steps} segments, "
                f"{format_duration(event.planned_s)} planned, on {event.treadmill}"
            )
        case PlanAdapted():
            return f"plan fitted to the treadmill: {event.message}"
        case ControlRequested():
            return f"control of the treadmill: {event.result}"
        case BeltStarted():
            return "belt started"
        case SegmentStarted():
            end = (
                format_duration(event.duration_s)
                if event.duration_s is not None
                else f"{event.distance_m:g} m"
            )
            cue = f" — {event.cue}" if event.cue else ""
            return (
                f"segment {event.index + 1}: {event.name} {end} at {event.speed_kmh:.1f} km/h, "
                f"incline {event.incline_pct:g} %{cue}"
            )
        case SetpointSent() | SetpointConfirmed() | TelemetryUpdate():
            return None
        case SetpointNotFollowed(outcome="faster"):
            return f"SPEED NOT FOLLOWED: {event.message} — the belt is being stopped"
        case SetpointNotFollowed():
            return f"speed not followed: {event.message}; the plan goes on"
        case Paused():
            return f"paused ({event.reason})"
        case Resumed():
            return f"resumed after {format_duration(max(round(event.paused_s), 1))}"
        case Skipped():
            return f"segment {event.index + 1} skipped"
        case StopRequested():
            return f"STOP requested ({event.reason})"
        case StopAccepted():
            return f"stop accepted by the treadmill ({event.how})"
        case BeltStopped():
            return "belt stopped"
        case Fault(latched=True) if event.fault == RUNNER_STOP:
            # The runner's own stop is no fault.
            then = "; p resumes, q finishes" if keys else ""
            return f"STOPPED — you pressed stop ({event.message}): the belt is stopping{then}"
        case Fault(latched=True):
            then = " — once it has stopped, a acknowledges, then p resumes" if keys else ""
            return f"FAULT: {event.message} — the belt is being stopped{then}"
        case Fault():
            return f"FAULT: {event.message}"
        case StopUnconfirmed():
            fact = (
                "ACCEPTED BUT THE BELT HAS NOT BEEN SEEN STOPPED"
                if event.accepted
                else ("NOT CONFIRMED")
            )
            return (
                f"!!! STOP {fact} after {event.waited_s:.0f} s: "
                "USE THE TREADMILL'S STOP BUTTON OR PULL THE SAFETY KEY !!!"
            )
        case BeltMoving():
            return f"the belt moves again ({event.speed_kmh:.1f} km/h), started on the console"
        case Refused():
            return f"{event.command} refused: {event.reason}"
        case LinkDown():
            return "treadmill link lost: reconnecting to keep stopping the belt"
        case Acknowledged() if event.fault == RUNNER_STOP:
            return "your stop acknowledged"
        case Acknowledged():
            return f"fault acknowledged ({event.fault.replace('_', ' ')})"
        case Reconnected():
            return f"treadmill reconnected after {event.attempts} attempt(s); the plan waits"
        case ConsoleOverride():
            return (
                f"speed set to {event.speed_kmh:.1f} km/h on the console: plan paused (p resumes)"
            )
        case EaseInTarget():
            return f"easing in to {event.speed_kmh:.1f} km/h, one step at a time"
        case Finished():
            outcome = "completed" if event.completed else "ended early"
            if event.not_followed and not event.completed:
                outcome = f"not completed (the belt did not follow {event.not_followed} speeds)"
            distance = f", {event.distance_m} m" if event.distance_m is not None else ""
            return f"session {outcome}: {event.segments_done} segments{distance}; belt {event.belt}"
    return None


class LinePrinter:
    """Prints `describe` lines stamped with the session clock: for pipes, logs and `--plain`.
    (The live picture on a terminal is the full-screen display's job.)"""

    def __init__(self, out: TextIO = sys.stdout, *, keys: bool = False) -> None:
        self.out = out
        self.keys = keys

    def __call__(self, event: Event) -> None:
        line = describe(event, keys=self.keys)
        if line is not None:
            self.out.write(f"[{format_duration(event.at).split('.')[0]:>6}] {line}\n")
            self.out.flush()
