"""`SessionAccount`: the session's own account of its distance, time, stops and pauses.

    account = SessionAccount()
    account(event.as_json())          # every event of the session, in order
    account.distance_m, account.belt_kmh, account.timer_s(now), account.holds, account.ended_s

One set of rules, in one place, for everything that tells the session back: the screen and the
MQTT state (through `treadlink.session.view`), the engine's end line and distance segments, the
history (`treadlink.records.recorder`) and so every export. It is a pure function of the event
stream in its JSON form (what `--events` writes), so a recording replayed into it gives the same
account.

Distance is the treadmill's own counter, counted from the session's first frame. Some
treadmills reset their counters on a stop or a pause (a new workout from 0): a counter that goes
back started again, so from then on its reading is what it added. A single frame whose counter
drops and then comes straight back (further than the belt could have gone in between) was a
stray frame, not a reset. The account's distance never goes back.

Time is the session's timer: it runs on the session clock from the first segment and stands
while the plan is held (a pause, the runner's stop, a fault, a change on the console). A hold
lasts as long as the engine held the plan (`resumed.paused_s`), so the timer and the plan's
deadlines agree. The plan ends at the first stop asked for since the last resume (or at the
session's end): the belt slowing down after it adds to the distance, not to the time.

Speed: a lone 0 km/h frame while the belt runs (some treadmills send them) is not a stop, for
the display or the record: it is held back one frame, and believed when the next frame is still
0 or once a stop is under way. (The guard's "belt stopped" needs its own window of frames.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

HoldKind = Literal["pause", "stop", "fault", "console"]

STILL_KMH = 0.005  # below the wire's 0.01 resolution
# No runner moves the belt faster than this (m per session second: 36 km/h) plus a frame's
# rounding: a counter that came back further than that after a drop never really dropped.
_PLAUSIBLE_M_S = 10.0
_PLAUSIBLE_SLACK_M = 5.0
RUNNER_STOP = "stop_input"  # the guard's fault kind for a stop the runner asked for


@dataclass(slots=True)
class Hold:
    """A time the plan stood still. `end_s` None: still held."""

    start_s: float
    end_s: float | None
    kind: HoldKind
    reason: str


class _Counter:
    """One treadmill counter (metres), kept across resets; never goes back."""

    def __init__(self) -> None:
        self.total = 0.0
        self._last: float | None = None
        self._last_at = 0.0
        self._before_drop: float | None = None  # the reading before a drop not yet explained

    def read(self, value: float, at: float) -> None:
        last = self._last
        if last is None:  # the session's first reading: counted from here
            self._last, self._last_at = value, at
            return
        before = self._before_drop
        self._before_drop = None
        if before is not None and value >= before and value - last > self._plausible(at):
            self.total += value - before  # the drop was a stray frame: go on from before it
        elif before is not None or value < last:
            self._settle_drop(before, last)
            if value >= last:
                self.total += value - last
            else:
                self._before_drop = last  # a new workout counting from 0, or a stray frame
        else:
            self.total += value - last
        self._last, self._last_at = value, at

    def settle(self) -> None:
        """The last frame was a drop and no frame came after it: it was a reset."""
        if self._before_drop is not None and self._last is not None:
            self.total += self._last
            self._before_drop = None

    def _settle_drop(self, before: float | None, last: float) -> None:
        # The frame before this one dropped, and this one did not undo it: a reset, whose
        # reading then was what the new workout had counted.
        if before is not None:
            self.total += last

    def _plausible(self, at: float) -> float:
        return _PLAUSIBLE_M_S * max(0.0, at - self._last_at) + _PLAUSIBLE_SLACK_M


class SessionAccount:
    def __init__(self) -> None:
        self.started = False  # the session began: before it, nothing is counted
        self.started_s: float | None = None  # the first segment: the timer starts
        self.ended_s: float | None = None  # the plan's end, once the session has finished
        self.finished_s: float | None = None  # the session's end (the belt seen stopped)
        self.holds: list[Hold] = []
        self.belt_kmh: float | None = None  # the speed to show and record (see the module doc)
        self._distance = _Counter()
        self._stop_at: float | None = None  # a stop asked for since the plan last ran
        self._cause: tuple[HoldKind, str] | None = None  # what the next pause holds for
        self._suspect_zero = False  # the last frame read 0 while the belt ran

    def __call__(self, event: Mapping[str, Any]) -> None:
        handler = _HANDLERS.get(str(event.get("event")))
        if handler is not None:
            handler(self, event, float(event.get("at") or 0.0))

    # --- what the account says --------------------------------------------------------------
    @property
    def distance_m(self) -> float:
        """Metres the belt moved in this session, across counter resets."""
        return self._distance.total

    @property
    def held(self) -> Hold | None:
        """The hold going on now, if any."""
        return self.holds[-1] if self.holds and self.holds[-1].end_s is None else None

    @property
    def stopping(self) -> bool:
        """A stop was asked for and the plan has not run since."""
        return self._stop_at is not None

    def timer_s(self, at: float) -> float:
        """Seconds the session's timer had run at session time `at` (at or before now)."""
        if self.started_s is None:
            return 0.0
        end = at
        for limit in (self.ended_s, self._stop_at if self.held is None else None):
            if limit is not None:
                end = min(end, limit)
        if end <= self.started_s:
            return 0.0
        return (end - self.started_s) - self.held_s(self.started_s, end)

    def held_s(self, start: float, end: float) -> float:
        """Seconds held between session times `start` and `end`."""
        total = 0.0
        for hold in self.holds:
            hold_end = end if hold.end_s is None else hold.end_s
            total += max(0.0, min(end, hold_end) - max(start, hold.start_s))
        return total

    # --- events -------------------------------------------------------------------------------
    def _session_started(self, event: Mapping[str, Any], at: float) -> None:
        self.started = True

    def _segment_started(self, event: Mapping[str, Any], at: float) -> None:
        if self.started_s is None:
            self.started_s = at

    def _telemetry(self, event: Mapping[str, Any], at: float) -> None:
        distance = _number(event.get("distance_m"))
        if distance is not None:
            self._distance.read(distance, at)
        speed = _number(event.get("speed_kmh"))
        if speed is None:
            return
        moving = self.belt_kmh is not None and self.belt_kmh > STILL_KMH
        if speed <= STILL_KMH and moving and not self._suspect_zero and not self._expects_rest():
            self._suspect_zero = True  # held back: one frame is not a stop
            return
        self._suspect_zero = False
        self.belt_kmh = speed

    def _fault(self, event: Mapping[str, Any], at: float) -> None:
        if event.get("latched"):
            kind: HoldKind = "stop" if event.get("fault") == RUNNER_STOP else "fault"
            self._cause = (kind, str(event.get("message") or kind))

    def _console_override(self, event: Mapping[str, Any], at: float) -> None:
        self._cause = ("console", "speed changed on the treadmill's console")

    def _paused(self, event: Mapping[str, Any], at: float) -> None:
        held = self.held
        kind: HoldKind = "pause"
        if held is not None:
            # Held again before a resume (a fault while the belt came back): the first hold
            # ends here; the new one keeps its kind unless a new cause says otherwise.
            held.end_s = max(held.start_s, at)
            kind = held.kind
        reason = str(event.get("reason") or "paused")
        if self._cause is not None:
            kind, reason = self._cause[0], self._cause[1]
            self._cause = None
        self.holds.append(Hold(at, None, kind, reason))

    def _resumed(self, event: Mapping[str, Any], at: float) -> None:
        held = self.held
        if held is not None:
            paused_s = _number(event.get("paused_s"))
            end = at if paused_s is None else min(at, held.start_s + paused_s)
            held.end_s = max(held.start_s, end)
        self._stop_at = None
        self._cause = None

    def _stop_requested(self, event: Mapping[str, Any], at: float) -> None:
        if self._stop_at is None:
            self._stop_at = at

    def _finished(self, event: Mapping[str, Any], at: float) -> None:
        if self.finished_s is not None:
            return
        self._distance.settle()
        self.finished_s = at
        end = at if self._stop_at is None else min(at, self._stop_at)
        self.ended_s = end
        kept: list[Hold] = []
        for hold in self.holds:
            if hold.start_s >= end:
                continue  # held after the plan ended: that is the end, not a hold
            hold.end_s = end if hold.end_s is None else min(hold.end_s, end)
            kept.append(hold)
        self.holds = kept

    def _expects_rest(self) -> bool:
        return self._stop_at is not None or self.held is not None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


_HANDLERS: dict[str, Callable[[SessionAccount, Mapping[str, Any], float], None]] = {
    "session_started": SessionAccount._session_started,
    "segment_started": SessionAccount._segment_started,
    "telemetry": SessionAccount._telemetry,
    "fault": SessionAccount._fault,
    "console_override": SessionAccount._console_override,
    "paused": SessionAccount._paused,
    "resumed": SessionAccount._resumed,
    "stop_requested": SessionAccount._stop_requested,
    "finished": SessionAccount._finished,
}
