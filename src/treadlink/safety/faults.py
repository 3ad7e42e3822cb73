"""Every fault the guard latches on, and the error a refused command raises."""

from __future__ import annotations

from enum import StrEnum

from treadlink.ftms.control import ControlPointError


class FaultKind(StrEnum):
    STOP_INPUT = "stop_input"  # the runner's key, Ctrl-C, SIGTERM, a front end's stop request
    SAFETY_KEY = "safety_key"  # machine status 03
    CONSOLE_STOP = "console_stop"  # machine status 02 not caused by us
    CONTROL_LOST = "control_lost"  # machine status FF
    LINK_DROPPED = "link_dropped"
    COMMAND_FAILED = "command_failed"  # a control-point procedure refused, failed or timed out
    STALE_TELEMETRY = "stale_telemetry"  # no Treadmill Data while the belt should move
    BELT_STOPPED = "belt_stopped"  # speed 0 for longer than a glitch while it should move
    OVERSPEED = "overspeed"  # faster than its target, not slowing down
    ABOVE_CAP = "above_cap"  # faster than the runner's cap


class InterlockError(ControlPointError):
    """The guard refused a command (a start or an increase while latched). Nothing was written."""
