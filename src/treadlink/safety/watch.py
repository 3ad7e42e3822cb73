"""`FrameWatch`: the guard's watchdogs over the treadmill's telemetry, one judgement per frame.

Each frame is checked, in every state and whoever moves the belt, against the runner's caps
(speed and incline) and against itself: frames that read 0 km/h while the distance or the time
goes on growing past what the belt's own ramp explains are a contradiction, and from then on
the reported speed is not the belt's (`speed_doubt`). Each frame also arms or re-arms the
watchdogs that fire when something that should happen does not: a frame while the belt moves or
while treadlink drives it, paused included (stale telemetry), a belt we run that reads 0 km/h
for longer than a glitch (stopped without being asked), a belt above its target that is not
slowing down (a runaway). It also keeps the window of frames at rest that tells an idle
treadmill going to sleep from a fault.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from treadlink.safety.faults import FaultKind
from treadlink.safety.settings import STILL_KMH, GuardSettings
from treadlink.safety.timers import Timers
from treadlink.treadmill.state import TreadmillState

Trip = Callable[[FaultKind, str], None]


class Watched(Protocol):
    """What the watch needs to know of the guard's own state."""

    @property
    def running(self) -> bool: ...  # our own Start is in force

    @property
    def driving(self) -> bool: ...  # a plan held (paused too), or our own Start in force

    @property
    def latched(self) -> FaultKind | None: ...

    @property
    def stopping(self) -> bool: ...

    @property
    def target_kmh(self) -> float | None: ...


@dataclass(slots=True)
class RestWindow:
    """Frames in a row at 0 km/h with the distance unchanged: since when, from which distance."""

    since: float
    distance_m: int | None

    def after(self, now: float, distance_m: int | None) -> RestWindow:
        """The window once a frame at 0 km/h came at `now`: the same, or a new one when the
        distance moved on (a belt crawling under frames that read 0 km/h)."""
        return self if distance_m == self.distance_m else RestWindow(now, distance_m)


@dataclass(slots=True)
class _ZeroSince:
    """Where the counters stood at the first frame of a run of frames reading 0 km/h, and how
    far and how long the belt could still go from the last speed it was seen at."""

    distance_m: int | None
    elapsed_s: int | None
    ramp_m: float  # the slowest belt's braking distance from that speed
    ramp_s: float  # ...and time

    def contradiction(self, distance_m: int | None, elapsed_s: int | None) -> str | None:
        # Counters are whole metres and seconds, and a frame may be a moment behind.
        if (
            distance_m is not None
            and self.distance_m is not None
            and distance_m - self.distance_m > self.ramp_m + 1
        ):
            gained = distance_m - self.distance_m
            return f"the frames read 0 km/h while the distance grew {gained} m"
        if (
            elapsed_s is not None
            and self.elapsed_s is not None
            and elapsed_s - self.elapsed_s > self.ramp_s + 2
        ):
            return "the frames read 0 km/h while the elapsed time went on"
        return None

    def rebased(self, distance_m: int | None, elapsed_s: int | None) -> None:
        """Counters that went back (reset on stop or pause) count from where they are now."""
        if distance_m is not None and (self.distance_m is None or distance_m < self.distance_m):
            self.distance_m = distance_m
        if elapsed_s is not None and (self.elapsed_s is None or elapsed_s < self.elapsed_s):
            self.elapsed_s = elapsed_s


