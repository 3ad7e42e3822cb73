"""Machine profiles: what a simulated treadmill is, as data (shipped YAML files or the user's)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from treadlink.ftms.layouts import INCLINE_SCALE, SPEED_SCALE, Range, incline_range, speed_range
from treadlink.sources import BadInput, excerpt
from treadlink_sim.inputs import parse_yaml_text, read_yaml

_ADDRESS = re.compile(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$")


class ProfileError(BadInput):
    """A profile that cannot be found, read or validated; the message says which and why."""


def _units(value: float, scale: float, what: str) -> int:
    """Exact wire units of a profile value; refuses values between two wire units."""
    units = round(value / scale)
    if abs(value / scale - units) > 1e-6:
        raise ValueError(f"{what} {value} is not a multiple of the wire resolution {scale}")
    return units


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
    incline_min_pct: float = Field(ge=-3276.8)
    incline_max_pct: float = Field(le=3276.7)
    incline_step_pct: float = Field(gt=0)
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

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.upper()
        if not _ADDRESS.match(value):
            raise ValueError(f"{value!r} is not a Bluetooth address like F0:F0:F0:F0:F0:01")
        return value

    @field_validator("local_name")
    @classmethod
    def _fits_advertisement(cls, value: str) -> str:
        # 31-byte advertisement: flags 3, FTMS UUID 4, FTMS service data 7, name header 2.
        if not 0 < len(value.encode()) <= 15:
            raise ValueError(f"{value!r} must be 1 to 15 bytes to fit the advertisement")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.speed_min_kmh >= self.speed_max_kmh:
            raise ValueError("speed_min_kmh must be below speed_max_kmh")
        if self.incline_min_pct >= self.incline_max_pct:
            raise ValueError("incline_min_pct must be below incline_max_pct")
        # Building the wire ranges checks every value sits on the FTMS resolution.
        self.speed_range()
        self.incline_range()
        return self

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
    if not isinstance(data, dict):
        raise ProfileError(
            f"profile {origin}: expected a mapping of fields, got {type(data).__name__}"
        )
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return MachineProfile.model_validate(data)
    except ValidationError as error:
        raise ProfileError(f"profile {origin}: {_explain(error)}") from None


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
