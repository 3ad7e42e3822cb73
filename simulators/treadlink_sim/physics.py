"""The belt and incline motor as a pure model: no Bluetooth, no clock, just `advance(dt)`.

Speeds move linearly toward their target at a fixed rate, so the position at any time is known in
closed form; `advance` integrates exactly over whatever interval it is given, and the result of
advancing by 0.1 s ten times equals advancing by 1 s once (up to float rounding). That is what makes
the simulator's output independent of when its tick task happens to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

KMH_TO_MS = 1 / 3.6


def check_time_scale(scale: float) -> float:
    """A usable time scale (seconds of motion per second of clock): positive and finite.

    Scaling the interval handed to `Treadmill.advance` speeds up everything the belt does alike
    (distance, elapsed time, acceleration, incline), so a session sped up N times needs no
    separate adjustment of the machine's rates.
    """
    if not 0 < scale < float("inf"):
        raise ValueError(f"time scale must be a positive number, got {scale}")
    return scale


class BeltMode(StrEnum):
    STOPPED = "stopped"  # no workout; the next start begins a new one (distance, time from 0)
    RUNNING = "running"
    PAUSED = "paused"  # belt brought to rest, workout kept: elapsed time holds, resume continues


@dataclass(frozen=True, slots=True)
class Dynamics:
    """How fast the motors move, per second."""

    accel_up_kmh_s: float = 1.0
    accel_down_kmh_s: float = 1.5
    emergency_decel_kmh_s: float = 6.0
    incline_rate_pct_s: float = 0.5


@dataclass(frozen=True, slots=True)
class Ramp:
    """One linear move toward a target over an interval."""

    value: float  # at the end of the interval
    integral: float  # of the value over the interval (value·s)
    reached_after: float | None  # seconds into the interval the target was reached, if it was


def ramp(current: float, target: float, rate_up: float, rate_down: float, dt: float) -> Ramp:
    """Move `current` toward `target` for `dt` seconds at `rate_up` or `rate_down` per second."""
    if dt <= 0:
        return Ramp(current, 0.0, 0.0 if current == target else None)
    if current == target:
        return Ramp(target, target * dt, 0.0)
    rate = rate_up if target > current else rate_down
    needed = abs(target - current) / rate
    if needed <= dt:
        return Ramp(target, (current + target) / 2 * needed + target * (dt - needed), needed)
    end = current + rate * dt if target > current else current - rate * dt
    return Ramp(end, (current + end) / 2 * dt, None)


def heart_rate_bpm(speed_kmh: float, incline_pct: float) -> int:
    """A plausible steady-state heart rate for a runner at this speed and incline."""
    if speed_kmh <= 0:
        return 72
    return round(min(195.0, 78 + 6.5 * speed_kmh + 1.8 * max(incline_pct, 0.0)))


# Cadence in steps/min grows linearly with speed while the belt moves: ≈130 walking at 5 km/h,
# ≈160 running at 10 km/h, which is what runners on a treadmill do.
CADENCE_BASE_SPM = 100.0
CADENCE_PER_KMH = 6.0


@dataclass(slots=True)
class Treadmill:
    """State of the belt, incline motor and workout counters."""

    dynamics: Dynamics
    mode: BeltMode = BeltMode.STOPPED
    target_speed_kmh: float = 0.0  # the stored setpoint; the belt goes there while running
    belt_speed_kmh: float = 0.0
    target_incline_pct: float = 0.0
    incline_pct: float = 0.0
    distance_m: float = 0.0
    elapsed_s: float = 0.0
    steps: float = 0.0
    runaway_kmh: float = 0.0  # fault: the motor overshoots its setpoint by this much
    braking: bool = False  # emergency stop in progress (safety key)

    @property
    def drive_speed_kmh(self) -> float:
        """The speed the motor is heading for right now."""
        if self.mode is not BeltMode.RUNNING or self.target_speed_kmh <= 0:
            return 0.0
        return self.target_speed_kmh + self.runaway_kmh

    def advance(self, dt: float) -> None:
        """Integrate `dt` seconds of motion; a non-positive `dt` changes nothing."""
        if dt <= 0:
            return
        d = self.dynamics
        down = d.emergency_decel_kmh_s if self.braking else d.accel_down_kmh_s
        start_speed = self.belt_speed_kmh
        belt = ramp(start_speed, self.drive_speed_kmh, d.accel_up_kmh_s, down, dt)
        # A belt that ends the interval at rest moved only until it got there.
        moving_s = dt if belt.value > 0 else belt.reached_after or 0.0
        self.belt_speed_kmh = max(0.0, belt.value)
        self.distance_m += belt.integral * KMH_TO_MS
        self.steps += (CADENCE_BASE_SPM * moving_s + CADENCE_PER_KMH * belt.integral) / 60
        if self.mode is BeltMode.RUNNING:
            self.elapsed_s += dt
        if self.braking and self.belt_speed_kmh == 0:
            self.braking = False
        rate = d.incline_rate_pct_s
        self.incline_pct = ramp(self.incline_pct, self.target_incline_pct, rate, rate, dt).value

    # --- transitions --------------------------------------------------------------------------
    def start(self, default_speed_kmh: float) -> None:
        """Start or resume; after a stop, a new workout at the stored (or default) speed."""
        if self.mode is BeltMode.STOPPED:
            self.distance_m = self.elapsed_s = self.steps = 0.0
        if self.target_speed_kmh <= 0:
            self.target_speed_kmh = default_speed_kmh
        self.mode = BeltMode.RUNNING
        self.braking = False

    def pause(self) -> None:
        if self.mode is BeltMode.RUNNING:
            self.mode = BeltMode.PAUSED

    def stop(self) -> None:
        """End the workout. The setpoint is dropped: a later bare Start begins slowly again."""
        self.mode = BeltMode.STOPPED
        self.target_speed_kmh = 0.0

    def emergency_stop(self) -> None:
        self.stop()
        self.braking = self.belt_speed_kmh > 0

    def reset(self) -> None:
        self.stop()
        self.target_incline_pct = 0.0
        self.distance_m = self.elapsed_s = self.steps = 0.0
