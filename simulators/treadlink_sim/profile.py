"""Machine profiles: what a simulated treadmill is, as data (shipped YAML files or the user's)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from treadlink.fitshow import protocol as fs
from treadlink.fitshow.units import SpeedUnit, Units
from treadlink.ftms.protocol import FITNESS_MACHINE_SERVICE
from treadlink.sources import BadInput, excerpt
from treadlink.treadmill.units import INCLINE_SCALE, SPEED_SCALE, Range, incline_range, speed_range
from treadlink_sim.inputs import parse_yaml_text, read_yaml
from treadlink_sim.quirks import FTMS_ONLY, Quirk
from treadlink_sim.recorded import RecordedService, check_info_replies

_ADDRESS = re.compile(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$")


class ProfileError(BadInput):
    """A profile that cannot be found, read or validated; the message says which and why."""


def _units(value: float, scale: float, what: str) -> int:
    """Exact wire units of a profile value; refuses values between two wire units."""
    units = round(value / scale)
    if abs(value / scale - units) > 1e-6:
        raise ValueError(f"{what} {value} is not a multiple of the wire resolution {scale}")
    return units


FITSHOW_SERVICES = {"FFF0": fs.FFF0, "FFE0": fs.FFE0, "AE00": fs.NOBLEPRO}
RSC_SERVICE = 0x1814
# The advertisement's 31 bytes: flags take 3, each AD structure 2 more than its data.
_ADVERTISEMENT = 31


class MachineProfile(BaseModel):
    """Everything that makes one simulated treadmill model differ from another."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="profile name, as used with --profile")
    local_name: str = Field(description="advertised Bluetooth local name")
    manufacturer: str
    model: str
    serial: str
    hardware_revision: str = "1.0"
    firmware_revision: str = "1.0"
    software_revision: str = "1.0"
    address: str = Field(
        default="F0:F0:F0:F0:F0:01", description="Bluetooth address (static random)"
    )
    speed_min_kmh: float = Field(ge=0)
    speed_max_kmh: float = Field(gt=0, le=655.35)
    speed_step_kmh: float = Field(gt=0)
    # A treadmill without incline (`incline: false`) leaves these at 0.
    incline_min_pct: float = Field(default=0.0, ge=-3276.8)
    incline_max_pct: float = Field(default=0.0, le=3276.7)
    incline_step_pct: float = Field(default=1.0, gt=0)
    acceleration_up_kmh_per_s: float = Field(default=1.0, gt=0)
    acceleration_down_kmh_per_s: float = Field(default=1.5, gt=0)
    # The safety key cuts the motor and brakes: far quicker than a normal stop.
    emergency_deceleration_kmh_per_s: float = Field(default=6.0, gt=0)
    incline_rate_pct_per_s: float = Field(default=0.5, gt=0)
    telemetry_hz: float = Field(default=4.0, gt=0, le=100)
    heart_rate: bool = True
    step_count: bool = False
    # Many real treadmills answer Set Target Speed with 04 until the belt has been started.
    needs_start_before_speed: bool = False
    # Time from a control-point write to its response indication. A real link needs at least a
    # connection interval (7.5–50 ms); in-process the default 0 answers within the same tick.
    indication_delay_s: float = Field(default=0.0, ge=0, le=5)
    # Which protocols the machine speaks (one at least), and the sensors it adds.
    ftms: bool = True
    fitshow: bool = False
    # How its FitShow console speaks (docs/fitshow.md), when `fitshow` is true.
    fitshow_service: Literal["FFF0", "FFE0", "AE00"] = Field(
        default="FFF0", description="the FitShow service: FFF0, FFE0, or NoblePro's AE00"
    )
    fitshow_incline_step_pct: float = Field(
        default=1.0, description="incline of one FitShow wire unit, 1.0 or 0.5 (NoblePro's)"
    )
    fitshow_pause_subcommand: int = Field(
        default=0x0A, description="the PAUSE it obeys: the spec's 0x0A (10) or QZ's 0x06"
    )
    fitshow_brand: int = Field(default=0, ge=0, le=0xFFFF, description="INFO_MODEL brand")
    fitshow_model_code: int = Field(default=0, ge=0, le=0xFFFF, description="INFO_MODEL model")
    rsc: bool = Field(default=False, description="Running Speed and Cadence service 0x1814")
    incline: bool = Field(default=True, description="false: a belt without incline motor")
    energy: bool = Field(default=False, description="energy fields in FTMS Treadmill Data")
    total_distance: bool = Field(default=True, description="Total Distance in Treadmill Data")
    elapsed_time: bool = Field(default=True, description="Elapsed Time in Treadmill Data")
    speed_unit: Literal["km/h", "mph"] = Field(
        default="km/h",
        description="the console's unit; speed fields, scenario speeds and telemetry are in it",
    )
    countdown_s: int = Field(default=0, ge=0, le=30, description="console countdown at start")
    stopped_hold_s: float = Field(
        default=0.0, ge=0, le=60, description="seconds the console shows 'stopped' before idle"
    )
    quirks: list[Quirk] = Field(default_factory=list)
    # A recorded unit's own (treadlink-sim --replay; recorded.py says how they are served).
    gatt: list[RecordedService] = Field(
        default_factory=list, description="the recorded GATT table, static values in hex"
    )
    fitshow_info: dict[str, str] = Field(
        default_factory=dict, description="FitShow INFO replies as recorded, by INFO name"
    )

    @field_validator("fitshow_info")
    @classmethod
    def _info_replies(cls, value: dict[str, str]) -> dict[str, str]:
        return check_info_replies(value)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.upper()
        if not _ADDRESS.match(value):
            raise ValueError(f"{value!r} is not a Bluetooth address like F0:F0:F0:F0:F0:01")
        return value

    @model_validator(mode="after")
    def _fits_advertisement(self) -> Self:
        # Flags, the 16-bit service list, then the complete local name (FTMS service data is
        # added only when it fits too: see gatt.advertising_data).
        room = _ADVERTISEMENT - 3 - 2 - 2 * len(self.advertised_services()) - 2
        if not 0 < len(self.local_name.encode()) <= room:
            raise ValueError(
                f"local_name {self.local_name!r} must be 1 to {room} bytes to fit the advertisement"
            )
        return self

    @field_validator("fitshow_incline_step_pct")
    @classmethod
    def _incline_unit(cls, value: float) -> float:
        if value not in (0.5, 1.0):
            raise ValueError("a FitShow console counts incline in 1.0 % or 0.5 % units")
        return value

    @field_validator("fitshow_pause_subcommand")
    @classmethod
    def _pause(cls, value: int) -> int:
        if value not in (0x0A, 0x06):
            raise ValueError("FitShow's pause is 0x0A (10, the spec) or 0x06 (6, QZ's)")
        return value

    @model_validator(mode="after")
    def _protocols(self) -> Self:
        if not self.ftms and not self.fitshow:
            raise ValueError("a treadmill speaks FTMS, FitShow or both: set ftms or fitshow")
        ftms_only = sorted(set(self.quirks) & FTMS_ONLY)
        if ftms_only and not self.ftms:
            raise ValueError(f"quirks {', '.join(ftms_only)} are FTMS quirks: set ftms: true")
        mph_label = Quirk.MPH_LABELLED_KMH in self.quirks
        if self.ftms and self.speed_unit == "mph" and not mph_label:
            # FTMS has no mph; the only mph units the sources show label their mph as km/h.
            raise ValueError(
                "an mph console on FTMS labels mph as km/h: add quirk mph_labelled_kmh"
            )
        if mph_label and self.speed_unit != "mph":
            raise ValueError("quirk mph_labelled_kmh needs speed_unit: mph")
        return self

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.speed_min_kmh >= self.speed_max_kmh:
            raise ValueError("speed_min_kmh must be below speed_max_kmh")
        if not self.incline:
            if (self.incline_min_pct, self.incline_max_pct) != (0.0, 0.0):
                raise ValueError(
                    "a treadmill without incline (incline: false) has no incline range"
                )
        elif self.incline_min_pct >= self.incline_max_pct:
            raise ValueError("incline_min_pct must be below incline_max_pct")
        # Building the wire ranges checks every value sits on the FTMS resolution.
        self.speed_range()
        self.incline_range()
        if self.fitshow:
            self._fits_fitshow()
        return self

    def _fits_fitshow(self) -> None:
        """FitShow ranges are bytes: 0.1 of the speed unit, whole incline units (signed)."""
        units = self.fitshow_units()
        for name in ("speed_min_kmh", "speed_max_kmh", "speed_step_kmh"):
            units.speed_wire(getattr(self, name), units.speed)  # SetpointError is a ValueError
        if self.incline:
            for name in ("incline_min_pct", "incline_max_pct", "incline_step_pct"):
                units.incline_wire(getattr(self, name))

    def fitshow_units(self) -> Units:
        """How the FitShow console counts: its speed unit and incline unit."""
        return Units(SpeedUnit(self.speed_unit), self.fitshow_incline_step_pct)

    @property
    def fitshow_transport(self) -> fs.Transport:
        return FITSHOW_SERVICES[self.fitshow_service]

    def advertised_services(self) -> list[int]:
        """16-bit UUIDs in the advertisement: the protocols it speaks, then RSC."""
        services = [FITNESS_MACHINE_SERVICE] if self.ftms else []
        if self.fitshow:
            services.append(self.fitshow_transport.service)
        if self.rsc:
            services.append(RSC_SERVICE)
        return services

    @property
    def protocols(self) -> str:
        spoken = (["FTMS"] if self.ftms else []) + (["FitShow"] if self.fitshow else [])
        return " and ".join(spoken)

    def speed_range(self) -> Range:
        """Supported Speed Range in wire units (0.01 km/h)."""
        return speed_range(
            _units(self.speed_min_kmh, SPEED_SCALE, "speed_min_kmh"),
            _units(self.speed_max_kmh, SPEED_SCALE, "speed_max_kmh"),
            _units(self.speed_step_kmh, SPEED_SCALE, "speed_step_kmh"),
        )

    def incline_range(self) -> Range:
        """Supported Inclination Range in wire units (0.1 %)."""
        return incline_range(
            _units(self.incline_min_pct, INCLINE_SCALE, "incline_min_pct"),
            _units(self.incline_max_pct, INCLINE_SCALE, "incline_max_pct"),
            _units(self.incline_step_pct, INCLINE_SCALE, "incline_step_pct"),
        )

    def with_overrides(self, **overrides: Any) -> MachineProfile:
        """A copy with some fields replaced, validated like a loaded profile."""
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return MachineProfile.model_validate({**self.model_dump(), **given})
        except ValidationError as error:
            raise ProfileError(f"profile {self.name!r} with overrides: {_explain(error)}") from None


