"""How one FitShow console counts, and the ranges it reports.

The same bytes mean different things on different consoles: the speed byte is 0.1 km/h or 0.1 mph
(the console's km/mph setting), the incline byte is 1 % or, on NoblePro's units, 0.5 %. `Units`
holds those choices in one place; every conversion between wire units and km/h or % goes through
it, so no decoder or encoder has a NoblePro or mph branch of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from treadlink.treadmill import units as grid
from treadlink.treadmill.units import KM_PER_MILE, SetpointError, SpeedUnit

__all__ = ["KM_PER_MILE", "NOBLEPRO_UNITS", "STANDARD", "Range", "SpeedUnit", "Units"]

SPEED_SCALE: Final = 0.1  # of the console's speed unit per wire unit
_EXACT: Final = 1e-6  # of a wire unit: how far a float may sit from the grid (8.2 is 81.99999…)


@dataclass(frozen=True, slots=True)
class Range:
    """A range a console reports, in its own wire units (signed for incline) and its own unit.

    The unit is the console's, never converted: a mile console's speed range is in mph.
    """

    kind: Literal["speed", "incline"]
    minimum: int
    maximum: int
    scale: float  # the value of one wire unit, in `unit`
    unit: str  # "km/h", "mph" or "%"
    step: int = 1  # FitShow has no step field: the grid is one wire unit

    def value(self, units: int) -> float:
        return round(units * self.scale, 3)

    @property
    def lowest(self) -> float:
        return self.value(self.minimum)

    @property
    def highest(self) -> float:
        return self.value(self.maximum)

    def contains(self, units: int) -> bool:
        return self.minimum <= units <= self.maximum and (units - self.minimum) % self.step == 0

    def units_of(self, value: float) -> int | None:
        """The wire units for `value` (in this range's unit) if the console takes it exactly."""
        units = _exact_units(value, self.scale)
        return units if units is not None and self.contains(units) else None

    def to_ftms(self) -> grid.Range:
        """The same range on the interface's grid (0.01 of the speed unit, 0.1 %), which holds
        every FitShow value exactly. A mile console's stays in miles (0.01 mph): never made
        km/h by a guess."""
        ftms_scale = grid.SPEED_SCALE if self.kind == "speed" else grid.INCLINE_SCALE
        factor = round(self.scale / ftms_scale)
        unit = SpeedUnit.MPH if self.unit == SpeedUnit.MPH else SpeedUnit.KMH
        return grid.Range(
            self.kind, self.minimum * factor, self.maximum * factor, self.step * factor, unit
        )

    def __str__(self) -> str:
        step = self.value(self.step)
        return f"{self.lowest}–{self.highest} {self.unit} in steps of {step}"


@dataclass(frozen=True, slots=True)
class Units:
    """A console's units: its speed unit and the incline value of one wire unit."""

    speed: SpeedUnit = SpeedUnit.KMH
    incline_step_pct: float = 1.0  # NoblePro's FitShow units: 0.5

    # --- wire -> km/h, %, m -------------------------------------------------------------------
    def speed_kmh(self, raw: int) -> float:
        value = raw * SPEED_SCALE
        return round(value * KM_PER_MILE, 3) if self.speed is SpeedUnit.MPH else round(value, 1)

    def incline_pct(self, raw: int) -> float:
        return round(raw * self.incline_step_pct, 1)

    def distance_m(self, raw: int) -> float:
        """Metres on a km console; 0.001 mile on a mile console (LifeSpan TX6)."""
        return round(raw * KM_PER_MILE, 1) if self.speed is SpeedUnit.MPH else float(raw)

    # --- ranges -------------------------------------------------------------------------------
    def speed_range(self, minimum: int, maximum: int) -> Range:
        return Range("speed", minimum, maximum, SPEED_SCALE, str(self.speed))

    def incline_range(self, minimum: int, maximum: int) -> Range:
        return Range("incline", minimum, maximum, self.incline_step_pct, "%")

    # --- setpoints -> wire: exact or refused ----------------------------------------------------
    def speed_wire(self, value: float, unit: SpeedUnit = SpeedUnit.KMH) -> int:
        """The speed byte for `value` given in `unit`: exact, or SetpointError (never rounded:
        on a mile console almost no km/h value is on the 0.1 mph grid, and that is refused)."""
        in_console = value
        if unit is not self.speed and _finite(value):
            in_console = value / KM_PER_MILE if unit is SpeedUnit.KMH else value * KM_PER_MILE
        raw = _exact_units(in_console, SPEED_SCALE)
        if raw is None or not 0 <= raw <= 0xFF:
            raise SetpointError(
                f"speed {value!r} {unit} is not a speed byte of a console counting in "
                f"0.1 {self.speed} (0–25.5 {self.speed})"
            )
        return raw

    def incline_wire(self, value: float) -> int:
        """The signed incline byte for `value` %: exact, or SetpointError."""
        raw = _exact_units(value, self.incline_step_pct)
        if raw is None or not -0x80 <= raw <= 0x7F:
            raise SetpointError(
                f"incline {value!r} % is not an incline byte of a console counting in "
                f"{self.incline_step_pct} % (a signed byte)"
            )
        return raw


STANDARD: Final = Units()
NOBLEPRO_UNITS: Final = Units(incline_step_pct=0.5)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _exact_units(value: float, scale: float) -> int | None:
    if not _finite(value):
        return None
    exact = value / scale
    units = round(exact)
    return units if abs(exact - units) <= _EXACT else None
