"""How a plan's setpoints meet one treadmill's grid, when they cannot simply be checked on it.

Two cases, each a choice written down in docs/decisions/0020 and said to the runner before the
belt moves (`notes`, which the session shows):

* **A speed range in miles** (a unit that counts mph; treadlink.treadmill.known). Plans are in
  km/h and almost no km/h value is on a 0.1 mph grid, so each speed runs at the nearest grid
  value, never above the runner's `max_speed` (the grid value below it then). Nothing is
  clamped into the range: a speed outside it is still refused.
* **No incline.** A stage that needs one is refused with how to run it flat, unless the runner
  asked for it flat (`run --flat`): then every incline is 0 % and the note says which were left
  out. A step already at 0 % needs nothing.
"""

from __future__ import annotations

from treadlink.plans.limits import TreadmillLimits

NO_INCLINE = (
    "the treadmill has no incline: to run this stage flat, use `treadlink run --flat` "
    "(or give the stage `incline: 0`)"
)


class Refusal(Exception):
    """A setpoint this treadmill cannot run, with why."""


class Fitting:
    def __init__(self, limits: TreadmillLimits, max_speed_kmh: float) -> None:
        self.limits = limits
        self.max_speed_kmh = max_speed_kmh
        self._speeds: dict[float, float] = {}  # plan km/h -> the km/h it runs at
        self._left_out: set[float] = set()  # inclines not run (flat)

    def speed(self, kmh: float) -> float:
        """The km/h this speed runs at on the treadmill's grid (itself on a km/h grid)."""
        r = self.limits.speed
        if not r.miles:
            return kmh
        fitted = r.nearest(kmh)
        if fitted > self.max_speed_kmh:
            fitted = r.value(round(fitted / r.scale) - r.step)  # the cap holds, in km/h
        self._speeds[kmh] = fitted
        return fitted

    def incline(self, pct: float) -> float:
        """The incline this step runs at, or Refusal on a treadmill without one."""
        if self.limits.incline is not None or pct == 0:
            return pct
        if not self.limits.flat:
            raise Refusal(NO_INCLINE)
        self._left_out.add(pct)
        return 0.0

    def notes(self) -> tuple[str, ...]:
        notes = []
        if self.limits.speed.miles:
            pairs = ", ".join(
                f"{kmh:g} km/h as {self.limits.speed.own_units(fitted):.1f} mph ({fitted:.2f} km/h)"
                for kmh, fitted in sorted(self._speeds.items())
            )
            notes.append(
                "the treadmill counts speed in mph: each speed runs at the nearest 0.1 mph, "
                f"never above your max_speed {self.max_speed_kmh:g} km/h"
                + (f": {pairs}" if pairs else "")
            )
        if self._left_out:
            inclines = ", ".join(f"{pct:g} %" for pct in sorted(self._left_out))
            notes.append(
                f"the treadmill has no incline: this stage runs flat (--flat); its inclines of "
                f"{inclines} are left out"
            )
        return tuple(notes)
