"""Everything a session does, as events: the one stream the display, the recorder and the MQTT
bridge consume. Each event is a frozen dataclass with a JSON form (`as_json`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEvent:
    kind: ClassVar[str]
    at: float  # session clock: seconds since the session began, pauses included, × speed-up

    def as_json(self) -> dict[str, Any]:
        body = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"event": self.kind, **body}


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, float):
        return round(value, 4)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(SessionEvent):
    kind: ClassVar[str] = "session_started"
    stage: str
    steps: int
    planned_s: float
    treadmill: str


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
class TelemetryUpdate(SessionEvent):
    kind: ClassVar[str] = "telemetry"
    speed_kmh: float | None
    incline_pct: float | None
    distance_m: int | None
    elapsed_time_s: int | None
    heart_rate_bpm: int | None


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
class StopRequested(SessionEvent):
    kind: ClassVar[str] = "stop_requested"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StopConfirmed(SessionEvent):
    kind: ClassVar[str] = "stop_confirmed"
    speed_kmh: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault(SessionEvent):
    """Something went wrong. With `latched`, the safety guard is holding the belt stopped until
    the runner acknowledges at the laptop."""

    kind: ClassVar[str] = "fault"
    message: str
    fault: str = "error"  # the guard's fault kind, e.g. "safety_key", "stale_telemetry"
    latched: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StopUnconfirmed(SessionEvent):
    """A stop was sent but the treadmill has not confirmed it: the runner must act."""

    kind: ClassVar[str] = "stop_unconfirmed"
    waited_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledged(SessionEvent):
    kind: ClassVar[str] = "acknowledged"
    fault: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconnected(SessionEvent):
    kind: ClassVar[str] = "reconnected"
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleOverride(SessionEvent):
    """The runner changed the speed on the treadmill's console: the plan pauses, not fights."""

    kind: ClassVar[str] = "console_override"
    speed_kmh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Finished(SessionEvent):
    kind: ClassVar[str] = "finished"
    completed: bool  # every segment ran to its end
    segments_done: int
    distance_m: int | None
