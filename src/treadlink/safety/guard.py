"""`SafetyGuard`: the one holder of the treadmill's control point, for the connection's whole
life. It watches every frame first, latches on every fault and stops the belt until the
treadmill says it has. Implements the safety contract in DESIGN.md; docs/safety.md maps each
promise to the test that would fail without it.

    async with Link(device) as link, SafetyGuard(link, settings) as guard:
        await guard.request_control()
        await guard.start()                    # refused while latched (InterlockError)
        await guard.set_speed(8.5)             # checked against range, step and caps
        guard.trip(FaultKind.STOP_INPUT, "space bar")   # from any front end; never waits
        guard.acknowledge()                    # a Verdict; only the runner, locally
        await guard.wait_belt_stopped()

Stop wins: `trip` and `stop` are synchronous and hand the Stop to the Bluetooth stack before
they return (an eager task, no lock: see ControlPoint.stop). A supervised loop writes Stop again
every `stop_retry_s`, each attempt with its own short timeout, until the belt is stopped; no
exception ends it, and if it ever ends early it is started again.

Stopped means the treadmill said so. Two facts, reported apart: the stop is *accepted* when the
treadmill answers our Stop with success (or reports status 02/03 after it); the belt is
*stopped* only after that, once frames show 0 km/h and no distance gained over a window. A speed
reading alone never confirms anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from treadlink.ble.link import Link
from treadlink.fanout import Fanout
from treadlink.ftms.control import ControlPointError, LinkLost, ProcedureFailed
from treadlink.ftms.layouts import ControlResponse, SetpointError
from treadlink.ftms.protocol import (
    MachineStatusOp,
    OpCode,
    ResultCode,
    StopPause,
    TrainingStatus,
)
from treadlink.ftms.state import (
    Answered,
    CommandFailed,
    Disconnected,
    StatusChanged,
    Telemetry,
    TrainingStatusChanged,
    TreadmillEvent,
    TreadmillState,
)
from treadlink.ftms.treadmill import Treadmill
from treadlink.safety.events import (
    Acknowledged,
    BeltMoving,
    BeltStopped,
    ConsoleOverride,
    ConsoleStop,
    Fault,
    GuardEvent,
    LinkDown,
    Reconnected,
    StopAccepted,
    StopRequested,
    StopUnconfirmed,
)
from treadlink.safety.faults import ACCEPTED, FaultKind, InterlockError, Verdict, refused

log = logging.getLogger(__name__)

_STILL = 0.005  # km/h: below the 0.01 km/h wire resolution


@dataclass(frozen=True, slots=True)
class GuardSettings:
    cap_kmh: float | None = None  # the runner's speed cap; the belt above it is a fault
    cap_incline_pct: float | None = None  # the runner's incline cap; above it is refused
    stale_after_s: float = 3.0  # no Treadmill Data this long while the belt moves: fault
    overspeed_tolerance_kmh: float = 0.5  # belt above target by more than this...
    overspeed_grace_s: float = 2.0  # ...for this long without slowing down: fault
    zero_debounce_s: float = 1.0  # speed 0 while running: a stop only if it lasts this long
    stop_retry_s: float = 0.25  # one Stop write per this, each attempt bounded by it
    confirm_within_s: float = 3.0  # then, and again every so long, the runner is told to act
    own_status_window_s: float = 2.0  # status 02/05 this soon after our own command is ours
    still_window_s: float = 1.0  # belt stopped: 0 km/h and no distance gained for this long...
    still_frames: int = 3  # ...over at least this many frames
    # The belt counts as stopped no sooner than the slowest belt could stop from the last speed
    # it was seen at (see _watch_stopping).
    slowest_deceleration_kmh_s: float = 1.0
    # Idle, with no stop of ours to go by, the belt is at rest only after frames at 0 km/h
    # with the distance unchanged for this long: a belt at 1 km/h (the slowest) whose frames
    # read 0 covers 2 m in 7.2 s, and the distance is reported in whole metres.
    idle_rest_window_s: float = 8.0
    reconnect_backoff_s: tuple[float, float] = (0.5, 5.0)

    def sped_up(self, n: float) -> GuardSettings:
        """For a simulated belt on time sped up `n` times (`run --sim --speedup`): every
        watching period is that much shorter and the slowest deceleration that much faster.
        The Stop cadence is a property of the link, not of the belt: it stays."""
        if n == 1:
            return self

        def shorter(seconds: float, floor: float) -> float:
            # Not below a few frames and link round trips of real time: a sped-up belt does
            # not make the link faster, and a watch shorter than that trips on jitter.
            return max(seconds / n, floor)

        return dataclasses.replace(
            self,
            stale_after_s=shorter(self.stale_after_s, 0.5),
            overspeed_grace_s=shorter(self.overspeed_grace_s, 0.3),
            zero_debounce_s=shorter(self.zero_debounce_s, 0.3),
            confirm_within_s=shorter(self.confirm_within_s, 1.0),
            own_status_window_s=shorter(self.own_status_window_s, 0.5),
            still_window_s=shorter(self.still_window_s, 0.2),
            idle_rest_window_s=shorter(self.idle_rest_window_s, 1.0),
            slowest_deceleration_kmh_s=self.slowest_deceleration_kmh_s * n,
        )


DEFAULT_SETTINGS = GuardSettings()


@dataclass(slots=True)
class _StillWindow:
    """Frames in a row showing the belt at rest: since when, from which distance, how many."""

    since: float
    distance_m: int | None
    frames: int = 1

    def after(self, now: float, distance_m: int | None) -> _StillWindow:
        """The idle window once a frame at 0 km/h came at `now`: the same, or a new one when the
        distance moved on (a belt crawling under frames that read 0 km/h). It is judged by time
        and distance only; the stop's window counts its frames itself."""
        return self if distance_m == self.distance_m else _StillWindow(now, distance_m)


