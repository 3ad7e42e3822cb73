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
    engine passes the connected treadmill's advertised ranges instead."""

    speed: Range = field(default_factory=_noblepro_speed)
    incline: Range = field(default_factory=_noblepro_incline)

    def nearest_speed(self, kmh: float) -> float:
        """The grid speed nearest to `kmh` (ties upward), without limiting it to the range.

        Only for speeds computed from fractions of a pace (Zwift workouts), which never land on a
        grid by themselves; the result is still checked like any setpoint, so nothing is clamped.
        """
        r = self.speed
        steps = round((kmh / r.scale - r.minimum) / r.step + 1e-9)
        return r.value(r.minimum + steps * r.step)


NOBLEPRO_ELITE = TreadmillLimits()
