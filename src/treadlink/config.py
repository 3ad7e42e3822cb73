"""The runner's profile: walk/run speeds, incline, safety caps and Zwift pace speeds.

Read from a YAML file (``$TREADLINK_CONFIG``, else ``~/.config/treadlink/config.yaml``) with
``TREADLINK_*`` environment variables on top, e.g. ``TREADLINK_RUN_SPEED=8.0``. A missing default
file means the defaults; a file that was named but is missing, or any bad value, is an error that
names the file, line and field (or the environment variable), never a silent fallback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

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
CONFIG_ENV: Final = "TREADLINK_CONFIG"

Kmh = Annotated[float, Field(gt=0)]
Percent = Annotated[float, Field(ge=0)]


class RunnerProfile(BaseSettings):
    """Speeds in km/h, inclines in %. Caps apply to every setpoint of every plan."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, allow_inf_nan=False
    )

    walk_speed: Kmh = 5.5
    run_speed: Kmh = 8.5
    incline: Percent = 1.0
    max_speed: Kmh = 10.0
    max_incline: Percent = 5.0
    paces: dict[PaceName, Kmh] = Field(default_factory=lambda: dict(DEFAULT_PACES))

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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments; the environment overrides them.
        return env_settings, init_settings

    def pace_speed(self, pace: PaceName | int) -> float:
        """Speed of a pace zone, by name or Zwift number (0 = 1 mile … 4 = marathon)."""
        name = PACE_NAMES[pace] if isinstance(pace, int) else pace
        return self.paces[name]

    @property
    def running_threshold(self) -> float:
        """Speeds at or above this count as running in totals: halfway from walk to run."""
        return (self.walk_speed + self.run_speed) / 2


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "treadlink" / "config.yaml"


def load_profile(path: Path | str | None = None) -> RunnerProfile:
    """The runner profile from `path`, else $TREADLINK_CONFIG, else the default file.

    Raises treadlink.plans.PlanError (a list of problems naming file, line and field).
    """
    # Imported here so that this module stays a leaf the plans package can import freely.
    from treadlink.plans.errors import PlanError, Problem
    from treadlink.plans.yaml_loader import SourceMap, parse_yaml, read_text

    named = path if path is not None else os.environ.get(CONFIG_ENV) or None
    file = Path(named) if named is not None else default_config_path()
    data: Any = {}
    source = SourceMap(str(file))
    if named is not None or file.exists():
        data, source = parse_yaml(read_text(file), str(file))
    if not isinstance(data, dict):
        raise PlanError([source.problem((), "a config file must be a mapping of settings")])
    bad_keys = [k for k in data if not isinstance(k, str) or k.startswith("_")]
    if bad_keys:  # `_env_file` and friends would be taken as pydantic-settings options
        raise PlanError([source.problem((k,), f"unknown key {k!r}") for k in bad_keys])
    try:
        return RunnerProfile(**data)
    except ValidationError as e:
        problems: list[Problem] = []
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if p != "[key]")  # pydantic marks dict keys
            field = str(loc[0]) if loc else ""
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = f"unknown key {field!r} (known: {', '.join(RunnerProfile.model_fields)})"
            elif "input" in err and not isinstance(err["input"], dict | list):
                message += f", got {err['input']!r}"
            env_name = ENV_PREFIX + field.upper()
            if field and env_name in os.environ:
                problems.append(Problem(f"${env_name}", None, "", message))
            else:
                shown = ".".join(str(p) for p in loc)
                problems.append(source.problem(loc, message, shown))
        raise PlanError(problems) from None
