"""`SegmentTargets`: the segment's speed and incline as the runner's keys leave them, and how
they reach the belt.

The step sets them when its segment starts; `-`/`+` (and MQTT's `speed`) change them for the
rest of the segment, a pause or a fault included. A change asked for while another is being
written waits for it, and only the latest is written (keys pressed fast coalesce); one whose
segment is over, or asked while the plan holds, is dropped, never queued.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from treadlink.events import Event
from treadlink.plans.timeline import Step
from treadlink.safety.guard import SafetyGuard
from treadlink.session.events import SetpointConfirmed, SetpointSent
from treadlink.treadmill.errors import CommandError
from treadlink.treadmill.units import SetpointError


class SegmentTargets:
    def __init__(
        self,
        guard: SafetyGuard,
        emit: Callable[[Event], None],
        clock: Callable[[], float],
        still_wanted: Callable[[int], bool],
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
        if self._writing is not None:
            self._writing.cancel()

    async def send(self, step: Step, *, scheduled: float) -> None:
        """Write the segment's speed and incline (the step's, or as the keys left them), due at
        loop time `scheduled` (how late it goes out is reported as its lag)."""
        lag_ms = max(0.0, asyncio.get_running_loop().time() - scheduled) * 1000
        treadmill = self._guard.treadmill
        speed = self.speed_kmh
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
        self._emit(
            SetpointConfirmed(
                at=self._clock(), index=step.index, speed_kmh=speed, incline_pct=incline
            )
        )

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
                if incline_pct is not None:
                    await self._guard.set_incline(incline_pct)
