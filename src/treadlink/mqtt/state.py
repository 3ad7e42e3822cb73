"""The retained `B/state` document: the session view (treadlink.session.view) as plain JSON."""

from __future__ import annotations

from typing import Any

from treadlink.session.events import BeltMoving, BeltStopped, Event, TelemetryUpdate
from treadlink.session.view import ViewTracker


class BeltTracker:
    """Whether the belt runs: the guard's confirmed stop wins over the last frame seen (the
    session may end before a zero-speed frame reaches its listeners); a frame that moves after
    it, or the guard's `belt_moving`, says running again."""

    _STILL = 0.005  # km/h: below the wire's 0.01 resolution

    def __init__(self) -> None:
        self.running = False

    def update(self, event: Event) -> bool:
        """Apply one event; True if the reading changed."""
        before = self.running
        if isinstance(event, TelemetryUpdate):
            self.running = (event.speed_kmh or 0.0) > self._STILL
        elif isinstance(event, BeltStopped):
            self.running = False
        elif isinstance(event, BeltMoving):
            self.running = True
        return self.running != before


def state_document(
    tracker: ViewTracker,
    now: float,
    *,
    remote_start: bool,
    belt_running: bool,
    last_command: dict[str, Any] | None = None,
    advised: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`now` is the session clock, for the time left in the segment; `remote_start` says
    whether a `start` command would be accepted at this moment; `belt_running` is the bridge's
    reading of the belt (BeltTracker); `last_command` the last command's answer and `advised`
    the programme's next stage (`serve`), as they are published."""
    v = tracker.view
    seg = v.segment if v.phase != "finished" else None
    segment = None
    if seg is not None:
        remaining_s = tracker.remaining_s(now)
        remaining_m = tracker.remaining_m()
        segment = {
            "index": seg.index,
            "name": seg.name,
            "kind": seg.kind,
            "remaining_s": None if remaining_s is None else round(remaining_s, 1),
            "remaining_m": None if remaining_m is None else round(remaining_m, 1),
        }
    return {
        "speed_kmh": v.speed_kmh,
        "incline_pct": v.incline_pct,
        "distance_m": v.distance_m,
        "elapsed_s": v.elapsed_s,
        "heart_rate_bpm": v.heart_rate_bpm,
        "belt": "running" if belt_running else "stopped",
        "session": v.phase,
        "plan": v.plan,
        "stage": v.stage,
        "segment": segment,
        "fault": None if v.fault is None else {"kind": v.fault.kind, "message": v.fault.message},
        "remote_start": remote_start,
        "target_speed_kmh": v.target_speed_kmh,
        "target_incline_pct": v.target_incline_pct,
        "pause_reason": v.pause_reason,
        "treadmill": v.treadmill,
        "last_command": last_command,
        "next": advised,
    }
