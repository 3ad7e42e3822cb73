"""What the treadmill reports, as typed values: the full current state and the events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from treadlink.ftms.layouts import ControlResponse, MachineStatus
from treadlink.ftms.protocol import OpCode, TrainingStatus


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
    energy_total_kcal: int | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None
    force_on_belt_n: int | None = None
    power_output_w: int | None = None
    step_count: int | None = None
    training_status: TrainingStatus | int | None = None

    def updated(self, values: Mapping[str, object]) -> TreadmillState:
        changes: dict[str, Any] = {k: v for k, v in values.items() if k in _FIELD_NAMES}
        return replace(self, **changes)

    @property
    def belt_moving(self) -> bool:
        return bool(self.speed_kmh)


_FIELD_NAMES = frozenset(f.name for f in fields(TreadmillState))


@dataclass(frozen=True, slots=True)
class Telemetry:
    """A Treadmill Data frame arrived; `state` is the whole state after it."""

    at: float  # loop time
    state: TreadmillState


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A Fitness Machine Status notification: the treadmill's own account of a change."""

    at: float
    status: MachineStatus


@dataclass(frozen=True, slots=True)
class TrainingStatusChanged:
    at: float
    status: TrainingStatus | int


@dataclass(frozen=True, slots=True)
class Disconnected:
    at: float
    solicited: bool  # True when we asked for it


@dataclass(frozen=True, slots=True)
class CommandFailed:
    """A control-point procedure did not succeed (refused, failed, timed out, link lost)."""

    at: float
    op: OpCode
    error: str


@dataclass(frozen=True, slots=True)
class Connected:
    at: float


@dataclass(frozen=True, slots=True)
class Answered:
    """A control-point response indication, whether or not anyone still waited for it."""

    at: float
    response: ControlResponse


TreadmillEvent = (
    Telemetry
    | StatusChanged
    | TrainingStatusChanged
    | Disconnected
    | Connected
    | CommandFailed
    | Answered
)
