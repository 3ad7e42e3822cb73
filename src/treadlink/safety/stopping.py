"""`Stopping`: the guard's stop, from the moment it is asked for until the belt is seen at rest.

Its phase is explicit (`StopPhase`), and it moves only forward within one stop:

    NONE ──ask──► ASKED ──the treadmill's own word──► ACCEPTED ──frames at rest, a window──► STOPPED
      ▲                                                                                     │
      └──────────────── our own Start, or the belt seen moving again ───────────────────────┘

While ASKED or ACCEPTED a supervised loop writes Stop every `stop_retry_s`, each attempt bounded
by that period, until STOPPED; no exception ends it, and if it ends early it is started again.
"Accepted" is the treadmill's answer (a successful Stop, or its status after our Stop), never a
speed reading; "stopped" needs frames at 0 km/h with no distance gained over a window at least
as long as the slowest belt takes to stop from the last speed it was seen at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from treadlink.safety.events import (
    BeltMoving,
    BeltStopped,
    Fault,
    GuardEvent,
    StopAccepted,
    StopUnconfirmed,
)
from treadlink.safety.settings import STILL_KMH, GuardSettings
from treadlink.safety.timers import Timers
from treadlink.treadmill.base import Commands
from treadlink.treadmill.errors import CommandError, CommandRefused, LinkLost, Refusal

log = logging.getLogger(__name__)


class StopPhase(Enum):
    NONE = "none"  # no stop under way, and the belt not known to be at rest
    ASKED = "asked"  # Stop is being written; the treadmill has not accepted it yet
    ACCEPTED = "accepted"  # the treadmill accepted it; the belt not seen at rest yet
    STOPPED = "stopped"  # seen at rest over the window after the acceptance


@dataclass(slots=True)
class _StillWindow:
    """Frames in a row showing the belt at rest: since when, from which distance, how many."""

    since: float
    distance_m: int | None
    frames: int = 1


class Stopping:
    def __init__(
        self,
        commands: Commands,
        settings: GuardSettings,
        timers: Timers,
        emit: Callable[[GuardEvent], None],
    ) -> None:
        self._commands = commands
        self._settings = settings
        self._timers = timers
        self._emit = emit
        self.phase = StopPhase.NONE
        self.asked_at = 0.0
        self.writes = 0  # Stop attempts since the stop was asked for
        self.own_stop_at = -float("inf")  # when we last sent Stop or Pause: its echoes are ours
        self.last_moving_kmh = 0.0  # the last speed read above 0 km/h, until seen at rest
        self._still: _StillWindow | None = None
        self._stopped = asyncio.Event()
        self._said: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # --- the phase ----------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        """A stop was asked for and the belt is not seen stopped yet."""
        return self.phase in (StopPhase.ASKED, StopPhase.ACCEPTED)

    @property
    def accepted(self) -> bool:
        return self.phase in (StopPhase.ACCEPTED, StopPhase.STOPPED)

    @property
    def belt_stopped(self) -> bool:
        return self.phase == StopPhase.STOPPED

    def ask(self) -> None:
        """Stop the belt now and keep at it until it is stopped (a stop under way goes on)."""
        if not self.stopping:
            self.phase = StopPhase.ASKED
            self._stopped.clear()
            self._still = None
            self.writes = 0
            self.asked_at = _now()
            self._timers.arm("unconfirmed", self._settings.confirm_within_s, self._warn)
        self._ensure_loop()

    def accept(self, how: str) -> None:
        """The treadmill's own word that it took our stop."""
        if self.phase != StopPhase.ASKED:
            return
        self.phase = StopPhase.ACCEPTED
        # Accepted: the belt now needs the time to slow down. The runner is told only if it
        # has not been seen at rest once that time, the window and the usual grace are over.
        s = self._settings
        braking = self.last_moving_kmh / s.slowest_deceleration_kmh_s
        self._timers.arm("unconfirmed", braking + s.still_window_s + s.confirm_within_s, self._warn)
        self._emit(StopAccepted(at=_now(), how=how))

    def started(self) -> None:
        """Our own Start: the last stop is over, not undone."""
        if self.phase == StopPhase.STOPPED:
            self.phase = StopPhase.NONE
            self._stopped.clear()

    async def wait_belt_stopped(self, timeout: float | None = None) -> bool:
        """True once the belt is stopped after the stop asked for (or none was asked for)."""
        if not self.stopping:
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._stopped.wait()
        except TimeoutError:
            return False
        return True

    # --- frames ---------------------------------------------------------------------------------
    def on_frame(self, speed: float, distance_m: int | None, *, doubted: bool = False) -> None:
        """One frame. `doubted`: the frames have contradicted themselves (0 km/h while the
        distance grew), so none of them can show the belt at rest until they stop doing so."""
        if speed > STILL_KMH:
            self.last_moving_kmh = speed
        if self.stopping:
            if doubted:
                self._still = None
                return
            self._count_still(speed, distance_m)
        elif self.phase == StopPhase.STOPPED and speed > STILL_KMH:
            self.phase = StopPhase.NONE  # moved again (the console): no longer at rest
            self._stopped.clear()
            self._emit(BeltMoving(at=_now(), speed_kmh=speed))

    def _count_still(self, speed: float, distance_m: int | None) -> None:
        """Count frames at rest after the stop was accepted; the belt is stopped after a window."""
        now = _now()
        still = self._still
        accepted = self.phase == StopPhase.ACCEPTED
        at_rest = speed <= STILL_KMH and (
            still is None or distance_m is None or distance_m == still.distance_m
        )
        if not (accepted and at_rest):
            self._still = _StillWindow(now, distance_m) if accepted and speed <= STILL_KMH else None
            return
        if still is None:
            self._still = _StillWindow(now, distance_m)
            return
        still.frames += 1
        # Frames may read 0 km/h while the belt runs (a firmware glitch), and 1 m of distance
        # resolution cannot see a crawling belt: the window lasts at least as long as the
        # slowest belt takes to stop from the last speed it was seen at, the distance
        # unchanged all along when it is reported.
        s = self._settings
        window = max(s.still_window_s, self.last_moving_kmh / s.slowest_deceleration_kmh_s)
        if still.frames >= s.still_frames and now - still.since >= window:
            self._belt_is_stopped(still.frames, now - still.since)

    def _belt_is_stopped(self, frames: int, window_s: float) -> None:
        self.phase = StopPhase.STOPPED
        self.last_moving_kmh = 0.0  # seen at rest: the next stop starts from here
        self._still = None
        self._stopped.set()
        self._timers.cancel("unconfirmed", "stale")
        self._emit(BeltStopped(at=_now(), frames=frames, window_s=window_s))

    def _warn(self) -> None:
        if self.stopping:
            self._emit(
                StopUnconfirmed(at=_now(), waited_s=_now() - self.asked_at, accepted=self.accepted)
            )
            self._timers.arm("unconfirmed", self._settings.confirm_within_s, self._warn)

    # --- the loop ---------------------------------------------------------------------------------
    def close(self) -> asyncio.Task[None] | None:
        """Stop writing; the loop still running, if any, cancelled (the caller waits for it)."""
        self._closing = True
        task = self._task
        if task is None or task.done():
            return None
        task.cancel()
        return task

    @property
    def loop_task(self) -> asyncio.Task[None] | None:
        return self._task

    def _ensure_loop(self) -> None:
        if self._closing or (self._task is not None and not self._task.done()):
            return
        # Eager: the task runs until its first real wait inside this call, so the Stop is
        # handed to the Bluetooth stack before any listener (display, disk) hears of it.
        loop = asyncio.get_running_loop()
        self._task = asyncio.eager_task_factory(loop, self._loop())
        self._task.add_done_callback(self._loop_ended)

    async def _loop(self) -> None:
        """Write Stop every `stop_retry_s` until the belt is stopped, whatever goes wrong."""
        period = self._settings.stop_retry_s
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        # `_closing` too: a transport may turn close()'s cancel into another exception, which
        # an attempt logs and goes on from.
        while self.stopping and not self._closing:
            self.writes += 1
            self.own_stop_at = loop.time()  # its status 02 echoes are ours, not the console's
            try:
                await self._commands.stop(timeout=period)
                self.accept("indication")
            except CommandRefused as e:
                if e.refusal != Refusal.NOT_PERMITTED:
                    self._say_once("refused", f"stop refused: {e}")
                else:
                    # Expected when nothing of ours held control (serve, idle): no alarm.
                    log.info("stop refused (%s): asking for control back", e)
                    # Control was lost (another app, a reset): ask for it back before the next.
                    with contextlib.suppress(CommandError, TimeoutError):
                        async with asyncio.timeout(period):
                            await self._commands.request_control()
            except LinkLost:
                pass  # nothing to write on until reconnecting brings the link back
            except CommandError as e:
                self._say_once(type(e).__name__, f"stop not answered: {e}")
            except Exception:
                log.exception("stop attempt %d failed", self.writes)
            next_at += period
            now = loop.time()
            if next_at < now - period:  # fell behind (a stalled loop): no burst of writes
                next_at = now
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(next_at):
                    await self._stopped.wait()

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        # A loop that ended as it should may have been followed, before this callback, by a
        # new stop and its own new loop: only the current loop's end is news.
        why = "cancelled" if task.cancelled() else repr(task.exception())  # retrieved, always
        if self._closing or not self.stopping or task is not self._task:
            return
        # Cancelled from outside, or a BaseException got through: never leave a stop undone.
        log.error("the stop loop ended (%s) before the belt stopped: restarting it", why)
        self._emit(Fault(at=_now(), message=f"stop loop restarted after it ended ({why})"))
        self._ensure_loop()

    def _say_once(self, what: str, message: str) -> None:
        """Log a kind of stop problem loudly once; StopUnconfirmed goes on telling the runner."""
        level = logging.DEBUG if what in self._said else logging.WARNING
        self._said.add(what)
        log.log(level, message)


def _now() -> float:
    return asyncio.get_running_loop().time()
