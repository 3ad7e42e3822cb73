"""A readable line per session event, for logs, pipes and terminals alike."""

from __future__ import annotations

import sys
from typing import TextIO

from treadlink.plans.durations import format_duration
from treadlink.session.events import (
    Acknowledged,
    BeltStarted,
    BeltStopped,
    ConsoleOverride,
    ControlRequested,
    Event,
    Fault,
    Finished,
    Paused,
    Reconnected,
    Refused,
    Resumed,
    SegmentStarted,
    SessionStarted,
    SetpointConfirmed,
    SetpointSent,
    Skipped,
    StopAccepted,
    StopRequested,
    StopUnconfirmed,
    TelemetryUpdate,
)


def describe(event: Event) -> str | None:
    """The line for an event, or None for events that only the live line shows."""
    match event:
        case SessionStarted():
            return (
                f"session {event.stage}: {event.steps} segments, "
                f"{format_duration(event.planned_s)} planned, on {event.treadmill}"
            )
        case ControlRequested():
            return f"control of the treadmill: {event.result}"
        case BeltStarted():
            return f"belt moving at {event.speed_kmh:.1f} km/h"
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
        case Fault(latched=True):
            return f"FAULT: {event.message} — belt held stopped; press a to acknowledge, then p"
        case Fault():
            return f"FAULT: {event.message}"
        case StopUnconfirmed():
            return (
                f"!!! STOP NOT CONFIRMED after {event.waited_s:.0f} s: "
                "USE THE TREADMILL'S STOP BUTTON OR PULL THE SAFETY KEY !!!"
            )
        case Refused():
            return f"{event.command} refused: {event.reason}"
        case Acknowledged():
            return f"fault acknowledged ({event.fault.replace('_', ' ')})"
        case Reconnected():
            return f"treadmill reconnected after {event.attempts} attempt(s); plan stays paused"
        case ConsoleOverride():
            return (
                f"speed set to {event.speed_kmh:.1f} km/h on the console: plan paused (p resumes)"
            )
        case Finished():
            outcome = "completed" if event.completed else "ended early"
            distance = f", {event.distance_m} m" if event.distance_m is not None else ""
            return f"session {outcome}: {event.segments_done} segments{distance}"
    return None


class LinePrinter:
    """Prints `describe` lines stamped with the session clock: for pipes, logs and `--plain`.
    (The live picture on a terminal is the full-screen display's job.)"""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def __call__(self, event: Event) -> None:
        line = describe(event)
        if line is not None:
            self.out.write(f"[{format_duration(event.at).split('.')[0]:>6}] {line}\n")
            self.out.flush()
