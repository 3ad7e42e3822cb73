"""`Recorder`: builds a session's record from its events, as the JSON dicts `--events` writes.

It consumes `event.as_json()` only, never the engine's objects, so it is independent of how the
engine and the guard are built; kinds it does not know are ignored. It runs synchronously inside
the event listener and does no I/O: finished laps, faults, 1 Hz samples and the session's end go
to `sink` (a RecordWriter's `put`, or a list in tests) as they become known.

Distance, time, stops and pauses come from the session's account (treadlink.session.account),
the same one the screen shows: distance from the treadmill's own counter, kept across its
resets; time from the session's timer, which stands while the plan is held. Each lap gets the
account's distance and timer over its span; the first lap also takes the belt's start before it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from treadlink.records.model import (
    FaultRecord,
    Lap,
    LapKind,
    Outcome,
    PauseRecord,
    RecordItem,
    Sample,
    SessionEnd,
)
from treadlink.session.account import RUNNER_STOP, SessionAccount

Sink = Callable[[RecordItem], None]
Clock = Callable[[], datetime]

# A stop the runner asked for (RUNNER_STOP) is an early stop, not an equipment fault; the
# end-of-session stop warning follows a session that may well be complete.
NOT_ENDING = frozenset({"stop_unconfirmed"})


@dataclass(slots=True)
class _Open:
    """The segment running now, and the session's distance when it began."""

    lap: Lap
    start_m: float


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
        self.account = SessionAccount()
        self._open: _Open | None = None
        self._laps: list[Lap] = []
        self._last_sample_second: int | None = None
        self._stop_reason: str | None = None
        self._open_fault: FaultRecord | None = None  # a fault not (yet) acknowledged

    def __call__(self, event: Mapping[str, Any]) -> None:
        self.account(event)
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
        # The belt's start before the first segment joins it.
        self._open = _Open(lap, self.account.distance_m if self._laps else 0.0)

    def _skipped(self, event: Mapping[str, Any], at: float) -> None:
        if self._open is not None and self._open.lap.index == event.get("index"):
            self._open.lap = replace(self._open.lap, skipped=True)

    def _telemetry(self, event: Mapping[str, Any], at: float) -> None:
        if self.end is not None:
            return  # the session is over
        second = math.floor(at)
        if self._last_sample_second is None or second > self._last_sample_second:
            self._last_sample_second = second
            self._sink(
                Sample(
                    t_s=at,
                    speed_kmh=self.account.belt_kmh,
                    incline_pct=_number(event.get("incline_pct")),
                    distance_m=self.account.distance_m,
                    heart_rate_bpm=_integer(event.get("heart_rate_bpm")),
                )
            )

    def _resumed(self, event: Mapping[str, Any], at: float) -> None:
        self._open_fault = None  # resuming after a fault is the runner's acknowledgement

    def _stop_requested(self, event: Mapping[str, Any], at: float) -> None:
        if self._stop_reason is None:
            self._stop_reason = str(event.get("reason") or "stopped")

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
        # The plan ended when the stop was asked for (the account says when): the belt's
        # slowing down and the wait for the treadmill to confirm it add to the last lap's
        # distance, not to its time.
        account = self.account
        end_at = at if account.ended_s is None else account.ended_s
        self._close_lap(end_at)
        for hold in account.holds:
            assert hold.end_s is not None  # the account closes every hold at the end
            self._sink(PauseRecord(hold.start_s, hold.end_s, hold.kind, hold.reason))
        outcome, reason = self._outcome(bool(event.get("completed")))
        if outcome == "stopped" and event.get("not_followed"):
            reason = f"the belt did not follow {event['not_followed']} speeds"
        walk = [lap for lap in self._laps if lap.kind == "walk"]
        run = [lap for lap in self._laps if lap.kind == "run"]
        self.end = SessionEnd(
            ended_at=self._clock(),
            outcome=outcome,
            reason=reason,
            treadmill=self.treadmill,
            done_s=account.timer_s(end_at),
            paused_s=self._paused_s(end_at),
            walk_s=sum(lap.time_s for lap in walk),
            walk_m=sum(lap.distance_m for lap in walk),
            run_s=sum(lap.time_s for lap in run),
            run_m=sum(lap.distance_m for lap in run),
            distance_m=account.distance_m,
            segments_done=int(event.get("segments_done") or 0),
            segments_skipped=sum(lap.skipped for lap in self._laps),
        )
        self._sink(self.end)

    # --- helpers ----------------------------------------------------------------------------
    def _close_lap(self, at: float) -> None:
        if self._open is None:
            return
        start_s = self._open.lap.start_s
        end_s = max(at, start_s)
        timer = self.account.timer_s
        lap = replace(
            self._open.lap,
            end_s=end_s,
            time_s=timer(end_s) - timer(start_s),
            distance_m=self.account.distance_m - self._open.start_m,
        )
        self._open = None
        self._laps.append(lap)
        self._sink(lap)

    def _paused_s(self, end: float) -> float:
        """Time held between the first segment and the end (then resumed, or held at the end)."""
        start = self.account.started_s
        return 0.0 if start is None else self.account.held_s(start, end)

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


_HANDLERS: dict[str, Callable[[Recorder, Mapping[str, Any], float], None]] = {
    "session_started": Recorder._started,
    "segment_started": Recorder._segment,
    "skipped": Recorder._skipped,
    "telemetry": Recorder._telemetry,
    "resumed": Recorder._resumed,
    "stop_requested": Recorder._stop_requested,
    "fault": Recorder._fault,
    "acknowledged": Recorder._acknowledged,
    "finished": Recorder._finished,
}
