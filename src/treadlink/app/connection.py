"""The composition root: radio → link → guard, built one way for every command that drives a
treadmill (`treadlink run`, `treadlink serve`).

    target = Target(sim=IN_PROCESS, speedup=30)
    async with radio_for(target) as radio, connect(radio, target, runner) as connection:
        connection.guard        # the one owner of the control point, for the link's whole life
        connection.treadmill    # what the treadmill is, can do and reports

Whoever holds a `Connection` drives the belt only through `connection.guard`. The guard is closed
before the link, so nothing is left watching a link that is gone; the caller waits for the belt
(`guard.wait_belt_stopped`) before leaving the block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

from treadlink.ble.link import Link
from treadlink.ble.protocols import Protocol
from treadlink.ble.radio import Radio
from treadlink.config import RunnerProfile
from treadlink.plans.limits import TreadmillLimits
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.known import speed_units_set
from treadlink.treadmill.units import SpeedUnit

IN_PROCESS: Final = "in-process"  # `--sim` alone: the simulated treadmill in this process
DEFAULT_PROFILE: Final = "noblepro-elite"
MAX_SIM_HZ: Final = 20.0  # Treadmill Data frames a second the in-process virtual link carries


@dataclass(frozen=True, slots=True)
class Target:
    """Which treadmill to reach, and how: the options every driving command shares."""

    sim: str | None = None  # None: the OS's Bluetooth; IN_PROCESS; or a bumble transport spec
    device: str | None = None  # an address or part of the advertised name; None: the first
    profile: str | None = None  # the in-process simulator's machine profile
    protocol: Protocol | None = None  # None: chosen from what the treadmill shows
    speedup: float = 1.0  # the session's time scale (the simulator only)
    scan_timeout_s: float = 10.0

    @property
    def simulated(self) -> bool:
        return self.sim is not None

    @property
    def in_process(self) -> bool:
        return self.sim == IN_PROCESS

    def simulator_options(self) -> dict[str, Any]:
        """A sped-up plan on the in-process simulator gets a belt on the same scaled time: it
        covers the distance of the scaled time and accelerates at its own rate per scaled
        second, and its telemetry comes as often per session second as it would (up to what the
        virtual link carries comfortably)."""
        if not self.in_process or self.speedup == 1.0:
            return {}
        return {"time_scale": self.speedup, "telemetry_hz": min(4.0 * self.speedup, MAX_SIM_HZ)}

    def guard_settings(self, runner: RunnerProfile) -> GuardSettings:
        """The runner's caps; on the in-process simulator sped up with the plan, because only
        its belt runs on the session's scaled time (a standalone simulator or a controller
        behind a transport keeps real time, and a guard sped up over it would call a moving
        belt stopped)."""
        settings = GuardSettings(cap_kmh=runner.max_speed, cap_incline_pct=runner.max_incline)
        return settings.sped_up(self.speedup) if self.in_process else settings


def radio_for(target: Target) -> Radio:
    """The radio the target asks for. The Bluetooth stacks are imported only when needed."""
    if target.sim is None:
        from treadlink.ble.native import NativeRadio

        return NativeRadio()
    from treadlink.ble.bumble.radio import BumbleRadio

    if target.in_process:
        profile = target.profile or DEFAULT_PROFILE
        return BumbleRadio(None, profile=profile, **target.simulator_options())
    return BumbleRadio(target.sim)


@dataclass(frozen=True, slots=True)
class Connection:
    link: Link
    guard: SafetyGuard

    @property
    def treadmill(self) -> Treadmill:
        return self.link.treadmill

    @property
    def limits(self) -> TreadmillLimits:
        """What this treadmill accepts, to check a plan against before anything is sent."""
        t = self.treadmill
        assert t.speed_range is not None  # read as the link came up
        return TreadmillLimits(t.speed_range, t.incline_range if t.supports_incline else None)


@asynccontextmanager
async def connect(radio: Radio, target: Target, runner: RunnerProfile) -> AsyncIterator[Connection]:
    """Find the treadmill, connect, and put the guard over the link for its whole life, holding
    the belt to the runner's caps."""
    device = await radio.find_treadmill(target.device, timeout=target.scan_timeout_s)
    units = {key: SpeedUnit(s.speed_unit) for key, s in runner.treadmills.items()}
    with speed_units_set(units):  # the driver reads them as it connects (and reconnects)
        async with (
            Link(device, backend=radio.client_backend, protocol=target.protocol) as link,
            SafetyGuard(link, settings=target.guard_settings(runner)) as guard,
        ):
            yield Connection(link, guard)
