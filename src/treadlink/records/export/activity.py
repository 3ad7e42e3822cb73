"""The session as an activity: laps with their per-second points and real times, shared by the
TCX and FIT writers so both files say the same thing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from treadlink.records.model import Lap, Sample, SessionRecord

KMH_TO_MS = 1 / 3.6


class NothingToExport(ValueError):
    """A session with no laps (it ended before its first segment)."""


@dataclass(frozen=True, slots=True)
class Point:
    time: datetime
    distance_m: float
    speed_ms: float | None
    incline_pct: float | None
    heart_rate_bpm: int | None
    climb_m: float  # height gained so far on the incline: treadmill "altitude"


@dataclass(frozen=True, slots=True)
class ActivityLap:
    lap: Lap
    start: datetime
    end: datetime
    points: tuple[Point, ...]

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

    @property
    def time_s(self) -> float:
        return sum(lap.lap.time_s for lap in self.laps)

    @property
    def distance_m(self) -> float:
        return sum(lap.lap.distance_m for lap in self.laps)


def activity(record: SessionRecord) -> Activity:
    """Each sample goes to the lap whose time span holds it; the first lap also takes the belt's
    start before it, the last one the stop after it."""
    if not record.laps:
        raise NothingToExport(f"session {record.id} has no laps: it ended before its first segment")
    # Whole seconds from a whole-second start: one point per second, never two in one second.
    start = record.start.started_at.replace(microsecond=0)
    points = _points(start, record.samples)
    laps: list[ActivityLap] = []
    for i, lap in enumerate(record.laps):
        first, last = i == 0, i == len(record.laps) - 1
        inside = tuple(
            p
            for p, s in zip(points, record.samples, strict=True)
            if (first or s.t_s >= lap.start_s) and (last or s.t_s < lap.end_s)
        )
        laps.append(ActivityLap(lap, _at(start, lap.start_s), _at(start, lap.end_s), inside))
    return Activity(record, start, laps[-1].end, tuple(laps))


def _at(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=math.floor(seconds))


def _points(start: datetime, samples: tuple[Sample, ...]) -> list[Point]:
    out: list[Point] = []
    climb, last_distance = 0.0, None
    for s in samples:
        if s.distance_m is not None:
            if last_distance is not None and s.incline_pct is not None:
                climb += max(0.0, s.distance_m - last_distance) * max(0.0, s.incline_pct) / 100
            last_distance = s.distance_m
        out.append(
            Point(
                time=_at(start, s.t_s),
                distance_m=s.distance_m or 0.0,
                speed_ms=None if s.speed_kmh is None else s.speed_kmh * KMH_TO_MS,
                incline_pct=s.incline_pct,
                heart_rate_bpm=s.heart_rate_bpm,
                climb_m=climb,
            )
        )
    return out
