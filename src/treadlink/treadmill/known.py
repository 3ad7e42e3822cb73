"""Treadmills whose speed label lies: units that count mph and say km/h.

FTMS has no mph; FitShow has a km/mph bit that some consoles leave at km while they count miles.
Driven by its label, such a belt runs 1.6 times the plan. Each driver asks `speed_unit_of` what
a treadmill really counts in, from two sources, the runner's first:

* the runner's config (`treadmills: {NAME_OR_ADDRESS: {speed_unit: mph}}`, treadlink.config),
  matched against the advertised name, the Device Information model or the address; set for
  the connection by `speed_units_set` (treadlink.app.connection does);
* `KNOWN_UNITS`, a table of units seen to do it, by advertised name or Device Information
  model, each with its source (docs/hardware.md lists them).

None: believe the treadmill's own label.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from treadlink.treadmill.units import SpeedUnit


@dataclass(frozen=True, slots=True)
class KnownUnit:
    """A model that labels mph as km/h: matched by the start of its advertised name or of its
    Device Information model number (case-insensitive)."""

    by: Literal["name", "model"]
    prefix: str
    speed_unit: SpeedUnit
    source: str

    def matches(self, name: str | None, model: str | None) -> bool:
        seen = name if self.by == "name" else model
        return seen is not None and seen.upper().startswith(self.prefix.upper())


KNOWN_UNITS: Final = (
    KnownUnit(
        "name",
        "TM11GY",
        SpeedUnit.MPH,
        "Vitalwalk Apollo 11 Max: Set Target Speed 02 64 00 (1.00) gives 1.61 km/h "
        "(QZ issue #5100)",
    ),
    KnownUnit(
        "name",
        "JFTM T202",
        SpeedUnit.MPH,
        'JFTM T202: "QZ requested 1.0, the treadmill reported approximately 1.6" (QZ PR #4904)',
    ),
    KnownUnit(
        "model",
        "FS-BT-T4",
        SpeedUnit.MPH,
        'FitShow FS-BT-T4 module: Supported Speed Range 0.6–3.8 "km/h", "they actually mean '
        '0.6 mph … 3.8 mph" (justintout/treadmill README)',
    ),
)

_NONE: Final[Mapping[str, SpeedUnit]] = MappingProxyType({})
_CONFIGURED: ContextVar[Mapping[str, SpeedUnit]] = ContextVar("speed_units", default=_NONE)


@contextmanager
def speed_units_set(units: Mapping[str, SpeedUnit]) -> Iterator[None]:
    """The runner's per-treadmill speed units (keys: advertised name, model or address), for
    the treadmills connected inside the block (and the tasks started there)."""
    token = _CONFIGURED.set({key.upper(): unit for key, unit in units.items()})
    try:
        yield
    finally:
        _CONFIGURED.reset(token)


@dataclass(frozen=True, slots=True)
class UnitChoice:
    speed_unit: SpeedUnit
    why: str


def speed_unit_of(name: str | None, address: str, model: str | None) -> UnitChoice | None:
    """What this treadmill counts speed in when its own label is not to be believed, and why;
    None: its label."""
    configured = _CONFIGURED.get()
    for key in (name, model, address):
        if key is not None and key.upper() in configured:
            return UnitChoice(configured[key.upper()], f"the runner's config for {key!r}")
    for unit in KNOWN_UNITS:
        if unit.matches(name, model):
            return UnitChoice(unit.speed_unit, f"a known unit: {unit.source}")
    return None
