"""Every fault the guard latches on, the error a refused command raises, and the answer every
front-end command gets."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from treadlink.treadmill.errors import CommandError


class FaultKind(StrEnum):
    STOP_INPUT = "stop_input"  # the runner's key, a front end's stop request
    SAFETY_KEY = "safety_key"  # machine status 03
    CONSOLE_STOP = "console_stop"  # machine status 02 not caused by us
    CONTROL_LOST = "control_lost"  # machine status FF
    LINK_DROPPED = "link_dropped"
    COMMAND_FAILED = "command_failed"  # a control-point procedure refused, failed or timed out
    STALE_TELEMETRY = "stale_telemetry"  # no Treadmill Data while the belt should move
    BELT_STOPPED = "belt_stopped"  # speed 0 for longer than a glitch while it should move
    OVERSPEED = "overspeed"  # faster than its target, not slowing down
    ABOVE_CAP = "above_cap"  # faster than the runner's cap
    INCLINE_ABOVE_CAP = "incline_above_cap"  # steeper than the runner's cap
    # Frames that contradict themselves: 0 km/h while the distance or time grows past a ramp.
    CONTRADICTING_TELEMETRY = "contradicting_telemetry"
    # The belt moved (the console) while a fault holds it stopped.
    MOVED_WHILE_LATCHED = "moved_while_latched"


class InterlockError(CommandError):
    """The guard refused a command (a start or an increase while latched). Nothing was written."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a front-end command: accepted, or refused with the reason to show."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


ACCEPTED = Verdict(True)


def refused(reason: str) -> Verdict:
    return Verdict(False, reason)
