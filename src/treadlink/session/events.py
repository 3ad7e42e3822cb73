"""Everything a session does, as events: the one stream the display, the recorder and the MQTT
bridge consume. The guard's events (treadlink.safety.events) come first in that stream, re-stamped
with the session clock, and are re-exported here so a consumer imports one module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from treadlink.events import Event

if TYPE_CHECKING:
    from treadlink.plans.timeline import Step, Timeline
    from treadlink.treadmill.state import TreadmillState
from treadlink.safety.events import (
    Acknowledged,
    BeltMoving,
    BeltStopped,
    ConsoleOverride,
    ConsoleStop,
    Fault,
    LinkDown,
    Reconnected,
    Refused,
    StopAccepted,
    StopRequested,
    StopUnconfirmed,
)

__all__ = [
    "Acknowledged",
    "BeltMoving",
    "BeltStarted",
    "BeltStopped",
    "ConsoleOverride",
    "ConsoleStop",
    "ControlRequested",
    "EaseInTarget",
    "Event",
    "Fault",
    "Finished",
    "LinkDown",
    "Paused",
    "PlanAdapted",
    "Reconnected",
    "Refused",
    "Resumed",
    "SegmentStarted",
    "SessionEvent",
    "SessionStarted",
    "SetpointConfirmed",
    "SetpointNotFollowed",
    "SetpointSent",
    "Skipped",
    "StopAccepted",
    "StopRequested",
    "StopUnconfirmed",
    "TelemetryUpdate",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEvent(Event):
    """An event of the session itself; `at` is the session clock (seconds since the session
    began, pauses included, times the speed-up)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(SessionEvent):
    kind: ClassVar[str] = "session_started"
    plan: str | None  # the plan file's name when the stage came from one
    stage: str
    steps: int
    planned_s: float
    treadmill: str

    @classmethod
    def of(cls, timeline: Timeline, plan: str | None, treadmill: str) -> SessionStarted:
        return cls(
            at=0.0,
            plan=plan,
            stage=timeline.name,
            steps=len(timeline.steps),
            planned_s=timeline.estimated_total_s,
            treadmill=treadmill,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanAdapted(SessionEvent):
    """How the plan was fitted to this treadmill (plans.fitting): said before the belt moves."""

    kind: ClassVar[str] = "plan_adapted"
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlRequested(SessionEvent):
    kind: ClassVar[str] = "control_requested"
    result: str  # "success", or the treadmill's refusal that was tolerated


@dataclass(frozen=True, slots=True, kw_only=True)
class BeltStarted(SessionEvent):
    kind: ClassVar[str] = "belt_started"
    speed_kmh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentStarted(SessionEvent):
    kind: ClassVar[str] = "segment_started"
    index: int
    name: str
    segment_kind: str
    speed_kmh: float
    incline_pct: float
    duration_s: float | None
    distance_m: float | None
    cue: str | None
    start_distance_m: int | None = None  # the treadmill's distance as the segment began

    @classmethod
    def for_step(cls, step: Step, *, at: float, start_distance_m: int | None) -> SegmentStarted:
        return cls(
            at=at,
            index=step.index,
            name=step.name,
            segment_kind=step.kind,
            speed_kmh=step.speed_kmh,
            incline_pct=step.incline_pct,
            duration_s=step.duration_s,
            distance_m=step.distance_m,
            cue=step.cue,
            start_distance_m=start_distance_m,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SetpointSent(SessionEvent):
    kind: ClassVar[str] = "setpoint_sent"
    index: int
    speed_kmh: float
    incline_pct: float | None
    lag_ms: float  # how long after its scheduled time the first byte went out


@dataclass(frozen=True, slots=True, kw_only=True)
class SetpointConfirmed(SessionEvent):
    kind: ClassVar[str] = "setpoint_confirmed"
    index: int
    speed_kmh: float
    incline_pct: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetpointNotFollowed(SessionEvent):
    """The treadmill took a setpoint (it answered success) and the belt did not follow it
    (session.follow). Slower: it was sent again `resent` times and the plan goes on; faster:
    the belt is being stopped. Either way the setpoint is not done."""

    kind: ClassVar[str] = "setpoint_not_followed"
    index: int
    speed_kmh: float  # what was asked
    belt_kmh: float  # what the belt ran at
    outcome: str  # "slower" or "faster"
    resent: int
    waited_s: float  # from the last time it was sent to the judgement
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EaseInTarget(SessionEvent):
    """During the ease-in after a fault the runner's keys changed where it goes: nothing is
    written yet, the belt steps up to it one step at a time."""

    kind: ClassVar[str] = "ease_in_target"
    speed_kmh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TelemetryUpdate(SessionEvent):
    kind: ClassVar[str] = "telemetry"
    speed_kmh: float | None
    incline_pct: float | None
    distance_m: int | None
    elapsed_time_s: int | None
    heart_rate_bpm: int | None
    # Why the treadmill's reported speed is not the belt's (speed_kmh is then None), or None.
    speed_doubt: str | None = None

    @classmethod
    def of(cls, state: TreadmillState, at: float, doubt: str | None = None) -> TelemetryUpdate:
        """A frame of `state` at session time `at`; with a `doubt`, its speed is not shown."""
        return cls(
            at=at,
            speed_kmh=None if doubt else state.speed_kmh,
            speed_doubt=doubt,
            incline_pct=state.incline_pct,
            distance_m=state.distance_m,
            elapsed_time_s=state.elapsed_time_s,
            heart_rate_bpm=state.heart_rate_bpm,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Paused(SessionEvent):
    kind: ClassVar[str] = "paused"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed(SessionEvent):
    kind: ClassVar[str] = "resumed"
    paused_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped(SessionEvent):
    kind: ClassVar[str] = "skipped"
    index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Finished(SessionEvent):
    kind: ClassVar[str] = "finished"
    completed: bool  # every segment ran to its end
    segments_done: int
    distance_m: int | None
    # "stopped" (seen at rest), "paused" (--at-end pause), "not started", or "may be running":
    # the runner quit while the stop was still unconfirmed.
    belt: str = "stopped"
    not_followed: int = 0  # speeds the belt did not follow (setpoint_not_followed)
