"""`Recorder`: builds a session's record from its events, as the JSON dicts `--events` writes.

It consumes `event.as_json()` only, never the engine's objects, so it is independent of how the
engine and the guard are built; kinds it does not know are ignored. It runs synchronously inside
the event listener and does no I/O: finished laps, faults, 1 Hz samples and the session's end go
to `sink` (a RecordWriter's `put`, or a list in tests) as they become known.

Time and distance walked and run come from the treadmill's own counters: each telemetry frame's
increase in distance and elapsed time goes to the segment running then. A counter that goes
backwards means the treadmill began a new workout (after a stop and restart): it counts from 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from treadlink.records.model import FaultRecord, Lap, LapKind, Outcome, Sample, SessionEnd

Item = Lap | FaultRecord | Sample | SessionEnd
Sink = Callable[[Item], None]
Clock = Callable[[], datetime]

# A stop the runner asked for is an early stop, not an equipment fault; the end-of-session stop
# warning follows a session that may well be complete.
RUNNER_STOP = "stop_input"
NOT_ENDING = frozenset({"stop_unconfirmed"})


@dataclass(slots=True)
class _Open:
    """The segment running now."""

    lap: Lap
    time_s: float = 0.0
    distance_m: float = 0.0


class Recorder:
    def __init__(
        self,
        sink: Sink,
        *,
        running_threshold_kmh: float,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        """`running_threshold_kmh`: a custom segment at this speed or faster counts as running."""
        self._sink = sink
        self._threshold = running_threshold_kmh
        self._clock = clock
        self.started = False  # the session began (it may still end before the belt moves)
        self.treadmill: str | None = None
        self.end: SessionEnd | None = None
        self._open: _Open | None = None
        self._laps: list[Lap] = []
        self._lead_in = (0.0, 0.0)  # counted before the first segment: joins it
        self._last_counters: tuple[float | None, float | None] = (None, None)
        self._distance_m = 0.0
        self._last_sample_second: int | None = None
        self._paused_at: float | None = None
        self._paused_s = 0.0
        self._stop_reason: str | None = None
        self._stopped_at: float | None = None  # the plan ends here; the belt then slows down
        self._open_fault: FaultRecord | None = None  # a fault not (yet) acknowledged

    def __call__(self, event: Mapping[str, Any]) -> None:
        handler = _HANDLERS.get(str(event.get("event")))
        if handler is not None:
            handler(self, event, float(event.get("at") or 0.0))

    # --- events ---------------------------------------------------------------------------
    def _started(self, event: Mapping[str, Any], at: float) -> None:
        self.started = True
        self.treadmill = event.get("treadmill")

    def _segment(self, event: Mapping[str, Any], at: float) -> None:
        self._close_lap(at)
        speed = float(event["speed_kmh"])
        kind: LapKind = "run" if event.get("segment_kind") == "run" else "walk"
        if event.get("segment_kind") not in ("walk", "run") and speed >= self._threshold:
            kind = "run"
        lap = Lap(
            index=int(event["index"]),
            name=str(event.get("name") or f"segment {int(event['index']) + 1}"),
            kind=kind,
            target_speed_kmh=speed,
            target_incline_pct=float(event.get("incline_pct") or 0.0),
            planned_s=event.get("duration_s"),
            planned_m=event.get("distance_m"),
            start_s=at,
            end_s=at,
            time_s=0.0,
            distance_m=0.0,
        )
        time_s, distance_m = self._lead_in if not self._laps else (0.0, 0.0)
        self._open = _Open(lap, time_s, distance_m)

    def _skipped(self, event: Mapping[str, Any], at: float) -> None:
        if self._open is not None and self._open.lap.index == event.get("index"):
            self._open.lap = replace(self._open.lap, skipped=True)

    def _telemetry(self, event: Mapping[str, Any], at: float) -> None:
        distance, elapsed = _number(event.get("distance_m")), _number(event.get("elapsed_time_s"))
        moved = _increase(self._last_counters[0], distance)
        timed = _increase(self._last_counters[1], elapsed)
        self._last_counters = (
            distance if distance is not None else self._last_counters[0],
            elapsed if elapsed is not None else self._last_counters[1],
        )
        self._distance_m += moved
        if self._open is not None:
            self._open.distance_m += moved
            self._open.time_s += timed
        else:
            self._lead_in = (self._lead_in[0] + timed, self._lead_in[1] + moved)
        second = math.floor(at)
        if self._last_sample_second is None or second > self._last_sample_second:
            self._last_sample_second = second
            self._sink(
                Sample(
                    t_s=at,
                    speed_kmh=_number(event.get("speed_kmh")),
                    incline_pct=_number(event.get("incline_pct")),
                    distance_m=self._distance_m,
                    heart_rate_bpm=_integer(event.get("heart_rate_bpm")),
                )
            )

    def _paused(self, event: Mapping[str, Any], at: float) -> None:
        if self._paused_at is None:
            self._paused_at = at

    def _resumed(self, event: Mapping[str, Any], at: float) -> None:
        if self._paused_at is not None:
            self._paused_s += at - self._paused_at
            self._paused_at = None
        self._open_fault = None  # resuming after a fault is the runner's acknowledgement

    def _stop_requested(self, event: Mapping[str, Any], at: float) -> None:
        if self._stop_reason is None:
            self._stop_reason = str(event.get("reason") or "stopped")
        if self._stopped_at is None:
            self._stopped_at = at

    def _fault(self, event: Mapping[str, Any], at: float) -> None:
        fault = FaultRecord(
            at_s=at,
            fault=str(event.get("fault") or "error"),
            message=str(event.get("message") or ""),
            latched=bool(event.get("latched")),
        )
        self._sink(fault)
        if fault.fault == RUNNER_STOP:
            if self._stop_reason is None:
                self._stop_reason = fault.message
        elif fault.fault not in NOT_ENDING and self._open_fault is None:
            self._open_fault = fault

    def _acknowledged(self, event: Mapping[str, Any], at: float) -> None:
        self._open_fault = None

    def _finished(self, event: Mapping[str, Any], at: float) -> None:
        if self.end is not None:
            return
        # The plan ended when the stop was asked for: the belt's slowing down and the wait for
        # the treadmill to confirm it count to the last lap's counters, not to its time.
        end_at = at if self._stopped_at is None else min(at, self._stopped_at)
        self._close_lap(end_at)
        if self._paused_at is not None:
            self._paused_s += max(0.0, end_at - self._paused_at)
            self._paused_at = None
        outcome, reason = self._outcome(bool(event.get("completed")))
        walk = [lap for lap in self._laps if lap.kind == "walk"]
        run = [lap for lap in self._laps if lap.kind == "run"]
        self.end = SessionEnd(
            ended_at=self._clock(),
            outcome=outcome,
            reason=reason,
            treadmill=self.treadmill,
            done_s=self._done_s(end_at),
            paused_s=self._paused_s,
            walk_s=sum(lap.time_s for lap in walk),
            walk_m=sum(lap.distance_m for lap in walk),
            run_s=sum(lap.time_s for lap in run),
            run_m=sum(lap.distance_m for lap in run),
            distance_m=self._distance_m,
            segments_done=int(event.get("segments_done") or 0),
            segments_skipped=sum(lap.skipped for lap in self._laps),
        )
        self._sink(self.end)

    # --- helpers ----------------------------------------------------------------------------
    def _close_lap(self, at: float) -> None:
        if self._open is None:
            return
        end_s = max(at, self._open.lap.start_s)
        lap = replace(
            self._open.lap, end_s=end_s, time_s=self._open.time_s, distance_m=self._open.distance_m
        )
        self._open = None
        self._laps.append(lap)
        self._sink(lap)

    def _done_s(self, at: float) -> float:
        """Time through the plan: from the first segment to the end, less the pauses."""
        if not self._laps:
            return 0.0
        return max(0.0, at - self._laps[0].start_s - self._paused_s)

    def _outcome(self, completed: bool) -> tuple[Outcome, str | None]:
        if completed:
            return "completed", None
        if self._open_fault is not None:
            return "fault", self._open_fault.message
        return "stopped", self._stop_reason or "ended early"

    @property
    def laps(self) -> tuple[Lap, ...]:
        return tuple(self._laps)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def _increase(before: float | None, now: float | None) -> float:
    """How far a treadmill counter went up; a counter that went back started again from 0."""
    if now is None:
        return 0.0
    if before is None:
        return 0.0
    return now - before if now >= before else now


_HANDLERS: dict[str, Callable[[Recorder, Mapping[str, Any], float], None]] = {
    "session_started": Recorder._started,
    "segment_started": Recorder._segment,
    "skipped": Recorder._skipped,
    "telemetry": Recorder._telemetry,
    "paused": Recorder._paused,
    "resumed": Recorder._resumed,
    "stop_requested": Recorder._stop_requested,
    "fault": Recorder._fault,
    "acknowledged": Recorder._acknowledged,
    "finished": Recorder._finished,
}