class SafetyGuard:
    def __init__(self, link: Link, *, settings: GuardSettings = DEFAULT_SETTINGS) -> None:
        self.link = link
        self.treadmill: Treadmill = link.treadmill  # read-only for everyone else
        self.settings = settings
        self._commands = link.treadmill.take_control(self._on_treadmill)
        self._events: Fanout[GuardEvent] = Fanout()
        # The latch and the two facts of a stop.
        self.latched: FaultKind | None = None
        self._fault_shown: FaultKind | None = None
        self.stopping = False  # a stop was asked for and the belt is not seen stopped yet
        self.stop_accepted = False
        self.belt_stopped = False
        self.safety_key_out = False
        self._stop_asked_at = 0.0
        self._stop_writes = 0  # Stop attempts since the stop was asked for
        self._belt_stopped_event = asyncio.Event()
        self._still: _StillWindow | None = None
        # What we asked the belt to do.
        self._running = False  # a Start went out and no stop or pause since
        self._plans_held = 0  # sessions running a plan over this guard (see hold_plan)
        self._belt_should_move = False  # ...and the belt has been seen moving since
        self._target_kmh: float | None = None
        self._own_targets: deque[tuple[float, float]] = deque(maxlen=8)  # (loop time, km/h)
        self._own_stop_at = -math.inf  # when we last sent Stop or Pause
        self._ease_in = False  # after an acknowledgement, until the first speed goes out
        self._last_speed: float | None = None
        self._rest: _StillWindow | None = None  # frames at rest, whoever drives: see idle_at_rest
        self._last_frame_at = -math.inf
        self._last_moving_kmh = 0.0  # the last speed read above 0 km/h
        self._said: set[str] = set()
        # Tasks and timers.
        self._stop_task: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._closing = False

    # --- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """The connection is ending: stop watching. Callers wait for the belt first (see
        `wait_belt_stopped`); nothing here gives up on a stop that is still needed."""
        self._closing = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        tasks = [t for t in (self._stop_task, self._reconnect_task) if t and not t.done()]
        for task in tasks:
            task.cancel()  # all before any wait: the caller's own cancel may end the wait
        if tasks:
            # Waited for, not awaited: how they ended (an error a transport made of the
            # cancel) is no news now, and the caller's own cancellation still gets through.
            await asyncio.wait(tasks)

    def subscribe(self, listener: Callable[[GuardEvent], None]) -> Callable[[], None]:
        return self._events.subscribe(listener)

    def hold_plan(self) -> Callable[[], None]:
        """A session runs a plan over this guard until the returned call: treadlink drives the
        belt, even paused, so a console stop or a link drop is a fault. Without one (`serve`
        idle) they are the treadmill's own business: see `driving` and `idle_at_rest`."""
        self._plans_held += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._plans_held -= 1

        return release

    @property
    def driving(self) -> bool:
        """treadlink drives the belt: a session holds its plan here, or our own Start is in
        force (no stop or pause since)."""
        return self._plans_held > 0 or self._running

    @property
    def idle_at_rest(self) -> bool:
        """Nothing of ours on the treadmill: not driving, nothing latched, no stop under way,
        and the belt seen at rest lately, over a window of frames (never seen is not at rest).
        A link drop now is the treadmill going to sleep or out of range, not a fault, and the
        guard does not reconnect: there is nothing to stop, and the connection's owner
        (`serve`) looks for the treadmill again."""
        rest, s = self._rest, self.settings
        now = self._loop_time()
        # At rest as the stop confirmation sees it (frames, a window, the distance unchanged),
        # and lately: a console start with the telemetry silent leaves no frame to judge by.
        return (
            not self.driving
            and self.latched is None
            and not self.stopping
            and rest is not None
            and now - rest.since >= s.idle_rest_window_s
            and now - self._last_frame_at <= s.stale_after_s
        )

    @property
    def link_up(self) -> bool:
        return self.treadmill.is_connected

    @property
    def state(self) -> TreadmillState:
        return self.treadmill.state

    # --- entry points: synchronous, never wait -----------------------------------------------
    def trip(self, kind: FaultKind, detail: str) -> None:
        """A fault: latch, and stop the belt now."""
        first = self.latched is None
        if first:
            self.latched = kind
        restart = first or not self.stopping
        if restart:
            self.stop(detail)  # before the Fault event: stopping never waits for a listener
        if restart or kind != self._fault_shown:
            self._fault_shown = kind
            self._emit(Fault(at=self._now(), message=detail, fault=kind.value, latched=True))

    def stop(self, reason: str) -> None:
        """Stop the belt now and keep at it until it is stopped. Not a fault by itself: the end
        of a plan stops the belt this way without latching."""
        self._running = self._belt_should_move = False
        self._cancel("stale", "zero", "overspeed")
        if not self.stopping:
            self.stopping = True
            self.stop_accepted = self.belt_stopped = False
            self._belt_stopped_event.clear()
            self._still = None
            self._stop_writes = 0
            self._stop_asked_at = self._loop_time()
            self._arm("unconfirmed", self.settings.confirm_within_s, self._warn_unconfirmed)
        self._ensure_stop_loop()
        self._emit(StopRequested(at=self._now(), reason=reason))

    def acknowledge(self) -> Verdict:
        """The runner, at the laptop, acknowledges the fault. Wire this to local inputs only."""
        if self.latched is None:
            return refused("no fault to acknowledge")
        reason = self._why_not_acknowledge()
        if reason is not None:
            return refused(reason)
        fault, self.latched, self._fault_shown = self.latched, None, None
        self._ease_in = True
        self._emit(Acknowledged(at=self._now(), fault=fault.value))
        return ACCEPTED

    def _why_not_acknowledge(self) -> str | None:
        if not self.link_up:
            return "the treadmill is not connected, so it cannot be watched"
        if self.safety_key_out:
            return "the safety key is out: put it back first"
        if not self.stop_accepted:
            return "the treadmill has not accepted the stop: use its stop button or safety key"
        if not self.belt_stopped:
            return "the belt has not been seen standing still yet"
        return None

    async def wait_belt_stopped(self, timeout: float | None = None) -> bool:
        """True once the belt is stopped after the stop asked for (or none was asked for)."""
        if not self.stopping:
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._belt_stopped_event.wait()
        except TimeoutError:
            return False
        return True

    # --- guarded commands: the only way to the control point ----------------------------------
    async def request_control(self) -> ControlResponse:
        return await self._commands.request_control()

    async def start(self) -> ControlResponse:
        if self.latched is not None:
            raise InterlockError(f"start refused: {self._latched_text()}")
        if self.stopping:
            raise InterlockError("start refused: the belt is being stopped")
        if self.safety_key_out:
            raise InterlockError("start refused: the safety key is out")
        self._running = True
        self.belt_stopped = False  # our own start: the last stop is over, not undone
        self._belt_stopped_event.clear()
        return await self._commands.start()

    def refusal(
        self, *, speed_kmh: float | None = None, incline_pct: float | None = None
    ) -> str | None:
        """Why a speed or incline would be refused now, or None: checked before anything is
        written, by the guarded commands themselves and by front ends that answer at once."""
        try:
            if speed_kmh is not None:
                self.treadmill.speed_units(speed_kmh)  # range and step first
            if incline_pct is not None:
                self.treadmill.incline_units(incline_pct)
        except SetpointError as e:
            return str(e)
        cap, cap_incline = self.settings.cap_kmh, self.settings.cap_incline_pct
        if speed_kmh is not None and cap is not None and speed_kmh > cap + _STILL:
            return f"speed {speed_kmh:g} km/h is above the runner's cap {cap:g} km/h"
        if incline_pct is not None and cap_incline is not None and incline_pct > cap_incline:
            return f"incline {incline_pct:g} % is above the runner's cap {cap_incline:g} %"
        if self.latched is not None:
            # Stricter than "no increase": the belt is being stopped, nothing else goes out.
            return self._latched_text()
        if self.stopping:
            return "the belt is being stopped"
        if speed_kmh is not None and self._ease_in:
            belt = self.state.speed_kmh or 0.0
            if speed_kmh > belt + _STILL:
                return f"the first speed after a fault must not exceed the belt's {belt:g} km/h"
        return None

    @property
    def target_kmh(self) -> float | None:
        """The speed last asked of the belt, by us or on its console."""
        return self._target_kmh

    async def set_speed(self, kmh: float) -> ControlResponse:
        reason = self.refusal(speed_kmh=kmh)
        if reason is not None:
            raise InterlockError(f"speed {kmh:g} km/h refused: {reason}")
        self._ease_in = False
        self._target_kmh = kmh
        self._own_targets.append((self._loop_time(), kmh))
        return await self._commands.set_speed(kmh)

    async def set_incline(self, pct: float) -> ControlResponse:
        reason = self.refusal(incline_pct=pct)
        if reason is not None:
            raise InterlockError(f"incline {pct:g} % refused: {reason}")
        return await self._commands.set_incline(pct)

    async def pause(self) -> None:
        """Pause the belt; while a stop is under way the stop loop is in charge instead."""
        if self.stopping or self.latched is not None:
            return
        self._running = self._belt_should_move = False
        self._own_stop_at = self._loop_time()
        self._cancel("stale", "zero", "overspeed")
        try:
            await self._commands.pause()
        except ControlPointError as e:
            # The belt may still run: a pause that did not happen is a stop that must.
            self.trip(FaultKind.COMMAND_FAILED, f"control point: {e}")
            raise

    # --- watching: every treadmill event, before anyone else ----------------------------------
    def _on_treadmill(self, event: TreadmillEvent) -> None:
        if self._closing:
            return  # the connection is ending: nothing more to watch or to stop
        match event:
            case Telemetry(state=state):
                self._on_frame(state)
            case StatusChanged(status=status):
                self._on_status(status.op, status.value)
            case TrainingStatusChanged(status=status):
                if self.safety_key_out and status != TrainingStatus.POST_WORKOUT:
                    self.safety_key_out = False  # the console is back from the key stop
            case Answered(response=response):
                stopped = response.request == OpCode.STOP_OR_PAUSE
                if stopped and response.result == ResultCode.SUCCESS and self._stop_writes:
                    self._accept("indication")
            case CommandFailed(op=op, error=error) if op not in _NOT_FAULTS:
                self.trip(FaultKind.COMMAND_FAILED, f"control point: {error}")
            case Disconnected(solicited=False):
                asleep = self.idle_at_rest  # judged before any listener hears of the drop
                self._emit(LinkDown(at=self._now()))
                if asleep:
                    return  # nothing to stop: whoever owns the connection looks for it again
                self.trip(FaultKind.LINK_DROPPED, "the treadmill's link dropped")
                self._start_reconnecting()

    def _on_frame(self, state: TreadmillState) -> None:
        speed = state.speed_kmh
        if speed is None:
            return
        self._last_speed = speed
        now = self._last_frame_at = self._loop_time()
        if speed > _STILL:
            self._last_moving_kmh = speed
            self._rest = None
        elif self._rest is None:
            self._rest = _StillWindow(now, state.distance_m)
        else:
            self._rest = self._rest.after(now, state.distance_m)
        cap = self.settings.cap_kmh
        if cap is not None and speed > cap + _STILL:  # every frame, whoever moves the belt
            self.trip(
                FaultKind.ABOVE_CAP, f"belt at {speed:g} km/h, above the runner's cap {cap:g}"
            )
        if self.stopping:
            self._watch_stopping(speed, state.distance_m)
        elif self.belt_stopped and speed > _STILL:
            self.belt_stopped = False  # moved again (the console): no longer at rest
            self._belt_stopped_event.clear()
            self._emit(BeltMoving(at=self._now(), speed_kmh=speed))
        if speed > _STILL or self._running:
            self._arm("stale", self.settings.stale_after_s, self._on_stale)
        else:
            self._cancel("stale")
        if self.stopping:
            return
        if speed > _STILL and self._running and self.latched is None:
            self._belt_should_move = True
        if self._belt_should_move:
            # A lone 0 km/h frame is a known firmware glitch; a sustained one means it stopped.
            if speed <= _STILL:
                self._arm_once("zero", self.settings.zero_debounce_s, self._on_sustained_zero)
            else:
                self._cancel("zero")
        target = self._target_kmh
        if target is not None and speed > target + self.settings.overspeed_tolerance_kmh:
            if "overspeed" not in self._timers:
                self._watch_overspeed(speed)
        else:
            self._cancel("overspeed")

    def _watch_stopping(self, speed: float, distance_m: int | None) -> None:
        """Count frames at rest after the stop was accepted; the belt is stopped after a window."""
        now = self._loop_time()
        still = self._still
        at_rest = speed <= _STILL and (
            still is None or distance_m is None or distance_m == still.distance_m
        )
        if not (self.stop_accepted and at_rest):
            self._still = (
                _StillWindow(now, distance_m) if self.stop_accepted and speed <= _STILL else None
            )
            return
        if still is None:
            self._still = _StillWindow(now, distance_m)
            return
        still.frames += 1
        # Frames may read 0 km/h while the belt runs (a firmware glitch), and 1 m of distance
        # resolution cannot see a crawling belt: the window lasts at least as long as the
        # slowest belt takes to stop from the last speed it was seen at, the distance
        # unchanged all along when it is reported.
        window = max(
            self.settings.still_window_s,
            self._last_moving_kmh / self.settings.slowest_deceleration_kmh_s,
        )
        if still.frames >= self.settings.still_frames and now - still.since >= window:
            self._belt_is_stopped(still.frames, now - still.since)

    def _on_status(self, op: MachineStatusOp | int, value: float | int | None) -> None:
        ours = self._loop_time() - self._own_stop_at <= self.settings.own_status_window_s
        if op == MachineStatusOp.STOPPED_BY_SAFETY_KEY:
            self.safety_key_out = True
            self.trip(FaultKind.SAFETY_KEY, "the safety key was pulled")
            self._accept("status safety key")
        elif op == MachineStatusOp.CONTROL_PERMISSION_LOST:
            self.trip(FaultKind.CONTROL_LOST, "another device took control of the treadmill")
        elif op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER:
            if not self.stopping and not ours:
                if self.driving:
                    self.trip(
                        FaultKind.CONSOLE_STOP, "stopped or paused on the treadmill's console"
                    )
                else:
                    # Someone on the console stopped a belt treadlink does not drive: theirs.
                    self._emit(ConsoleStop(at=self._now(), paused=value == StopPause.PAUSE))
            if self.stopping:
                self._accept("status stopped by user")
        elif op == MachineStatusOp.STARTED_OR_RESUMED_BY_USER:
            self._rest = None  # the console started the belt: at rest again only once seen so
        elif op == MachineStatusOp.RESET:
            self.safety_key_out = False
        elif op == MachineStatusOp.TARGET_SPEED_CHANGED and isinstance(value, float | int):
            if self._echoes_own_speed(float(value)):
                return
            # The runner pressed a speed key: the belt follows the console, the plan waits.
            self._target_kmh = float(value)
            self._emit(ConsoleOverride(at=self._now(), speed_kmh=float(value)))

    def _echoes_own_speed(self, kmh: float) -> bool:
        """A target-speed status for one of our own recent commands (they may come in late).
        Each command is echoed once: a second status with the same value is the console's."""
        recent = self._loop_time() - self.settings.own_status_window_s
        for entry in self._own_targets:
            at, sent = entry
            if at >= recent and abs(kmh - sent) <= _STILL:
                self._own_targets.remove(entry)
                return True
        return False

    def _on_stale(self) -> None:
        s = self.settings.stale_after_s
        self.trip(FaultKind.STALE_TELEMETRY, f"no treadmill data for {s:g} s while the belt moves")

    def _on_sustained_zero(self) -> None:
        self.trip(FaultKind.BELT_STOPPED, "the belt reported 0 km/h without being asked to stop")

    def _watch_overspeed(self, reference: float) -> None:
        # A belt slowing towards a lower target is not a runaway: judged at the end of the grace.
        self._arm_once(
            "overspeed", self.settings.overspeed_grace_s, lambda: self._on_overspeed(reference)
        )

    def _on_overspeed(self, reference: float) -> None:
        speed = self._last_speed or 0.0
        if speed < reference - _STILL:
            self._watch_overspeed(speed)
            return
        self.trip(
            FaultKind.OVERSPEED,
            f"belt at {speed:g} km/h, faster than its target {self._target_kmh} km/h",
        )

    # --- stopping ----------------------------------------------------------------------------
    def _ensure_stop_loop(self) -> None:
        if self._closing or (self._stop_task is not None and not self._stop_task.done()):
            return
        # Eager: the task runs until its first real wait inside this call, so the Stop is
        # handed to the Bluetooth stack before any listener (display, disk) hears of it.
        loop = asyncio.get_running_loop()
        self._stop_task = asyncio.eager_task_factory(loop, self._stop_loop())
        self._stop_task.add_done_callback(self._stop_loop_ended)

    async def _stop_loop(self) -> None:
        """Write Stop every `stop_retry_s` until the belt is stopped, whatever goes wrong."""
        period = self.settings.stop_retry_s
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        # `_closing` too: a transport may turn close()'s cancel into another exception, which
        # an attempt logs and goes on from.
        while self.stopping and not self._closing:
            self._stop_writes += 1
            self._own_stop_at = loop.time()  # its status 02 echoes are ours, not the console's
            try:
                await self._commands.stop(timeout=period)
                self._accept("indication")
            except ProcedureFailed as e:
                self._say_once("refused", f"stop refused: {e}")
                if e.response.result == ResultCode.CONTROL_NOT_PERMITTED:
                    # Control was lost (another app, a reset): ask for it back before the next.
                    with contextlib.suppress(ControlPointError, TimeoutError):
                        async with asyncio.timeout(period):
                            await self._commands.request_control()
            except LinkLost:
                pass  # nothing to write on until the reconnect task brings the link back
            except ControlPointError as e:
                self._say_once(type(e).__name__, f"stop not answered: {e}")
            except Exception:
                log.exception("stop attempt %d failed", self._stop_writes)
            next_at += period
            now = loop.time()
            if next_at < now - period:  # fell behind (a stalled loop): no burst of writes
                next_at = now
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(next_at):
                    await self._belt_stopped_event.wait()

    def _stop_loop_ended(self, task: asyncio.Task[None]) -> None:
        # A loop that ended as it should may have been followed, before this callback, by a
        # new stop and its own new loop: only the current loop's end is news.
        why = "cancelled" if task.cancelled() else repr(task.exception())  # retrieved, always
        if self._closing or not self.stopping or task is not self._stop_task:
            return
        # Cancelled from outside, or a BaseException got through: never leave a stop undone.
        log.error("the stop loop ended (%s) before the belt stopped: restarting it", why)
        self._emit(Fault(at=self._now(), message=f"stop loop restarted after it ended ({why})"))
        self._ensure_stop_loop()

    def _accept(self, how: str) -> None:
        if not self.stopping or self.stop_accepted:
            return
        self.stop_accepted = True
        # Accepted: the belt now needs the time to slow down. The runner is told only if it
        # has not been seen at rest once that time, the window and the usual grace are over.
        braking = self._last_moving_kmh / self.settings.slowest_deceleration_kmh_s
        delay = braking + self.settings.still_window_s + self.settings.confirm_within_s
        self._arm("unconfirmed", delay, self._warn_unconfirmed)
        self._emit(StopAccepted(at=self._now(), how=how))

    def _belt_is_stopped(self, frames: int, window_s: float) -> None:
        self.stopping = False
        self.belt_stopped = True
        self._last_moving_kmh = 0.0  # seen at rest: the next stop starts from here
        self._still = None
        self._belt_stopped_event.set()
        self._cancel("unconfirmed", "stale")
        self._emit(BeltStopped(at=self._now(), frames=frames, window_s=window_s))

    def _warn_unconfirmed(self) -> None:
        if self.stopping:
            waited = self._loop_time() - self._stop_asked_at
            self._emit(
                StopUnconfirmed(at=self._now(), waited_s=waited, accepted=self.stop_accepted)
            )
            self._arm("unconfirmed", self.settings.confirm_within_s, self._warn_unconfirmed)

    def _say_once(self, what: str, message: str) -> None:
        """Log a kind of stop problem loudly once; StopUnconfirmed goes on telling the runner."""
        level = logging.DEBUG if what in self._said else logging.WARNING
        self._said.add(what)
        log.log(level, message)

    # --- reconnecting --------------------------------------------------------------------------
    def _start_reconnecting(self) -> None:
        if self._closing or (self._reconnect_task is not None and not self._reconnect_task.done()):
            return
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())
        self._reconnect_task.add_done_callback(self._reconnect_ended)

    def _reconnect_ended(self, task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()  # retrieved, always
        if self._closing or (not task.cancelled() and error is None):
            return  # the link is back (or the guard is closing)
        # Cancelled from outside, or a BaseException got through (a link layer once let a
        # CancelledError out of a refused connect): without a link no Stop can be written.
        why = "cancelled" if task.cancelled() else repr(error)
        log.error("reconnecting ended (%s) before the link was back: restarting it", why)
        self._emit(Fault(at=self._now(), message=f"reconnecting restarted after it ended ({why})"))
        self._start_reconnecting()

    async def _reconnect(self) -> None:
        """Reconnect to watch and to be able to stop; never to replay setpoints. Goes on for
        as long as the guard is open: only the runner quitting ends it. A drop while control
        is being asked for again is noticed here, not lost (this task is still running then)."""
        delay, longest = self.settings.reconnect_backoff_s
        attempts = 0
        while not self._closing:  # checked between attempts too: see `_stop_loop`
            if not self.link.is_connected:
                attempts += 1
                try:
                    await self.link.connect()
                except Exception as e:
                    if self._closing:
                        return  # close()'s cancel, come back as another exception
                    log.info("reconnect attempt %d failed: %s", attempts, e)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, longest)
                continue
            self._emit(Reconnected(at=self._now(), attempts=attempts))
            # Control is needed to send the stop; a treadmill that answers "failed" may
            # still obey.
            with contextlib.suppress(ControlPointError):
                await self._commands.request_control()
            if self.link.is_connected:
                return

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

    def _now(self) -> float:
        return self._loop_time()

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()


# A refused Request Control is the asker's to judge (some treadmills answer "failed" and obey;
# without control every later command fails and trips the guard then).
_NOT_FAULTS = frozenset({OpCode.REQUEST_CONTROL})
