"""The session as an activity: laps with their per-second points and real times, shared by the
TCX and FIT writers so both files say the same thing.

FIT and TCX give times in whole seconds, so every moment of the record is taken to its whole
second of session time first (the session's start is a whole second too), and every figure is
worked out from those: a lap's elapsed time is the span to the next lap, its timer time is the
part of that span the session's timer ran (from the first segment to the plan's end, less the
stops and pauses: treadlink.session.account). So a lap's timer time is never more than its
elapsed time, the laps cover the session from its start to its end, and every point lies inside
the session and inside one lap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from treadlink.records.model import Lap, Sample, SessionRecord

KMH_TO_MS = 1 / 3.6
# What every export of a simulator session says of itself, so that no simulated run reaches a
# training log unmarked.
SIMULATED = "SIMULATED"
SIMULATED_NOTE = "SIMULATED session: treadlink's simulated treadmill, not a run"


class NothingToExport(ValueError):
    """A session with no laps (it ended before its first segment)."""


@dataclass(frozen=True, slots=True)
class Point:
    time: datetime
    distance_m: float
    speed_ms: float | None
    incline_pct: float | None
    heart_rate_bpm: int | None


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time the session's timer ran."""

    start: datetime
    end: datetime

    def overlap_s(self, start: datetime, end: datetime) -> float:
        return max(0.0, (min(self.end, end) - max(self.start, start)).total_seconds())


@dataclass(frozen=True, slots=True)
class ActivityLap:
    lap: Lap
    start: datetime
    end: datetime
    timer_s: float  # the timer's running time within the lap
    points: tuple[Point, ...]

    @property
    def elapsed_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def max_speed_ms(self) -> float:
        return max((p.speed_ms or 0.0 for p in self.points), default=0.0)

    @property
    def heart_rates(self) -> list[int]:
        return [p.heart_rate_bpm for p in self.points if p.heart_rate_bpm]


@dataclass(frozen=True, slots=True)
class Activity:
    record: SessionRecord
    start: datetime
    end: datetime
    laps: tuple[ActivityLap, ...]
    running: tuple[Span, ...]  # when the timer ran, in order

    @property
    def simulated(self) -> bool:
        return self.record.start.simulated

    @property
    def elapsed_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def timer_s(self) -> float:
        return sum(lap.timer_s for lap in self.laps)

    @property
    def distance_m(self) -> float:
        return sum(lap.lap.distance_m for lap in self.laps)


def activity(record: SessionRecord) -> Activity:
    if not record.laps:
        raise NothingToExport(f"session {record.id} has no laps: it ended before its first segment")
    start = record.start.started_at.replace(microsecond=0)

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=math.floor(max(0.0, seconds)))

    points = _points(at, record.samples)
    plan_end = at(record.laps[-1].end_s)
    end = max([plan_end, *(p.time for p in points)])
    running = _running(
        at(record.laps[0].start_s), plan_end, [(at(p.start_s), at(p.end_s)) for p in record.pauses]
    )
    # The first lap takes the belt's start before it; the last one the stop after the plan.
    starts = [start, *(at(lap.start_s) for lap in record.laps[1:])]
    ends = [*starts[1:], end]
    laps = tuple(
        ActivityLap(
            lap,
            lap_start,
            lap_end,
            sum(span.overlap_s(lap_start, lap_end) for span in running),
            tuple(
                p
                for p in points
                if lap_start <= p.time and (p.time < lap_end or i == len(record.laps) - 1)
            ),
        )
        for i, (lap, lap_start, lap_end) in enumerate(zip(record.laps, starts, ends, strict=True))
    )
    return Activity(record, start, end, laps, running)


def _running(
    first: datetime, plan_end: datetime, holds: list[tuple[datetime, datetime]]
) -> tuple[Span, ...]:
    """The timer's spans: from the first segment to the plan's end, less the holds."""
    spans: list[Span] = []
    cursor = first
    for hold_start, hold_end in sorted(holds):
        if hold_start > cursor:
            spans.append(Span(cursor, min(hold_start, plan_end)))
        cursor = max(cursor, hold_end)
        if cursor >= plan_end:
            break
    if cursor < plan_end:
        spans.append(Span(cursor, plan_end))
    return tuple(s for s in spans if s.end > s.start)


def _points(at: Callable[[float], datetime], samples: tuple[Sample, ...]) -> list[Point]:
    """One point per whole second (the first sample of each)."""
    out: list[Point] = []
    for s in samples:
        time = at(s.t_s)
        if out and out[-1].time == time:
            continue
        out.append(
            Point(
                time=time,
                distance_m=s.distance_m or 0.0,
                speed_ms=None if s.speed_kmh is None else s.speed_kmh * KMH_TO_MS,
                incline_pct=s.incline_pct,
                heart_rate_bpm=s.heart_rate_bpm,
            )
        )
    return out