class FrameWatch:
    def __init__(self, guard: Watched, settings: GuardSettings, timers: Timers, trip: Trip) -> None:
        self._guard = guard
        self._settings = settings
        self._timers = timers
        self._trip = trip
        self.last_speed: float | None = None
        self.last_frame_at = -math.inf
        self.rest: RestWindow | None = None  # frames at rest, whoever drives: see at_rest_for
        self.frames_seen = 0  # on this link: until one comes, the belt's state is unknown
        self.first_frame = asyncio.Event()
        self._silent: str | None = None  # set while no frame comes (the watchdog fired)
        self._contradiction: str | None = None  # set while frames contradict themselves
        self._belt_should_move = False  # we run the belt and it has been seen moving since
        self._zero: _ZeroSince | None = None
        self._moving_kmh = 0.0  # the last speed read above 0 km/h

    def on_frame(self, state: TreadmillState) -> None:
        """Note a frame's speed, time and the window at rest, and hold the belt to the caps and
        to itself: every frame, whoever moves the belt. Called first, before the stop counts
        the frame."""
        speed = state.speed_kmh
        if speed is None:
            return
        self.frames_seen += 1
        self.first_frame.set()
        self._silent = None
        self.last_speed = speed
        now = self.last_frame_at = _now()
        if speed > STILL_KMH:
            self.rest = None
        elif self.rest is None:
            self.rest = RestWindow(now, state.distance_m)
        else:
            self.rest = self.rest.after(now, state.distance_m)
        s = self._settings
        cap, cap_incline, incline = s.cap_kmh, s.cap_incline_pct, state.incline_pct
        if cap is not None and speed > cap + STILL_KMH:
            self._trip(
                FaultKind.ABOVE_CAP, f"belt at {speed:g} km/h, above the runner's cap {cap:g}"
            )
        if cap_incline is not None and incline is not None and incline > cap_incline + _HALF_0_1:
            self._trip(
                FaultKind.INCLINE_ABOVE_CAP,
                f"incline at {incline:g} %, above the runner's cap {cap_incline:g} %",
            )
        self._judge_counters(speed, state, now)

    def _judge_counters(self, speed: float, state: TreadmillState, now: float) -> None:
        """Frames at 0 km/h whose distance or time goes on growing past the belt's own ramp
        contradict themselves: the belt may be running under them."""
        if speed > STILL_KMH:
            self._moving_kmh = speed
            self._zero = None
            self._contradiction = None
            return
        zero = self._zero
        if zero is None:
            decel = self._settings.slowest_deceleration_kmh_s
            v_ms = self._moving_kmh / 3.6
            ramp_s = self._moving_kmh / decel
            self._zero = _ZeroSince(
                state.distance_m, state.elapsed_time_s, v_ms * ramp_s / 2, ramp_s
            )
            self._moving_kmh = 0.0
            return
        zero.rebased(state.distance_m, state.elapsed_time_s)
        why = zero.contradiction(state.distance_m, state.elapsed_time_s)
        if why is not None:
            if self._contradiction is None:
                self._contradiction = why
                self._trip(FaultKind.CONTRADICTING_TELEMETRY, why)
            # From here on, judged afresh: doubt stays while the counters go on growing.
            self._zero = _ZeroSince(state.distance_m, state.elapsed_time_s, 0.0, 0.0)
        elif self._contradiction is not None:
            rest = self.rest
            if rest is not None and now - rest.since >= self._settings.idle_rest_window_s:
                self._contradiction = None  # the distance has stood still since: at rest

    @property
    def speed_doubt(self) -> str | None:
        """Why the speed last reported is not to be shown as the belt's, or None."""
        return self._silent or self._contradiction

    def rearm(self, speed: float) -> None:
        """Arm, re-arm or cancel the watchdogs after a frame at `speed` (once the stop has
        counted it): what must happen next, and by when."""
        s, guard = self._settings, self._guard
        if speed > STILL_KMH or guard.driving:
            # Silent telemetry is a fault while the belt moves, and while treadlink drives it
            # (a plan held, paused or latched too): nothing else shows what the belt does.
            self._timers.arm("stale", s.stale_after_s, self._on_stale)
        else:
            self._timers.cancel("stale")
        if guard.stopping:
            return
        if speed > STILL_KMH and guard.running and guard.latched is None:
            self._belt_should_move = True
        if self._belt_should_move:
            # A lone 0 km/h frame is a known firmware glitch; a sustained one means it stopped.
            if speed <= STILL_KMH:
                self._timers.arm_once("zero", s.zero_debounce_s, self._on_sustained_zero)
            else:
                self._timers.cancel("zero")
        target = guard.target_kmh
        if target is not None and speed > target + s.overspeed_tolerance_kmh:
            if not self._timers.armed("overspeed"):
                self._watch_overspeed(speed)
        else:
            self._timers.cancel("overspeed")

    def driving_begins(self) -> None:
        """Our Start (or a take-over): from now on silence is a fault even if the telemetry fell
        silent before, while the belt stood still, and no frame is left to re-arm the watch."""
        self._timers.arm_once("stale", self._settings.stale_after_s, self._on_stale)

    def console_started(self) -> None:
        """The console started the belt: at rest again only once seen so."""
        self.rest = None

    def at_rest_lately(self) -> bool:
        """The belt seen at rest over the idle window, and lately: a console start with the
        telemetry silent leaves no frame to judge by."""
        s, rest, now = self._settings, self.rest, _now()
        return (
            rest is not None
            and now - rest.since >= s.idle_rest_window_s
            and now - self.last_frame_at <= s.stale_after_s
        )

    def stand_down(self) -> None:
        """We no longer run the belt (a stop or a pause): nothing of ours should move it."""
        self._belt_should_move = False
        self._timers.cancel("stale", "zero", "overspeed")

    def connected(self) -> None:
        """A new link: the belt's state is unknown until its first frame on it."""
        self.frames_seen = 0
        self.first_frame.clear()

    def _on_stale(self) -> None:
        s = self._settings.stale_after_s
        self._silent = f"no treadmill data for {s:g} s"
        self._trip(
            FaultKind.STALE_TELEMETRY,
            f"no treadmill data for {s:g} s while the belt moves or treadlink drives it",
        )

    def _on_sustained_zero(self) -> None:
        self._trip(FaultKind.BELT_STOPPED, "the belt reported 0 km/h without being asked to stop")

    def _watch_overspeed(self, reference: float) -> None:
        # A belt slowing towards a lower target is not a runaway: judged at the end of the grace.
        self._timers.arm_once(
            "overspeed",
            self._settings.overspeed_grace_s,
            lambda: self._on_overspeed(reference),
        )

    def _on_overspeed(self, reference: float) -> None:
        speed = self.last_speed or 0.0
        if speed < reference - STILL_KMH:
            self._watch_overspeed(speed)
            return
        self._trip(
            FaultKind.OVERSPEED,
            f"belt at {speed:g} km/h, faster than its target {self._guard.target_kmh} km/h",
        )


_HALF_0_1 = 0.05  # % : half the 0.1 % wire resolution of an incline


def _now() -> float:
    return asyncio.get_running_loop().time()
