"""`FrameWatch`: the guard's watchdogs over the treadmill's telemetry, one judgement per frame.

Each frame is checked against the runner's caps whoever moves the belt, and arms or re-arms the
watchdogs that fire when something that should happen does not: a frame while the belt moves
(stale telemetry), a belt we run that reads 0 km/h for longer than a glitch (stopped without
being asked), a belt above its target that is not slowing down (a runaway). It also keeps the
window of frames at rest that tells an idle treadmill going to sleep from a fault.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from treadlink.ftms.state import TreadmillState
from treadlink.safety.faults import FaultKind
from treadlink.safety.settings import STILL_KMH, GuardSettings
from treadlink.safety.timers import Timers

Trip = Callable[[FaultKind, str], None]


class Watched(Protocol):
    """What the watch needs to know of the guard's own state."""

    @property
    def running(self) -> bool: ...  # our own Start is in force

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


class FrameWatch:
    def __init__(self, guard: Watched, settings: GuardSettings, timers: Timers, trip: Trip) -> None:
        self._guard = guard
        self._settings = settings
        self._timers = timers
        self._trip = trip
        self.last_speed: float | None = None
        self.last_frame_at = -math.inf
        self.rest: RestWindow | None = None  # frames at rest, whoever drives: see at_rest_for
        self._belt_should_move = False  # we run the belt and it has been seen moving since

    def on_frame(self, state: TreadmillState) -> None:
        """Note a frame's speed, time and the window at rest, and hold the belt to the caps:
        every frame, whoever moves the belt. Called first, before the stop counts the frame."""
        speed = state.speed_kmh
        if speed is None:
            return
        self.last_speed = speed
        now = self.last_frame_at = _now()
        if speed > STILL_KMH:
            self.rest = None
        elif self.rest is None:
            self.rest = RestWindow(now, state.distance_m)
        else:
            self.rest = self.rest.after(now, state.distance_m)
        cap = self._settings.cap_kmh
        if cap is not None and speed > cap + STILL_KMH:
            self._trip(
                FaultKind.ABOVE_CAP, f"belt at {speed:g} km/h, above the runner's cap {cap:g}"
            )

    def rearm(self, speed: float) -> None:
        """Arm, re-arm or cancel the watchdogs after a frame at `speed` (once the stop has
        counted it): what must happen next, and by when."""
        s, guard = self._settings, self._guard
        if speed > STILL_KMH or guard.running:
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

    def _on_stale(self) -> None:
        s = self._settings.stale_after_s
        self._trip(FaultKind.STALE_TELEMETRY, f"no treadmill data for {s:g} s while the belt moves")

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


def _now() -> float:
    return asyncio.get_running_loop().time()