def shipped_profiles() -> list[str]:
    """Names of the profiles packaged with the simulator."""
    folder = resources.files("treadlink_sim") / "profiles"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load_profile(name_or_path: str | Path, **overrides: Any) -> MachineProfile:
    """A shipped profile by name ("noblepro-elite"), or a YAML file by path; then overrides.

    Raises ProfileError with a message fit for the command line.
    """
    data, origin = _read(name_or_path)
    return validated(data, f"profile {origin}", **overrides)


def validated(data: Any, origin: str, **overrides: Any) -> MachineProfile:
    """The profile of `data` (a mapping of fields) with `overrides`, or ProfileError naming
    `origin` ("profile 'generic'", "trace unit.jsonl") and every field that is wrong."""
    if not isinstance(data, dict):
        raise ProfileError(f"{origin}: expected a mapping of fields, got {type(data).__name__}")
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return MachineProfile.model_validate(data)
    except ValidationError as error:
        raise ProfileError(f"{origin}: {_explain(error)}") from None


def _read(name_or_path: str | Path) -> tuple[Any, str]:
    """The profile's YAML data, and how to name it in a message."""
    candidate = str(name_or_path)
    if candidate in shipped_profiles():
        path = resources.files("treadlink_sim") / "profiles" / f"{candidate}.yaml"
        text = path.read_text(encoding="utf-8")
        return parse_yaml_text(text, repr(candidate), ProfileError, "profile"), repr(candidate)
    file = Path(candidate)
    try:
        exists = file.exists()
    except (OSError, ValueError):  # a name no file can have (too long, a NUL byte)
        exists = False
    if exists:
        return read_yaml(file, ProfileError, "profile"), str(file)
    raise ProfileError(
        f"no profile {excerpt(candidate)}: not a shipped profile "
        f"({', '.join(shipped_profiles())}) and not a file"
    )


def _explain(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"])
        message = e["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
