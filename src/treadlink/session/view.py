"""`SessionView`: the one picture of a session that every front end shows.

    tracker = ViewTracker(timeline)
    session.subscribe(tracker)          # before the screen or the MQTT bridge
    tracker.view.phase, tracker.view.segment, tracker.remaining_s(session.clock())

The tracker owns the state (as a Home Assistant coordinator does); the runner's screen and the
MQTT bridge are thin views over it. It is a pure function of the event stream, so a recording
replayed into it gives the same picture. `update` says which facets changed, so a publisher can
send state at once on a change of belt, session, segment or fault and throttle the rest.

Distance, time and the belt's speed come from the session's account
(`treadlink.session.account`), the one the history and the exports keep too: they never go back
when a treadmill resets its counters on a stop, and a stray 0 km/h frame is not a stop. Outside a
session (`serve` while idle) the treadmill's own readings are shown as they come.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from treadlink.events import Event
from treadlink.plans.timeline import Step, Timeline
from treadlink.session.account import SessionAccount
from treadlink.session.events import (
    Acknowledged,
    BeltMoving,
    BeltStarted,
    BeltStopped,
    ConsoleOverride,
    EaseInTarget,
    Fault,
    Finished,
    LinkDown,
    Paused,
    PlanAdapted,
    Reconnected,
    Resumed,
    SegmentStarted,
    SessionStarted,
    SetpointConfirmed,
    SetpointNotFollowed,
    SetpointSent,
    StopAccepted,
    StopRequested,
    StopUnconfirmed,
    TelemetryUpdate,
)

Phase = Literal["idle", "starting", "running", "paused", "latched", "finished"]
Facet = Literal["belt", "session", "segment", "fault", "stop", "telemetry", "link"]

_STILL = 0.005  # km/h: below the wire's 0.01 resolution


@dataclass(slots=True)
class SegmentView:
    index: int
    name: str
    kind: str
    speed_kmh: float
    incline_pct: float
    duration_s: float | None
    distance_m: float | None
    cue: str | None
    started_at: float  # session clock
    start_distance_m: float  # the session's distance (its account) when it began


@dataclass(frozen=True, slots=True)
class FaultView:
    kind: str
    message: str


@dataclass(slots=True)
class StopView:
    """The two facts of a stop, apart: the treadmill accepted it; the belt was seen still."""

    requested: bool = False
    reason: str | None = None
    accepted: bool = False
    belt_stopped: bool = False
    unconfirmed_s: float | None = None  # set while the runner is being told to act


@dataclass(slots=True)
class SessionView:
    phase: Phase = "idle"
    plan: str | None = None
    stage: str | None = None
    treadmill: str | None = None
    steps: int = 0
    segment: SegmentView | None = None
    pause_reason: str | None = None
    speed_kmh: float | None = None
    speed_doubt: str | None = None  # why the belt's speed is not known (speed_kmh is None)
    incline_pct: float | None = None
    distance_m: int | None = None  # in a session: the session's own distance
    elapsed_s: int | None = None  # in a session: its timer (plan time, holds excluded)
    heart_rate_bpm: int | None = None
    target_speed_kmh: float | None = None
    target_incline_pct: float | None = None
    fault: FaultView | None = None  # the latched fault, until acknowledged
    last_error: str | None = None  # the last unlatched error, for the record
    stop: StopView = field(default_factory=StopView)
    link_up: bool = True
    completed: bool | None = None  # set when finished
    # The belt does not follow the segment's speed (the treadmill answered success): what the
    # runner is told, until the belt follows a speed again or the next segment starts.
    not_followed: str | None = None
    notes: list[str] = field(default_factory=list)  # how the plan was fitted to the treadmill

    @property
    def belt_running(self) -> bool:
        return (self.speed_kmh or 0.0) > _STILL


class ViewTracker:
    """Subscribe it to a session; read `view`. `timeline` gives the next segment."""

    def __init__(self, timeline: Timeline | None = None) -> None:
        self.timeline = timeline
        self.view = SessionView()
        self.account = SessionAccount()

    def __call__(self, event: Event) -> None:
        self.update(event)

    def update(self, event: Event) -> set[Facet]:
        """Apply one event; return the facets it changed."""
        v = self.view
        self.account(event.as_json())
        match event:
            case SessionStarted():
                v.plan, v.stage, v.treadmill, v.steps = (
                    event.plan,
                    event.stage,
                    event.treadmill,
                    event.steps,
                )
                v.phase = "starting"
                return {"session"}
            case BeltStarted():
                v.phase = "running" if v.fault is None else v.phase
                return {"session", "belt"}
            case SegmentStarted():
                v.segment = SegmentView(
                    event.index,
                    event.name,
                    event.segment_kind,
                    event.speed_kmh,
                    event.incline_pct,
                    event.duration_s,
                    event.distance_m,
                    event.cue,
                    started_at=event.at,
                    start_distance_m=self.account.distance_m,
                )
                v.not_followed = None
                return {"segment"}
            case PlanAdapted():
                v.notes.append(event.message)
                return {"session"}
            case SetpointNotFollowed():
                v.not_followed = event.message
                return {"belt"}
            case SetpointConfirmed():
                v.not_followed = None
                return {"belt"}
            case SetpointSent():
                v.target_speed_kmh = event.speed_kmh
                if event.incline_pct is not None:
                    v.target_incline_pct = event.incline_pct
                return {"belt"}
            case ConsoleOverride() | EaseInTarget():
                v.target_speed_kmh = event.speed_kmh
                return {"belt"}
            case TelemetryUpdate():
                was_running = v.belt_running
                v.incline_pct = event.incline_pct
                v.heart_rate_bpm = event.heart_rate_bpm
                account = self.account
                v.speed_doubt = event.speed_doubt
                if account.started:
                    v.speed_kmh = None if event.speed_doubt else account.belt_kmh
                    v.distance_m = round(account.distance_m)
                    v.elapsed_s = int(account.timer_s(event.at))
                else:
                    v.speed_kmh = event.speed_kmh
                    v.distance_m = event.distance_m
                    v.elapsed_s = event.elapsed_time_s
                return {"telemetry", "belt"} if v.belt_running != was_running else {"telemetry"}
            case Paused():
                v.pause_reason = event.reason
                if v.phase != "latched":
                    v.phase = "paused"
                return {"session"}
            case Resumed():
                v.pause_reason = None
                v.phase = "running"
                return {"session"}
            case Fault(latched=True):
                v.fault = FaultView(event.fault, event.message)
                v.phase = "latched"
                if event.fault == "stale_telemetry":
                    # The last frame's speed is not the belt's now: no frame says what it is.
                    v.speed_kmh, v.speed_doubt = None, "no treadmill data"
                return {"fault", "session"}
            case Fault():
                v.last_error = event.message
                return {"fault"}
            case Acknowledged():
                v.fault = None
                v.phase = "paused" if v.pause_reason is not None else "running"
                return {"fault", "session"}
            case StopRequested():
                v.stop = StopView(requested=True, reason=event.reason)
                return {"stop"}
            case StopAccepted():
                v.stop.accepted = True
                return {"stop"}
            case BeltStopped():
                v.stop.belt_stopped = True
                v.stop.unconfirmed_s = None
                return {"stop", "belt"}
            case BeltMoving():
                v.stop.belt_stopped = False
                return {"stop", "belt"}
            case StopUnconfirmed():
                v.stop.unconfirmed_s = event.waited_s
                return {"stop"}
            case LinkDown():
                v.link_up = False
                return {"link"}
            case Reconnected():
                v.link_up = True
                return {"link"}
            case Finished():
                v.phase = "finished"
                v.completed = event.completed
                if self.account.started:
                    v.distance_m = round(self.account.distance_m)
                    v.elapsed_s = int(self.account.timer_s(event.at))
                return {"session"}
        return set()

    # --- derived values ------------------------------------------------------------------
    def remaining_s(self, now: float) -> float | None:
        """Seconds left in a timed segment at session time `now` (None for distance ones)."""
        seg = self.view.segment
        if seg is None or seg.duration_s is None:
            return None
        done = self.account.timer_s(now) - self.account.timer_s(seg.started_at)
        return max(0.0, seg.duration_s - done)

    def timer_s(self, now: float) -> float:
        """The session's timer at session time `now`: plan time, stops and pauses excluded."""
        return self.account.timer_s(now)

    def remaining_m(self) -> float | None:
        """Metres left in a distance segment, from the session's own distance."""
        seg = self.view.segment
        if seg is None or seg.distance_m is None:
            return None
        done = self.account.distance_m - seg.start_distance_m
        return max(0.0, seg.distance_m - done)

    def next_step(self) -> Step | None:
        seg = self.view.segment
        if self.timeline is None:
            return None
        following = 0 if seg is None else seg.index + 1
        steps = self.timeline.steps
        return steps[following] if following < len(steps) else None
