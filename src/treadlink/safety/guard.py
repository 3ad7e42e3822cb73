"""`SafetyGuard`: watches the treadmill, latches on every fault and stops the belt until the
treadmill confirms it. Implements the safety contract in DESIGN.md.

    guard = SafetyGuard(treadmill, clock=session.clock, cap_kmh=10.0)
    guard.subscribe(print)
    async with guard:          # attaches the interlock, starts watching
        guard.trip(FaultKind.STOP_INPUT, "space bar")      # from any front end; never blocks
        ...
        guard.acknowledge()    # only from the runner at the laptop

Nothing here waits behind the session engine, a lock or the network: `trip` is synchronous and
starts the stop task at once; the stop goes to the control point without the command lock (see
ControlPoint.stop) and is sent again until the treadmill reports the belt stopped. The watching
is done with loop timers re-armed by the treadmill's own events, so a silent treadmill is
noticed without polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from bleak.exc import BleakError

from treadlink.fanout import Fanout
from treadlink.ftms.control import ControlPointError, ProcedureFailed
from treadlink.ftms.protocol import MachineStatusOp, OpCode, ResultCode, StopPause
from treadlink.ftms.state import (
    CommandFailed,
    Disconnected,
    StatusChanged,
    Telemetry,
    TreadmillEvent,
)
from treadlink.ftms.treadmill import Treadmill
from treadlink.safety.events import (
    Acknowledged,
    BeltStopped,
    ConsoleOverride,
    Fault,
    GuardEvent,
    Reconnected,
    StopAccepted,
    StopRequested,
    StopUnconfirmed,
)
from treadlink.safety.faults import FaultKind, InterlockError

log = logging.getLogger(__name__)

_SPEED_EPSILON = 0.005  # km/h: below the 0.01 km/h wire resolution


@dataclass(frozen=True, slots=True)
class GuardSettings:
    cap_kmh: float | None = None  # the runner's speed cap; the belt above it is a fault
    stale_after_s: float = 3.0  # no Treadmill Data this long while the belt moves: fault
    overspeed_tolerance_kmh: float = 0.5  # belt above target by more than this...
    overspeed_grace_s: float = 2.0  # ...for this long without slowing down: fault
    zero_debounce_s: float = 1.0  # speed 0 while running: a stop only if it lasts this long
    stop_retry_s: float = 0.25  # between stop attempts until the treadmill confirms
    confirm_within_s: float = 3.0  # then the runner is told to use the safety key
    own_status_window_s: float = 2.0  # status 02/05 this soon after our own command is ours
    reconnect_backoff_s: tuple[float, float] = (0.5, 5.0)


DEFAULT_SETTINGS = GuardSettings()


class SafetyGuard:
    def __init__(
        self,
        treadmill: Treadmill,
        *,
        clock: Callable[[], float] | None = None,
        settings: GuardSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.treadmill = treadmill
        self.settings = settings
        self._clock = clock
        self._events: Fanout[GuardEvent] = Fanout()
        self.latched: FaultKind | None = None
        self.stopping = False  # a stop was asked for and is not confirmed yet
        self._stop_asked_at = 0.0
        self._stop_confirmed = asyncio.Event()
        self._stop_task: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._running = False  # a Start went out and no stop or pause since
        self._belt_should_move = False  # ...and the belt has been seen moving since
        self._target_kmh: float | None = None
        self._own_targets: deque[tuple[float, float]] = deque(maxlen=8)  # (loop time, km/h)
        self._last_speed: float | None = None
        self._own_stop_at = -1e9  # when we last sent Stop or Pause
        self._first_speed_checked = False  # after an acknowledgement, until the first speed
        self._closing = False

    # --- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def open(self) -> None:
        self.treadmill.interlock = self
        self._unsubscribe = self.treadmill.subscribe(self._on_treadmill)

    async def close(self) -> None:
        self._closing = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in (self._stop_task, self._reconnect_task):
            if task is None:
                continue
            task.cancel()
            # A task cancelled inside a library's own timeout may end in TimeoutError or a
            # Bluetooth error rather than CancelledError: it is over either way.
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, BleakError):
                await task
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.treadmill.interlock is self:
            self.treadmill.interlock = None

    def subscribe(self, listener: Callable[[GuardEvent], None]) -> Callable[[], None]:
        return self._events.subscribe(listener)

    # --- entry points: synchronous, never wait -----------------------------------------------
    def trip(self, kind: FaultKind, detail: str) -> None:
        """A fault: latch, and stop the belt now."""
        first = self.latched is None
        if first:
            self.latched = kind
        if first or not self.stopping:
            self.stop(detail)  # before the Fault event: stopping never waits for a listener
        self._emit(Fault(at=self._now_session(), message=detail, fault=kind.value, latched=True))

    def stop(self, reason: str) -> None:
        """Stop the belt now and keep at it until the treadmill confirms. Not a fault by itself:
        the end of a plan stops the belt this way without latching."""
        if self._closing:
            log.warning("stop asked for after the session ended: %s", reason)
            return
        self._running = self._belt_should_move = False
        if not self.stopping:
            self.stopping = True
            self._stop_confirmed.clear()
            self._stop_asked_at = self._loop_time()
            # Eager: the task runs until its first real wait inside this call, so the Stop is
            # handed to the Bluetooth stack before any listener (display, disk) hears of it.
            loop = asyncio.get_running_loop()
            self._stop_task = asyncio.eager_task_factory(loop, self._stop_until_confirmed())
            self._arm("unconfirmed", self.settings.confirm_within_s, self._warn_unconfirmed)
        self._cancel("stale", "zero", "overspeed")
        self._emit(StopRequested(at=self._now_session(), reason=reason))

    def acknowledge(self) -> None:
        """The runner, at the laptop, acknowledges the fault. Wire this to local inputs only.

        Raises InterlockError while acknowledging would be unsafe."""
        if self.latched is None:
            return
        if self.stopping:
            raise InterlockError("the stop is not confirmed yet: use the treadmill's stop button")
        if not self.treadmill.is_connected:
            raise InterlockError("the treadmill is not connected: it cannot be watched")
        fault, self.latched = self.latched, None
        self._first_speed_checked = True
        self._emit(Acknowledged(at=self._now_session(), fault=fault.value))

    async def wait_stopped(self, timeout: float) -> bool:
        """True once the treadmill has confirmed the stop asked for (or none was asked for)."""
        if not self.stopping:
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._stop_confirmed.wait()
        except TimeoutError:
            return False
        return True

    # --- the interlock: called by Treadmill before a command is written ------------------------
    def check_start(self) -> None:
        if self.latched is not None:
            raise InterlockError(f"start refused: {self._latched_text()}")
        self._running = True

    def check_speed(self, kmh: float) -> None:
        belt = self.treadmill.state.speed_kmh or 0.0
        cap = self.settings.cap_kmh
        if cap is not None and kmh > cap + _SPEED_EPSILON:
            raise InterlockError(f"speed {kmh} km/h refused: above the runner's cap {cap}")
        if self.latched is not None:
            # Stricter than "no increase": the belt is being stopped, nothing else goes out.
            raise InterlockError(f"speed {kmh} km/h refused: {self._latched_text()}")
        if self._first_speed_checked:
            if kmh > belt + _SPEED_EPSILON:
                raise InterlockError(
                    f"first speed after a fault must not exceed the belt's {belt} km/h"
                )
            self._first_speed_checked = False
        self._target_kmh = kmh
        self._own_targets.append((self._loop_time(), kmh))

    def check_incline(self, pct: float) -> None:
        if self.latched is not None:
            raise InterlockError(f"incline {pct} % refused: {self._latched_text()}")

    def will_stop(self, kind: StopPause) -> None:
        self._running = self._belt_should_move = False
        self._own_stop_at = self._loop_time()
        self._cancel("stale", "zero", "overspeed")

    # --- watching ----------------------------------------------------------------------------
    def _on_treadmill(self, event: TreadmillEvent) -> None:
        match event:
            case Telemetry(state=state):
                self._on_speed(state.speed_kmh)
            case StatusChanged(status=status):
                self._on_status(status.op, status.value)
            case CommandFailed(op=op, error=error) if op != OpCode.REQUEST_CONTROL:
                # A refused Request Control is the asker's to judge (some treadmills answer
                # "failed" and obey); without control every later command fails and trips here.
                self.trip(FaultKind.COMMAND_FAILED, f"control point: {error}")
            case Disconnected(solicited=False):
                self.trip(FaultKind.LINK_DROPPED, "the treadmill's link dropped")
                self._start_reconnecting()

    def _on_speed(self, speed: float | None) -> None:
        if speed is None:
            return
        self._last_speed = speed
        if self.stopping:
            if speed <= _SPEED_EPSILON:
                self._confirm_stop()
            return
        if speed > _SPEED_EPSILON and self._running and self.latched is None:
            self._belt_should_move = True
        if not self._belt_should_move:
            return
        self._arm("stale", self.settings.stale_after_s, self._on_stale)
        # A lone speed-0 frame is a known firmware glitch; a sustained one means the belt stopped.
        if speed <= _SPEED_EPSILON:
            self._arm_once("zero", self.settings.zero_debounce_s, self._on_sustained_zero)
        else:
            self._cancel("zero")
        cap = self.settings.cap_kmh
        if cap is not None and speed > cap + _SPEED_EPSILON:
            self.trip(FaultKind.ABOVE_CAP, f"belt at {speed} km/h, above the runner's cap {cap}")
            return
        target = self._target_kmh
        if target is not None and speed > target + self.settings.overspeed_tolerance_kmh:
            if "overspeed" not in self._timers:
                self._watch_overspeed(speed)
        else:
            self._cancel("overspeed")

    def _on_status(self, op: MachineStatusOp | int, value: float | int | None) -> None:
        # A stop/pause status this soon after our own Stop or Pause is the echo of it.
        ours = self._loop_time() - self._own_stop_at <= self.settings.own_status_window_s
        if op == MachineStatusOp.STOPPED_BY_SAFETY_KEY:
            self._confirm_stop()
            self.trip(FaultKind.SAFETY_KEY, "the safety key was pulled")
        elif op == MachineStatusOp.CONTROL_PERMISSION_LOST:
            self.trip(FaultKind.CONTROL_LOST, "another device took control of the treadmill")
        elif op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER:
            if self.stopping:
                self._confirm_stop()
            elif not ours:
                self.trip(FaultKind.CONSOLE_STOP, "stopped or paused on the treadmill's console")
        elif op == MachineStatusOp.TARGET_SPEED_CHANGED and isinstance(value, float | int):
            if self._echoes_own_speed(float(value)):
                return
            # The runner pressed a speed key: the belt follows the console, the plan waits.
            self._target_kmh = float(value)
            self._emit(ConsoleOverride(at=self._now_session(), speed_kmh=float(value)))

    def _echoes_own_speed(self, kmh: float) -> bool:
        """A target-speed status for one of our own recent commands (they may come in late)."""
        recent = self._loop_time() - self.settings.own_status_window_s
        return any(
            at >= recent and abs(kmh - sent) <= _SPEED_EPSILON for at, sent in self._own_targets
        )

    def _on_stale(self) -> None:
        s = self.settings.stale_after_s
        self.trip(FaultKind.STALE_TELEMETRY, f"no treadmill data for {s:g} s while the belt moves")

    def _on_sustained_zero(self) -> None:
        self.trip(FaultKind.BELT_STOPPED, "the belt stopped without being asked to")

    def _watch_overspeed(self, reference: float) -> None:
        # A belt slowing towards a lower target is not a runaway: judged at the end of the grace.
        self._arm_once(
            "overspeed", self.settings.overspeed_grace_s, lambda: self._on_overspeed(reference)
        )

    def _on_overspeed(self, reference: float) -> None:
        speed = self._last_speed or 0.0
        if speed < reference - _SPEED_EPSILON:
            self._watch_overspeed(speed)
            return
        self.trip(
            FaultKind.OVERSPEED,
            f"belt at {speed} km/h, faster than its target {self._target_kmh} km/h",
        )

    # --- stopping ----------------------------------------------------------------------------
    async def _stop_until_confirmed(self) -> None:
        attempts = 0
        while not self._stop_confirmed.is_set():
            attempts += 1
            try:
                await self.treadmill.stop()
            except ControlPointError as e:
                # Said once; the StopUnconfirmed events tell the runner while it goes on.
                log.log(logging.WARNING if attempts == 1 else logging.DEBUG, "stop refused: %s", e)
                lost = ResultCode.CONTROL_NOT_PERMITTED
                if isinstance(e, ProcedureFailed) and e.response.result == lost:
                    # Control was lost (another app, a reset): ask for it back, then stop again.
                    with contextlib.suppress(ControlPointError, BleakError):
                        await self.treadmill.request_control()
            except BleakError as e:
                log.log(logging.WARNING if attempts == 1 else logging.DEBUG, "stop failed: %s", e)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.stop_retry_s):
                    await self._stop_confirmed.wait()

    def _confirm_stop(self) -> None:
        if not self.stopping:
            return
        self.stopping = False
        self._stop_confirmed.set()
        self._cancel("unconfirmed")
        self._emit(StopAccepted(at=self._now_session(), how="indication"))
        self._emit(BeltStopped(at=self._now_session(), frames=1, window_s=0.0))

    def _warn_unconfirmed(self) -> None:
        if self.stopping:
            waited = self._loop_time() - self._stop_asked_at
            self._emit(StopUnconfirmed(at=self._now_session(), waited_s=waited, accepted=False))
            self._arm("unconfirmed", self.settings.confirm_within_s, self._warn_unconfirmed)

    # --- reconnecting --------------------------------------------------------------------------
    def _start_reconnecting(self) -> None:
        if self._closing or (self._reconnect_task is not None and not self._reconnect_task.done()):
            return
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Reconnect to watch and to be able to stop; never to replay setpoints."""
        delay, longest = self.settings.reconnect_backoff_s
        attempts = 0
        while not self.treadmill.is_connected:
            attempts += 1
            try:
                await self.treadmill.connect()
            except (BleakError, ControlPointError, TimeoutError, OSError) as e:
                log.info("reconnect attempt %d failed: %s", attempts, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, longest)
        self._emit(Reconnected(at=self._now_session(), attempts=attempts))
        # Control is needed to send the stop; a treadmill that answers "failed" may still obey.
        with contextlib.suppress(ControlPointError):
            await self.treadmill.request_control()

    # --- helpers -------------------------------------------------------------------------------
    def _latched_text(self) -> str:
        assert self.latched is not None
        return f"latched after {self.latched.value.replace('_', ' ')}; acknowledge at the laptop"

    def _arm(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self._cancel(name)
        self._timers[name] = asyncio.get_running_loop().call_later(delay, callback)

    def _arm_once(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        if name not in self._timers:
            self._timers[name] = asyncio.get_running_loop().call_later(
                delay, self._fire, name, callback
            )

    def _fire(self, name: str, callback: Callable[[], None]) -> None:
        self._timers.pop(name, None)
        callback()

    def _cancel(self, *names: str) -> None:
        for name in names:
            timer = self._timers.pop(name, None)
            if timer is not None:
                timer.cancel()

    def _emit(self, event: GuardEvent) -> None:
        self._events.emit(event)

    def _now_session(self) -> float:
        return self._clock() if self._clock is not None else self._loop_time()

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()
