"""The console between the belt and the protocols: what it shows, in its own units.

The belt model (physics.py) knows stopped, running and paused. A console shows more: a countdown
before the belt starts, the decelerating belt, a stopped screen for a while after a stop, a safety
key pulled, an error, sleep; it counts in km or miles, and some reset their counters when the belt
comes to rest. Every protocol server reads the machine through here, so they all agree.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from treadlink.fitshow.protocol import BeltState
from treadlink.fitshow.units import KM_PER_MILE
from treadlink_sim.faults import Fault
from treadlink_sim.physics import BeltMode
from treadlink_sim.quirks import OVERRIDE_AFTER_S, STRAY_ZERO_EVERY, Quirk
from treadlink_sim.servers import Change, MachineEvent

if TYPE_CHECKING:
    from treadlink_sim.treadmill import TreadmillSimulator

# Energy a 70 kg runner spends per metre on the flat: about 1 kcal per kg per km.
KCAL_PER_M: Final = 0.07


def counters_rate_kcal_h(speed_kmh: float) -> float:
    """Energy per hour at `speed_kmh`, by the same rule as the energy counter."""
    return speed_kmh * 1000 * KCAL_PER_M


@dataclass(frozen=True, slots=True)
class Counters:
    """The workout counters as the console shows them."""

    distance_m: float = 0.0
    elapsed_s: float = 0.0
    steps: float = 0.0

    @property
    def energy_kcal(self) -> float:
        return self.distance_m * KCAL_PER_M

    def __sub__(self, other: Counters) -> Counters:
        return Counters(
            self.distance_m - other.distance_m,
            self.elapsed_s - other.elapsed_s,
            self.steps - other.steps,
        )


class Console:
    def __init__(self, machine: TreadmillSimulator) -> None:
        self.machine = machine
        profile = machine.profile
        # km/h of one console speed unit: the console counts in mph when its profile says so.
        self.kmh_per_unit = KM_PER_MILE if profile.speed_unit == "mph" else 1.0
        self.countdown_until: float | None = None  # loop time the countdown ends, while it runs
        self.awaiting_start = False  # READY outside compatibility mode: waits for START
        self.last_speed_kmh = 0.0  # the belt's speed when it was last told to stop or pause
        self._end_until = -math.inf  # loop time the stopped screen gives way to idle
        self._base = Counters()  # COUNTERS_RESET_ON_STOP: the counters at the last reset
        self._moving_frames = 0
        self.client_target = False  # a client set the target since the last start

    def has(self, quirk: Quirk) -> bool:
        return quirk in self.machine.profile.quirks

    # --- what the console shows ---------------------------------------------------------------
    @property
    def state(self) -> BeltState:
        machine = self.machine
        faults, model = machine.fault_state, machine.model
        if Fault.SLEEPING in faults:
            return BeltState.SLEEPING
        if Fault.SAFETY_KEY in faults:
            return BeltState.SAFETY_KEY_OUT
        if Fault.CONSOLE_ERROR in faults:
            return BeltState.ERROR
        if self.countdown_until is not None or self.awaiting_start:
            return BeltState.COUNTDOWN
        if model.mode is BeltMode.RUNNING:
            return BeltState.RUNNING
        if model.belt_speed_kmh > 0:
            return BeltState.STOPPING
        if model.mode is BeltMode.PAUSED:
            return BeltState.PAUSED
        return BeltState.STOPPED if machine.now() < self._end_until else BeltState.IDLE

    @property
    def countdown_left_s(self) -> int:
        """Whole seconds left, as the console counts them down (5, 4, … 1)."""
        if self.countdown_until is None:
            return 0
        left = (self.countdown_until - self.machine.now()) * self.machine.time_scale
        return max(1, math.ceil(round(left, 6)))

    def counters(self) -> Counters:
        """The counters as shown: from 0 again after a reset on stop (COUNTERS_RESET_ON_STOP)."""
        model = self.machine.model
        true = Counters(model.distance_m, model.elapsed_s, model.steps)
        if self.has(Quirk.COUNTERS_RESET_ON_STOP):
            at_rest = model.mode is not BeltMode.RUNNING and model.belt_speed_kmh == 0
            if at_rest and self.countdown_until is None:
                self._base = true
            return true - self._base
        return true

    def telemetry_speed_kmh(self) -> float:
        """The belt's speed as a telemetry frame reports it (glitches included), in km/h."""
        machine = self.machine
        speed = machine.model.belt_speed_kmh
        if Fault.ZERO_SPEED_FRAMES in machine.fault_state:
            return 0.0  # firmware glitch seen in the field: a moving belt reported as 0 km/h
        if speed > 0 and self.has(Quirk.STRAY_ZERO_SPEED):
            self._moving_frames += 1
            if self._moving_frames % STRAY_ZERO_EVERY == 0:
                return 0.0
        return speed

    def in_units(self, kmh: float) -> float:
        """A speed in the console's own unit (km/h or mph)."""
        return kmh / self.kmh_per_unit

    def from_units(self, value: float) -> float:
        """A speed in the console's unit, as true km/h."""
        return value * self.kmh_per_unit

    # --- what happens on it -------------------------------------------------------------------
    def begin_start(self, by_console: bool = False) -> MachineEvent:
        """Start now, or count down first when a new workout begins on a counting console."""
        machine = self.machine
        if self.countdown_until is not None:
            return MachineEvent(Change.COUNTDOWN, by_console, effective=False)
        countdown = machine.profile.countdown_s / machine.time_scale
        if countdown and machine.model.mode is BeltMode.STOPPED:
            until = self.countdown_until = machine.now() + countdown
            self.awaiting_start = False
            machine.spawn(self._count_down(until, by_console))
            return MachineEvent(Change.COUNTDOWN, by_console)
        machine.apply_start()
        return MachineEvent(Change.STARTED, by_console)

    async def _count_down(self, until: float, by_console: bool) -> None:
        machine = self.machine
        await asyncio.sleep(until - machine.now())
        if self.countdown_until == until:  # not stopped meanwhile
            machine.apply_start()
            await machine.emit(MachineEvent(Change.STARTED, by_console))

    def started(self) -> None:
        """A new workout began: TARGET_OVERRIDDEN_AFTER_START's console takes its speed back."""
        if self.has(Quirk.TARGET_OVERRIDDEN_AFTER_START):
            self.client_target = False
            model = self.machine.model
            self.machine.spawn(self._override_target(model.target_speed_kmh))

    async def _override_target(self, start_speed: float) -> None:
        machine = self.machine
        await asyncio.sleep(OVERRIDE_AFTER_S / machine.time_scale)
        if machine.running and self.client_target:
            machine.set_target("target_speed_kmh", start_speed)  # silently, as the FS 465D50
            self.client_target = False

    def starting(self, new_workout: bool) -> None:
        """The belt is about to start; a new workout's counters start from 0."""
        self.countdown_until = None
        self.awaiting_start = False
        if new_workout:
            self._base = Counters()
            if self.has(Quirk.STARTS_AT_MINIMUM):
                self.machine.model.target_speed_kmh = 0.0  # the start uses the lowest speed

    def stopping(self, emergency: bool) -> None:
        """The belt was told to stop or pause: the stopped screen lasts from its rest on."""
        machine = self.machine
        model = machine.model
        self.countdown_until = None
        self.awaiting_start = False
        if model.mode is BeltMode.RUNNING or model.belt_speed_kmh > 0:
            self.last_speed_kmh = model.belt_speed_kmh
        if model.mode is not BeltMode.STOPPED or model.belt_speed_kmh > 0:
            dynamics = model.dynamics
            rate = dynamics.emergency_decel_kmh_s if emergency else dynamics.accel_down_kmh_s
            to_rest = model.belt_speed_kmh / rate / machine.time_scale
            hold = machine.profile.stopped_hold_s / machine.time_scale
            self._end_until = machine.now() + to_rest + hold

    def idle(self) -> None:
        """Back to the idle screen (after a reset, or a fault cleared)."""
        self._end_until = -math.inf
