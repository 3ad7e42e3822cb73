"""What a recorded session is: plain values, shared by the recorder, the store and the exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Outcome = Literal["completed", "stopped", "fault"]
PainMoment = Literal["before", "during", "after", "next_morning"]
PAIN_MOMENTS: tuple[PainMoment, ...] = (
    "before",
    "during",
    "after",
    "next_morning",
)  # in time order
LapKind = Literal["walk", "run"]
PauseKind = Literal["pause", "stop", "fault", "console"]


@dataclass(frozen=True, slots=True)
class Sample:
    """The treadmill's own telemetry, at most one per second of session time."""

    t_s: float  # session seconds (pauses included, × speed-up)
    speed_kmh: float | None
    incline_pct: float | None
    distance_m: float | None  # from the start of the session, across treadmill resets
    heart_rate_bpm: int | None


@dataclass(frozen=True, slots=True)
class Lap:
    """One segment as it ran. Time and distance come from the treadmill's counters."""

    index: int  # the segment's position in the stage
    name: str
    kind: LapKind  # a custom segment counts as a run at or above the runner's threshold
    target_speed_kmh: float
    target_incline_pct: float
    planned_s: float | None
    planned_m: float | None
    start_s: float  # session seconds
    end_s: float
    time_s: float  # the session's timer over the lap: stops and pauses excluded
    distance_m: float  # the treadmill's counter, across its resets
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class PauseRecord:
    """A time the plan stood still within the session (session seconds): a pause, the runner's
    stop or a fault later resumed, a speed change on the console (treadlink.session.account)."""

    start_s: float
    end_s: float
    kind: PauseKind
    reason: str


@dataclass(frozen=True, slots=True)
class FaultRecord:
    at_s: float
    fault: str  # the guard's fault kind, or "error"
    message: str
    latched: bool


@dataclass(frozen=True, slots=True)
class SessionStart:
    """What is known before the belt moves; the CLI writes it before the session begins."""

    stage_name: str
    stage_file: str  # resolved path of the stage (or .zwo) file
    planned_s: float
    started_at: datetime  # aware, UTC
    plan_file: str | None = None  # resolved path of the plan file, when run from one
    plan_name: str | None = None
    stage: int | None = None  # 1-based position in the plan
    simulated: bool = False
    speedup: float = 1.0


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """What the recorder works out from the events when the session finishes."""

    ended_at: datetime
    outcome: Outcome
    reason: str | None
    treadmill: str | None
    done_s: float  # the session's timer: from the first segment to the end, less the holds
    paused_s: float  # stopped or paused, then resumed
    walk_s: float
    walk_m: float
    run_s: float
    run_m: float
    distance_m: float
    segments_done: int
    segments_skipped: int


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session as the store returns it; `end` is None for one that never finished (a crash)."""

    id: int
    start: SessionStart
    end: SessionEnd | None
    pain: dict[PainMoment, int] = field(default_factory=dict)
    laps: tuple[Lap, ...] = ()
    faults: tuple[FaultRecord, ...] = ()
    samples: tuple[Sample, ...] = ()
    pauses: tuple[PauseRecord, ...] = ()

    @property
    def outcome(self) -> str:
        return self.end.outcome if self.end is not None else "interrupted"


# What the recorder hands the writer thread, and the store writes.
RecordItem = Lap | FaultRecord | Sample | SessionEnd | PauseRecord
