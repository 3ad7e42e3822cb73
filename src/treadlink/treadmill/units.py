"""Speeds and inclines as every treadmill takes them: a grid of wire units, never clamped.

A `Range` is what a treadmill says it accepts, in units of 0.01 km/h or 0.1 % (fine enough for
every protocol's own grid: FTMS's, FitShow's 0.1 km/h and NoblePro's 0.5 %), so a setpoint is
either exactly on the grid or refused (`SetpointError`) before anything is written.

A treadmill that counts speed in miles (some say so, some label their mph as km/h: see
treadlink.treadmill.known) has a speed range in 0.01 mph: its values are still given in km/h,
each the exact km/h of a grid point (3.4 mph is 5.4717696 km/h), so the same rule holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

SPEED_SCALE: Final = 0.01  # of the range's speed unit per wire unit
INCLINE_SCALE: Final = 0.1  # % per unit
KM_PER_MILE: Final = 1.609344


class SpeedUnit(StrEnum):
    KMH = "km/h"
    MPH = "mph"


@dataclass(frozen=True, slots=True)
class Range:
    """A supported setting range, in wire units (0.01 km/h, 0.01 mph or 0.1 %) so the grid is
    exact. Values in and out are km/h (or %), whatever the treadmill counts in."""

    kind: Literal["speed", "incline"]
    minimum: int
    maximum: int
    step: int
    speed_unit: SpeedUnit = SpeedUnit.KMH  # what the treadmill counts speed in

    @property
    def miles(self) -> bool:
        return self.kind == "speed" and self.speed_unit is SpeedUnit.MPH

    @property
    def scale(self) -> float:
        """The physical value of one wire unit, in km/h or %."""
        if self.kind == "incline":
            return INCLINE_SCALE
        return SPEED_SCALE * KM_PER_MILE if self.miles else SPEED_SCALE

    @property
    def unit(self) -> str:
        return "km/h" if self.kind == "speed" else "%"

    def value(self, units: int) -> float:
        # A mile grid's km/h are not round: kept whole, so they map back to their units.
        return units * self.scale if self.miles else round(units * self.scale, 2)

    def own_units(self, value: float) -> float:
        """`value` (km/h or %) in what the treadmill counts: mph on a mile grid."""
        return value / KM_PER_MILE if self.miles else value

    def nearest(self, value: float) -> float:
        """The grid value nearest to `value` (ties upward), not limited to the range: a speed
        worked out in km/h is put on a mile grid this way, and then checked like any other."""
        steps = round((value / self.scale - self.minimum) / self.step + 1e-9)
        return self.value(self.minimum + steps * self.step)

    def contains(self, units: int) -> bool:
        return self.minimum <= units <= self.maximum and (units - self.minimum) % self.step == 0

    def units_of(self, value: float) -> int | None:
        """The wire units for `value` if the machine takes it exactly, else None.

        Floats like 8.2 are not exact in binary, so the value is rounded to the nearest unit and
        accepted only if it was within a millionth of a unit of it: 8.2 km/h is 820, never 819.
        """
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        if not math.isfinite(value):
            return None
        exact = value / self.scale
        units = round(exact)
        return units if abs(exact - units) <= 1e-6 and self.contains(units) else None

    def floor(self, value: float) -> float:
        """The highest value on the grid at or below `value` (the lowest one if none is)."""
        units = math.floor(round(value / self.scale, 6))
        below = (units - self.minimum) // self.step * self.step
        return self.value(self.minimum + min(max(0, below), self.maximum - self.minimum))

    def grid(self) -> list[float]:
        """Every value the machine accepts, lowest first."""
        return [self.value(u) for u in range(self.minimum, self.maximum + 1, self.step)]

    def __str__(self) -> str:
        v = self.value
        if self.miles:
            low, high, step = (
                round(u * SPEED_SCALE, 2) for u in (self.minimum, self.maximum, self.step)
            )
            kmh = f"{v(self.minimum):.2f}–{v(self.maximum):.2f} km/h"
            return f"{low}–{high} mph ({kmh}) in steps of {step} mph"
        return f"{v(self.minimum)}–{v(self.maximum)} {self.unit} in steps of {v(self.step)}"


def speed_range(minimum: int, maximum: int, step: int, unit: SpeedUnit = SpeedUnit.KMH) -> Range:
    return Range("speed", minimum, maximum, step, unit)


def incline_range(minimum: int, maximum: int, step: int) -> Range:
    return Range("incline", minimum, maximum, step)


class SetpointError(ValueError):
    """A speed or incline the treadmill cannot take exactly. Nothing was written."""


def setpoint_units(name: str, value: float, r: Range) -> int:
    """The wire units for `value` on range `r`, or SetpointError. Never clamps, never truncates."""
    units = r.units_of(value)
    if units is not None:
        return units
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise SetpointError(f"{name} {value!r} is not a finite number")
    if value < 0 and r.minimum >= 0:
        raise SetpointError(f"{name} {value} {r.unit} is negative")
    raise SetpointError(
        f"{name} {value} {r.unit} is not one the treadmill takes ({r}){_nearest_of(value, r)}"
    )


def _nearest_of(value: float, r: Range) -> str:
    """The grid values either side of `value` that the range holds, as a clause."""
    below = math.floor(round(value / r.scale - r.minimum, 6) / r.step) * r.step + r.minimum
    found = [u for u in (below, below + r.step) if r.contains(u)]
    if not found:
        return ""
    shown = [_shown(r, u) for u in found]
    return f"; the nearest it takes: {' and '.join(shown)}"


def _shown(r: Range, units: int) -> str:
    kmh = f"{r.value(units):.2f}".rstrip("0").rstrip(".")
    if r.miles:
        return f"{kmh} km/h ({round(units * SPEED_SCALE, 2):g} mph)"
    return f"{kmh} {r.unit}"
