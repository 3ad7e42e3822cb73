"""The runner's profile: walk/run speeds, incline, safety caps, Zwift pace speeds, and whether
`treadlink run` speaks the changes.

Read from a YAML file (``$TREADLINK_CONFIG``, else ``~/.config/treadlink/config.yaml``) with
``TREADLINK_*`` environment variables on top, e.g. ``TREADLINK_RUN_SPEED=8.0``. A missing default
file means the defaults; a file that was named but is missing, or any bad value, is an error that
names the file, line and field (or the environment variable), never a silent fallback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from treadlink.settings_file import ConfigError as ConfigError
from treadlink.settings_file import Settings, load_settings, read_config_file

# Zwift's run pace zones, in `pace="0".."4"` order: 1 mile, 5 km, 10 km, half marathon, marathon.
PaceName = Literal["mile", "5k", "10k", "half", "marathon"]
PACE_NAMES: Final[tuple[PaceName, ...]] = get_args(PaceName)
DEFAULT_PACES: Final[dict[PaceName, float]] = {
    "mile": 10.0,
    "5k": 9.5,
    "10k": 9.0,
    "half": 8.5,
    "marathon": 8.0,
}
ENV_PREFIX: Final = "TREADLINK_"

# Ceilings on what a profile may say, to catch a slip (`max_speed: 50` for 5.0) rather than to
# limit anyone: no treadmill a runner trains on goes faster (consumer and club machines stop at
# 18-25 km/h) and 25 km/h is faster than a world-record 5 km; a return-to-run programme climbs
# nowhere near 20 %, and most treadmills stop at 12-15 %. docs/plans.md, "Limits".
SPEED_CEILING_KMH: Final = 25.0
INCLINE_CEILING_PCT: Final = 20.0


def _ceiling(limit: float, unit: str, why: str) -> AfterValidator:
    def check(value: float) -> float:
        if value > limit:
            raise ValueError(f"{value:g} {unit} is above {limit:g} {unit}, {why}")
        return value

    return AfterValidator(check)


Kmh = Annotated[
    float,
    Field(gt=0),
    _ceiling(SPEED_CEILING_KMH, "km/h", "faster than any treadmill or runner needs"),
]
Percent = Annotated[
    float, Field(ge=0), _ceiling(INCLINE_CEILING_PCT, "%", "steeper than a run ever needs")
]


class TreadmillSetting(BaseModel):
    """What the runner knows of one treadmill better than it says itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The unit its speeds are really in: "mph" for a unit that counts miles under a km/h label
    # (treadlink.treadmill.known has the ones known to; this overrides that table too).
    speed_unit: Literal["km/h", "mph"]


class RunnerProfile(Settings):
    """Speeds in km/h, inclines in %. Caps apply to every setpoint of every plan."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, allow_inf_nan=False
    )

    walk_speed: Kmh = 5.5
    run_speed: Kmh = 8.5
    incline: Percent = 1.0
    max_speed: Kmh = 10.0
    max_incline: Percent = 5.0
    paces: dict[PaceName, Kmh] = Field(
        default_factory=lambda: dict(DEFAULT_PACES), examples=[{"5k": 9.2}]
    )
    voice: bool = False  # `treadlink run` speaks the changes (espeak-ng); --voice/--no-voice
    # Per treadmill, by advertised name, Device Information model or address.
    treadmills: dict[str, TreadmillSetting] = Field(default_factory=dict)

    @field_validator("paces", mode="before")
    @classmethod
    def _fill_paces(cls, value: Any) -> Any:
        # A config that sets only its 5k pace keeps the defaults for the other zones.
        if isinstance(value, dict):
            return {**DEFAULT_PACES, **value}
        return value

    @model_validator(mode="after")
    def _within_caps(self) -> RunnerProfile:
        if self.walk_speed >= self.run_speed:
            raise ValueError(
                f"walk_speed {self.walk_speed} km/h must be below run_speed {self.run_speed} km/h"
            )
        if self.run_speed > self.max_speed:
            raise ValueError(
                f"run_speed {self.run_speed} km/h is above max_speed {self.max_speed} km/h"
            )
        if self.incline > self.max_incline:
            raise ValueError(f"incline {self.incline} % is above max_incline {self.max_incline} %")
        return self

    def pace_speed(self, pace: PaceName | int) -> float:
        """Speed of a pace zone, by name or Zwift number (0 = 1 mile … 4 = marathon)."""
        name = PACE_NAMES[pace] if isinstance(pace, int) else pace
        return self.paces[name]

    @property
    def running_threshold(self) -> float:
        """Speeds at or above this count as running in totals: halfway from walk to run."""
        return (self.walk_speed + self.run_speed) / 2


def load_profile(path: Path | str | None = None) -> RunnerProfile:
    """The runner profile from `path`, else $TREADLINK_CONFIG, else the default file, with the
    environment on top.

    Raises ConfigError (a list of problems naming file, line and field, or the variable).
    """
    file = read_config_file(path)
    return load_settings(RunnerProfile, file.top_level(), file.source)
