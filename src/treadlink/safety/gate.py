"""`CommandGate`: what may be asked of the belt now, checked before a byte is written.

Every speed and incline passes here first: the treadmill's advertised range and step, the
runner's caps (never clamped: refused with the reason), then the guard's state (latched, a stop
under way, the ease-in after a fault). The gate also remembers the targets we asked for, so the
treadmill's echo of our own command is not taken for the console changing the speed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from treadlink.safety.settings import STILL_KMH, GuardSettings
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.units import SetpointError


class Gated(Protocol):
    """What the gate needs to know of the guard's own state."""

    @property
    def stopping(self) -> bool: ...

    @property
    def belt_reported(self) -> bool: ...

    def latched_text(self) -> str | None: ...


class CommandGate:
    def __init__(self, guard: Gated, treadmill: Treadmill, settings: GuardSettings) -> None:
        self._guard = guard
        self._treadmill = treadmill
        self._settings = settings
        self.target_kmh: float | None = (
            None  # the speed last asked of the belt, by us or the console
        )
        # From an acknowledgement until the session says the belt is back (`eased_in`): the
        # first speed is not above the belt's, each later one a step above where it is now.
        self.easing_in = False
        self._eased_once = False
        self._own_targets: deque[tuple[float, float]] = deque(maxlen=8)  # (loop time, km/h)

    def refusal(
        self, *, speed_kmh: float | None = None, incline_pct: float | None = None
    ) -> str | None:
        """Why a speed or incline would be refused now, or None."""
        reason = self.out_of_bounds(speed_kmh=speed_kmh, incline_pct=incline_pct)
        if reason is not None:
            return reason
        return self._not_now(speed_kmh)

    def out_of_bounds(
        self, *, speed_kmh: float | None = None, incline_pct: float | None = None
    ) -> str | None:
        """Why a speed or incline is beyond the treadmill or the runner, whatever the belt does
        now, or None."""
        try:
            if speed_kmh is not None:
                self._treadmill.speed_units(speed_kmh)  # range and step first
            if incline_pct is not None:
                self._treadmill.incline_units(incline_pct)
        except SetpointError as e:
            return str(e)
        cap, cap_incline = self._settings.cap_kmh, self._settings.cap_incline_pct
        if speed_kmh is not None and cap is not None and speed_kmh > cap + STILL_KMH:
            return f"speed {speed_kmh:g} km/h is above the runner's cap {cap:g} km/h"
        if incline_pct is not None and cap_incline is not None and incline_pct > cap_incline:
            return f"incline {incline_pct:g} % is above the runner's cap {cap_incline:g} %"
        return None

    def _not_now(self, speed_kmh: float | None) -> str | None:
        latched = self._guard.latched_text()
        if latched is not None:
            # Stricter than "no increase": the belt is being stopped, nothing else goes out.
            return latched
        if self._guard.stopping:
            return "the belt is being stopped"
        if not self._guard.belt_reported:
            return NOT_REPORTED
        if speed_kmh is not None and self.easing_in:
            belt = self._treadmill.state.speed_kmh or 0.0
            if not self._eased_once and speed_kmh > belt + STILL_KMH:
                return f"the first speed after a fault must not exceed the belt's {belt:g} km/h"
            step = self._settings.ease_step_kmh
            if speed_kmh > belt + step + STILL_KMH:
                return (
                    f"after a fault the belt comes back one step ({step:g} km/h) at a time: "
                    f"{speed_kmh:g} km/h is too far above the belt's {belt:g} km/h"
                )
        return None

    def ease_in(self) -> None:
        """A fault was acknowledged: the belt comes back from its own speed, step by step."""
        self.easing_in, self._eased_once = True, False

    def eased_in(self) -> None:
        self.easing_in = False

    def speed_sent(self, kmh: float) -> None:
        """A speed of ours is going out: the new target, and its echo to expect."""
        self._eased_once = self.easing_in
        self.target_kmh = kmh
        self._own_targets.append((_now(), kmh))

    def echoes_own_speed(self, kmh: float) -> bool:
        """A target-speed status for one of our own recent commands (they may come in late).
        Each command is echoed once: a second status with the same value is the console's."""
        recent = _now() - self._settings.own_status_window_s
        for entry in self._own_targets:
            at, sent = entry
            if at >= recent and abs(kmh - sent) <= STILL_KMH:
                self._own_targets.remove(entry)
                return True
        return False


NOT_REPORTED = "the treadmill has not reported its belt yet (nothing but Stop goes out before)"


def _now() -> float:
    return asyncio.get_running_loop().time()
