"""Speeds and inclines as every treadmill takes them: a grid of wire units, never clamped.

A `Range` is what a treadmill says it accepts, in units of 0.01 km/h or 0.1 % (fine enough for
every protocol's own grid: FTMS's, FitShow's 0.1 km/h and NoblePro's 0.5 %), so a setpoint is
either exactly on the grid or refused (`SetpointError`) before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

SPEED_SCALE: Final = 0.01  # km/h per unit
INCLINE_SCALE: Final = 0.1  # % per unit


@dataclass(frozen=True, slots=True)
class Range:
    """A supported setting range, in wire units (0.01 km/h or 0.1 %) so the grid is exact."""

    kind: Literal["speed", "incline"]
    minimum: int
    maximum: int
    step: int

    @property
    def scale(self) -> float:
        """The physical value of one wire unit."""
        return SPEED_SCALE if self.kind == "speed" else INCLINE_SCALE

    @property
    def unit(self) -> str:
        return "km/h" if self.kind == "speed" else "%"

    def value(self, units: int) -> float:
        return round(units * self.scale, 2)

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
        return f"{v(self.minimum)}–{v(self.maximum)} {self.unit} in steps of {v(self.step)}"


def speed_range(minimum: int, maximum: int, step: int) -> Range:
    return Range("speed", minimum, maximum, step)


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
    raise SetpointError(f"{name} {value} {r.unit} is not one the treadmill takes ({r})")
