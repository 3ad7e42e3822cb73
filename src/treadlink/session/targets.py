"""`SegmentTargets`: the segment's speed and incline as the runner's keys leave them, and how
they reach the belt.

The step sets them when its segment starts; `-`/`+` (and MQTT's `speed`) change them for the
rest of the segment, a pause or a fault included. A change asked for while another is being
written waits for it, and only the latest is written (keys pressed fast coalesce); one whose
segment is over, or asked while the plan holds, is dropped, never queued.

A speed the treadmill took is done only once the belt follows it (session.follow): then
SetpointConfirmed. A belt that stays slower is sent the speed again, a bounded number of times,
and then the runner is told (SetpointNotFollowed) and the plan goes on; a belt that runs faster
than asked is stopped at once (docs/decisions/0020).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from treadlink.events import Event
from treadlink.plans.fitting import NO_INCLINE
from treadlink.plans.timeline import Step, Timeline
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink.session.events import SetpointConfirmed, SetpointNotFollowed, SetpointSent
from treadlink.session.follow import FOLLOW, FollowRules, FollowWatch, not_followed_text
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.errors import CommandError
from treadlink.treadmill.units import SetpointError


def unsupported(timeline: Timeline, treadmill: Treadmill) -> str | None:
    """Why this treadmill cannot run the stage as compiled, or None: a stage that needs an
    incline on a treadmill without one (compile it flat: plans.fitting) is never run with the
    incline silently left out."""
    if treadmill.supports_incline:
        return None
    steep = next((s for s in timeline.steps if s.incline_pct != 0), None)
    if steep is None:
        return None
    return (
        f"segment {steep.index + 1} needs an incline of {steep.incline_pct:g} %, and {NO_INCLINE}"
    )


class SegmentTargets:
    def __init__(
        self,
        guard: SafetyGuard,
        emit: Callable[[Event], None],
        clock: Callable[[], float],
        still_wanted: Callable[[int], bool],
        *,
        speedup: float = 1.0,
        follow: FollowRules = FOLLOW,
    ) -> None:
        """`still_wanted(index)`: a change for segment `index` may still be written."""
        self._guard = guard
        self._emit = emit
        self._clock = clock
        self._still_wanted = still_wanted
        self.speed_kmh = 0.0
        self.incline_pct: float | None = None
        self._wanted: tuple[int, float | None, float | None] | None = None  # segment, targets
        self._writing: asyncio.Task[None] | None = None
        self._follow = FollowWatch(guard.treadmill, follow, speedup)
        self._following: asyncio.Task[None] | None = None
        self.not_followed = 0  # setpoints the belt did not follow: the stage is not done

    def begin(self, step: Step) -> None:
        """A new segment: its own speed and incline, until keys change them."""
        self.speed_kmh, self.incline_pct = step.speed_kmh, step.incline_pct

    @property
    def asked_kmh(self) -> float | None:
        """The speed waiting to be written, if any."""
        return self._wanted[1] if self._wanted is not None else None

    def change(self, index: int, speed_kmh: float | None, incline_pct: float | None) -> None:
        """Keys (or MQTT) changed the segment's targets; written at once, or after the change
        being written now (the latest wins). Checked by the caller before it comes here."""
        if speed_kmh is not None:
            self.speed_kmh = speed_kmh
        if incline_pct is not None:
            self.incline_pct = incline_pct
        shown = speed_kmh if speed_kmh is not None else self._guard.target_kmh or 0.0
        self._emit(
            SetpointSent(
                at=self._clock(), index=index, speed_kmh=shown, incline_pct=incline_pct, lag_ms=0.0
            )
        )
        if self._wanted is not None and self._wanted[0] == index:
            _, waiting_speed, waiting_incline = self._wanted
            speed_kmh = waiting_speed if speed_kmh is None else speed_kmh
            incline_pct = waiting_incline if incline_pct is None else incline_pct
        self._wanted = (index, speed_kmh, incline_pct)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._write_changes())

    def cancel(self) -> None:
        for task in (self._writing, self._following):
            if task is not None:
                task.cancel()

    async def send(self, step: Step, *, scheduled: float) -> None:
        """Write the segment's speed and incline (the step's, or as the keys left them), due at
        loop time `scheduled` (how late it goes out is reported as its lag)."""
        lag_ms = max(0.0, asyncio.get_running_loop().time() - scheduled) * 1000
        treadmill = self._guard.treadmill
        speed = self.speed_kmh
        # Without an incline every step is flat (`unsupported` refused any other before).
        incline = self.incline_pct if treadmill.supports_incline else None
        # Checked before anything is written: an off-grid setpoint never half-applies.
        treadmill.speed_units(speed)
        if incline is not None:
            treadmill.incline_units(incline)
        self._emit(
            SetpointSent(
                at=self._clock(),
                index=step.index,
                speed_kmh=speed,
                incline_pct=incline,
                lag_ms=lag_ms,
            )
        )
        guard = self._guard
        try:
            await guard.set_speed(speed)
            if incline is not None:
                await guard.set_incline(incline)
        except CommandError:
            if guard.latched is None and not guard.stopping:
                raise
            return  # the guard is stopping the belt; the plan waits for the runner
        self._watch(step.index, speed, incline)

    def _watch(self, index: int, kmh: float, incline: float | None) -> None:
        """Watch the belt follow the speed just written (a newer speed replaces the one the
        last watch was on)."""
        if self._following is not None:
            self._following.cancel()
        loop = asyncio.get_running_loop()
        self._following = loop.create_task(self._followed(index, kmh, incline))

    async def belt_comes_to_rest(self) -> bool:
        """Whether the belt, slowing down, comes to rest (False: it does not slow down)."""
        return (await self._follow.watch(0.0, hold=False)).outcome == "followed"

    def _wanted_now(self, index: int) -> bool:
        guard = self._guard
        return self._still_wanted(index) and guard.latched is None and not guard.stopping

    async def _followed(self, index: int, kmh: float, incline: float | None) -> None:
        rules = self._follow.rules
        resent = 0
        while True:
            judged = await self._follow.watch(kmh)
            if not self._wanted_now(index):
                return  # the plan holds, moved on or stops: nothing to judge any more
            if judged.outcome == "followed":
                self._emit(
                    SetpointConfirmed(
                        at=self._clock(), index=index, speed_kmh=kmh, incline_pct=incline
                    )
                )
                return
            if judged.outcome == "faster" or resent == rules.resends:
                break
            resent += 1
            self._emit(
                SetpointSent(
                    at=self._clock(), index=index, speed_kmh=kmh, incline_pct=None, lag_ms=0.0
                )
            )
            try:
                await self._guard.set_speed(kmh)
            except CommandError:
                return  # the guard acts on a failed command; the plan waits for it
        message = not_followed_text(kmh, judged, resent)
        self.not_followed += 1
        self._emit(
            SetpointNotFollowed(
                at=self._clock(),
                index=index,
                speed_kmh=kmh,
                belt_kmh=judged.belt_kmh,
                outcome=judged.outcome,
                resent=resent,
                waited_s=judged.waited_s,
                message=message,
            )
        )
        if judged.outcome == "faster":
            # Faster than the plan asked: stopped as a runaway is (the runner acknowledges).
            self._guard.trip(FaultKind.OVERSPEED, message)

    async def _write_changes(self) -> None:
        while self._wanted is not None:
            index, speed_kmh, incline_pct = self._wanted
            self._wanted = None
            if not self._still_wanted(index):
                return  # the segment it was for is over, or the plan holds: not sent
            # A failure is the guard's to act on (it hears every failed command); the runner
            # sees the fault, not an error from the key.
            with contextlib.suppress(CommandError, SetpointError):
                if speed_kmh is not None:
                    await self._guard.set_speed(speed_kmh)
                    self._watch(index, speed_kmh, None)
                if incline_pct is not None:
                    await self._guard.set_incline(incline_pct)
