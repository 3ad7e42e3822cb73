"""What a compiled plan is: an ordered tuple of steps with checked setpoints, and its totals.

The session engine reads only these; nothing here knows about files or Bluetooth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["walk", "run", "custom"]


@dataclass(frozen=True, slots=True)
class Cue:
    """Text for the runner, `offset_s` seconds after its step starts."""

    offset_s: float
    text: str


@dataclass(frozen=True, slots=True)
class RepeatInfo:
    """One enclosing repeat block: this is `iteration` (1-based) of `count`."""

    iteration: int
    count: int
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One setpoint held until a time or a distance has passed (exactly one of the two is set).

    `speed_units`/`incline_units` are the wire values (0.01 km/h, 0.1 %) already checked against
    the treadmill limits and the runner's caps: the engine sends them as they are.
    """

    index: int  # 0-based position in the timeline
    name: str
    kind: Kind
    speed_kmh: float
    incline_pct: float
    speed_units: int
    incline_units: int
    duration_s: float | None
    distance_m: float | None
    running: bool  # counts as running in totals: kind run, or a custom speed past the threshold
    start_s: float | None  # from the session start; None once a distance-ended step came before
    cues: tuple[Cue, ...] = ()
    repeats: tuple[RepeatInfo, ...] = ()  # enclosing repeat blocks, outermost first
    line: int | None = None  # where the step was written, for the runner's reference

    @property
    def cue(self) -> str | None:
        """The text to show as the step starts, if any."""
        texts = [c.text for c in self.cues if c.offset_s == 0]
        return " / ".join(texts) if texts else None

    @property
    def estimated_duration_s(self) -> float:
        """The duration, or for a distance the time it takes at the step's speed."""
        if self.duration_s is not None:
            return self.duration_s
        assert self.distance_m is not None
        return self.distance_m / (self.speed_kmh / 3.6)


@dataclass(frozen=True, slots=True)
class Totals:
    """Times count time-ended steps only; distance-ended steps are counted separately."""

    total_time_s: float
    run_time_s: float
    longest_run_s: float  # longest stretch of consecutive time-ended running steps
    distance_m: float  # sum of distance-ended steps
    run_distance_m: float
    distance_steps: int

    @classmethod
    def of(cls, steps: Iterable[Step]) -> Totals:
        total = run = longest = stretch = distance = run_distance = 0.0
        distance_steps = 0
        for s in steps:
            if s.duration_s is not None:
                total += s.duration_s
                if s.running:
                    run += s.duration_s
                    stretch += s.duration_s
                    longest = max(longest, stretch)
                else:
                    stretch = 0.0
            else:
                assert s.distance_m is not None
                distance_steps += 1
                distance += s.distance_m
                run_distance += s.distance_m if s.running else 0.0
                stretch = 0.0  # its time is unknown, so it ends a stretch
        return cls(total, run, longest, distance, run_distance, distance_steps)

    @classmethod
    def sum(cls, parts: Iterable[Totals]) -> Totals:
        items = list(parts)
        return cls(
            sum(t.total_time_s for t in items),
            sum(t.run_time_s for t in items),
            max((t.longest_run_s for t in items), default=0.0),
            sum(t.distance_m for t in items),
            sum(t.run_distance_m for t in items),
            sum(t.distance_steps for t in items),
        )


@dataclass(frozen=True, slots=True)
class Timeline:
    """One session, ready to run."""

    name: str
    description: str | None
    source: str  # the file it came from
    steps: tuple[Step, ...]
    totals: Totals
    # How the plan was fitted to the treadmill, for the runner before the belt moves: speeds
    # put on a mile grid, a stage run flat.
    notes: tuple[str, ...] = ()

    @property
    def estimated_total_s(self) -> float:
        return sum(s.estimated_duration_s for s in self.steps)


@dataclass(frozen=True, slots=True)
class Programme:
    """A plan file: its stages in order, each compiled."""

    name: str
    description: str | None
    source: str
    stages: tuple[Timeline, ...]

    @property
    def totals(self) -> Totals:
        return Totals.sum(t.totals for t in self.stages)
