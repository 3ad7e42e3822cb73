"""What the session waits for from the belt, and how it brings the belt back after a fault.

`BeltWatch.reaches(kmh)` returns once the treadmill reports the belt at `kmh` or faster; a
latched fault fails the wait at once (`abandon`), so a session never waits on a belt the guard
is stopping.

`EaseIn` brings the belt back after an acknowledged fault from its own reported speed: the first
setpoint is the belt's speed (down to the treadmill's grid), then steps of the guard's
`ease_step_kmh`, each sent once the belt has reached the one before, up to the target. The
runner's keys change where it goes (`retarget`), never its steps; the guard refuses any speed
that would skip one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from treadlink.safety.guard import SafetyGuard
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink.treadmill.units import Range

_STILL = 0.005  # km/h: below the 0.01 km/h wire resolution


class SessionAborted(Exception):
    """The session cannot go on (a fault); the belt is being stopped."""


class BeltWatch:
    def __init__(self, treadmill: Treadmill, timeout_s: float) -> None:
        self._treadmill = treadmill
        self.timeout_s = timeout_s
        self._waiting: asyncio.Future[None] | None = None

    @property
    def speed_kmh(self) -> float:
        return self._treadmill.state.speed_kmh or 0.0

    @property
    def moving(self) -> bool:
        return self.speed_kmh > _STILL

    def abandon(self, why: str) -> None:
        """A latched fault: whatever the session waits for from the belt will not come."""
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_exception(SessionAborted(f"start abandoned: {why}"))

    async def reaches(self, kmh: float, *, after: Callable[[], object] | None = None) -> None:
        """Return once the treadmill reports the belt at `kmh` or faster. `after` (a Start, as
        a coroutine function's call) is awaited once the watch is in place, so no frame slips
        by between the command and the watch."""
        reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting = reached

        def check(event: TreadmillEvent) -> None:
            fast_enough = isinstance(event, Telemetry) and (event.state.speed_kmh or 0) >= kmh
            if fast_enough and not reached.done():
                reached.set_result(None)

        unsubscribe = self._treadmill.subscribe(check)
        try:
            if after is not None:
                command = after()
                if asyncio.iscoroutine(command):
                    await command
            elif self.speed_kmh >= kmh:
                return
            async with asyncio.timeout(self.timeout_s):
                await reached
        except TimeoutError:
            raise SessionAborted(
                f"the belt did not reach {kmh:g} km/h within {self.timeout_s:g} s"
            ) from None
        finally:
            unsubscribe()
            self._waiting = None


class EaseIn:
    def __init__(self, guard: SafetyGuard, belt: BeltWatch, target_kmh: float) -> None:
        self._guard = guard
        self._belt = belt
        self.target_kmh = target_kmh

    def retarget(self, kmh: float) -> None:
        """Where the ease-in goes; the next step goes towards it, one step at a time."""
        self.target_kmh = kmh

    async def run(self, interrupted: Callable[[], bool]) -> None:
        """Step the belt up to the target; return early if `interrupted()` (the console or the
        runner took over: the plan waits, not fights)."""
        treadmill = self._guard.treadmill
        r = treadmill.speed_range
        if r is None:
            return
        step = self._guard.settings.ease_step_kmh
        grid = r.scale * r.step
        # How far below a speed the belt may be and the next step still go up by one grid
        # value at least: a grid step on a fine grid, none on one as coarse as the ease step
        # (CITYSPORTS: 0.5 km/h), so no step is ever written twice.
        slack = max(0.0, min(grid, step - grid))
        # Belts start from standstill: wait until it runs at the lowest speed the treadmill takes.
        await self._belt.reaches(r.value(r.minimum))
        speed = r.floor(self._belt.speed_kmh)
        while True:
            if interrupted():
                return
            await self._guard.set_speed(min(speed, self.target_kmh))
            if speed >= self.target_kmh - _STILL:
                self._guard.eased_in()
                return
            await self._belt.reaches(speed - slack - _STILL)
            # From where the belt is now: a key that raised the target never skips a step.
            higher = self._next(r)
            if higher <= speed:  # a grid coarser than the ease step: no step fits under it
                await self._belt.reaches(speed + grid - step)  # fails in time, never spins
                higher = self._next(r)
            speed = higher

    def _next(self, r: Range) -> float:
        """The next step: an ease step above where the belt is now, down to the grid."""
        step = self._guard.settings.ease_step_kmh
        return r.floor(min(self.target_kmh, self._belt.speed_kmh + step + _STILL))
