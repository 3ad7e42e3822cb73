"""What a treadmill reports, as typed values: the full current state and the events, the same
for every protocol.

The status events are the treadmill's own account of what happened on it; each driver says
them in its protocol's terms (FTMS: Fitness Machine Status and Training Status; FitShow: the
belt state its polls read), and the guard judges them here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from treadlink.treadmill.errors import Command


@dataclass(frozen=True, slots=True)
class TreadmillState:
    """Everything the treadmill has reported so far, each field its latest value.

    Treadmills may spread one reading over several frames (FTMS "More Data"), so each frame only
    updates the fields it carries; consumers always see the whole picture.
    """

    speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    distance_m: int | None = None
    incline_pct: float | None = None
    ramp_angle_deg: float | None = None
    elevation_gain_pos_m: float | None = None
    elevation_gain_neg_m: float | None = None
    pace_instant_km_min: float | None = None
    pace_average_km_min: float | None = None
    energy_total_kcal: float | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None
    force_on_belt_n: int | None = None
    power_output_w: int | None = None
    step_count: int | None = None

    def updated(self, values: Mapping[str, object]) -> TreadmillState:
        changes: dict[str, Any] = {k: v for k, v in values.items() if k in FIELD_NAMES}
        return replace(self, **changes)

    @property
    def belt_moving(self) -> bool:
        return bool(self.speed_kmh)


FIELD_NAMES = frozenset(f.name for f in fields(TreadmillState))


@dataclass(frozen=True, slots=True)
class Telemetry:
    """A frame of telemetry arrived; `state` is the whole state after it."""

    at: float  # loop time
    state: TreadmillState


@dataclass(frozen=True, slots=True)
class Connected:
    at: float


@dataclass(frozen=True, slots=True)
class Disconnected:
    at: float
    solicited: bool  # True when we asked for it


@dataclass(frozen=True, slots=True)
class CommandFailed:
    """A command did not succeed (refused, failed, timed out, link lost), whoever sent it."""

    at: float
    command: Command
    error: str


@dataclass(frozen=True, slots=True)
class StopTaken:
    """The treadmill's own word that it took a Stop (or Pause) we wrote: FTMS's success answer,
    FitShow's stopping, stopped or idle state after our STOP."""

    at: float
    how: str


@dataclass(frozen=True, slots=True)
class StoppedOnConsole:
    """The belt was stopped (or paused) on the treadmill itself, not by a command of ours
    (the driver cannot always tell: the guard judges by when it last stopped the belt)."""

    at: float
    paused: bool


@dataclass(frozen=True, slots=True)
class StartedOnConsole:
    at: float


@dataclass(frozen=True, slots=True)
class TargetSpeedChanged:
    """The treadmill reports a new target speed: ours echoed, or the console's keys."""

    at: float
    speed_kmh: float


@dataclass(frozen=True, slots=True)
class SafetyKeyPulled:
    at: float


@dataclass(frozen=True, slots=True)
class SafetyKeyBack:
    """The console is back from its safety-key stop (the key is in again)."""

    at: float


@dataclass(frozen=True, slots=True)
class ControlLost:
    """Another client took control of the treadmill."""

    at: float


TreadmillEvent = (
    Telemetry
    | Connected
    | Disconnected
    | CommandFailed
    | StopTaken
    | StoppedOnConsole
    | StartedOnConsole
    | TargetSpeedChanged
    | SafetyKeyPulled
    | SafetyKeyBack
    | ControlLost
)
