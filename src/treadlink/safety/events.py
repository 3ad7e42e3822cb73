"""What the safety guard reports. The session re-stamps these with its own clock and passes them
on first, ahead of its own events; nothing here knows about sessions or plans.

Two facts about a stop are reported apart, because they are different promises:
`StopAccepted` is the treadmill's answer (a successful Stop indication, or machine status 02/03
after our Stop); `BeltStopped` comes after it, once the belt has reported standing still over a
window of frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from treadlink.events import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault(Event):
    """Something went wrong. With `latched`, the guard holds the belt stopped until the runner
    acknowledges at the laptop; without, it is an error that ended a command or the session."""

    kind: ClassVar[str] = "fault"
    message: str
    fault: str = "error"  # a FaultKind value, e.g. "safety_key", "stale_telemetry"
    latched: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StopRequested(Event):
    kind: ClassVar[str] = "stop_requested"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StopAccepted(Event):
    """The treadmill said yes to our Stop: `how` names the answer it gave."""

    kind: ClassVar[str] = "stop_accepted"
    how: str  # "indication", "status stopped by user", "status safety key"


@dataclass(frozen=True, slots=True, kw_only=True)
class BeltStopped(Event):
    """After the stop was accepted, the belt reported 0 km/h (and no distance gained) over a
    window of frames."""

    kind: ClassVar[str] = "belt_stopped"
    frames: int
    window_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class BeltMoving(Event):
    """The belt moves again after it had stopped while a fault is latched (e.g. the console)."""

    kind: ClassVar[str] = "belt_moving"
    speed_kmh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class StopUnconfirmed(Event):
    """A stop was asked for and is not confirmed yet: the runner must act."""

    kind: ClassVar[str] = "stop_unconfirmed"
    waited_s: float
    accepted: bool  # the treadmill accepted the stop, but the belt has not been seen still


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledged(Event):
    kind: ClassVar[str] = "acknowledged"
    fault: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused(Event):
    """A command or acknowledgement was refused; nothing was written to the treadmill."""

    kind: ClassVar[str] = "refused"
    command: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkDown(Event):
    kind: ClassVar[str] = "link_down"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconnected(Event):
    kind: ClassVar[str] = "reconnected"
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleOverride(Event):
    """The runner changed the speed on the treadmill's console: the plan pauses, not fights."""

    kind: ClassVar[str] = "console_override"
    speed_kmh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleStop(Event):
    """The belt was stopped (or paused) on the console while treadlink was not driving it:
    someone walking from the console. Not a fault: nothing latches."""

    kind: ClassVar[str] = "console_stop"
    paused: bool


GuardEvent = (
    Fault
    | StopRequested
    | StopAccepted
    | BeltStopped
    | BeltMoving
    | StopUnconfirmed
    | Acknowledged
    | Refused
    | LinkDown
    | Reconnected
    | ConsoleOverride
    | ConsoleStop
)
