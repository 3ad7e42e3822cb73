"""What a treadmill accepts, as the FTMS ranges it advertises (wire units, exact grid)."""

from __future__ import annotations

from dataclasses import dataclass, field

from treadlink.treadmill.units import Range, incline_range, speed_range


def _noblepro_speed() -> Range:
    return speed_range(100, 2000, 10)  # 1.0–20.0 km/h in steps of 0.1


def _noblepro_incline() -> Range:
    return incline_range(0, 150, 5)  # 0–15 % in steps of 0.5


@dataclass(frozen=True, slots=True)
class TreadmillLimits:
    """Speed and incline ranges of one treadmill. The default is a NoblePro Elite; at run time the
    engine passes the connected treadmill's advertised ranges instead.

    `incline` None: the treadmill has no incline. A stage that needs one is then refused, unless
    the runner chose to run it `flat` (every incline 0 %, and a note that says so).
    A speed range on a mile grid (treadlink.treadmill.units) takes each km/h speed of the plan
    at its nearest grid value, never above the runner's max_speed, and a note says so."""

    speed: Range = field(default_factory=_noblepro_speed)
    incline: Range | None = field(default_factory=_noblepro_incline)
    flat: bool = False

    def nearest_speed(self, kmh: float) -> float:
        """The grid speed nearest to `kmh` (ties upward), without limiting it to the range.

        Only for speeds computed from fractions of a pace (Zwift workouts), which never land on a
        grid by themselves; the result is still checked like any setpoint, so nothing is clamped.
        """
        return self.speed.nearest(kmh)


NOBLEPRO_ELITE = TreadmillLimits()
