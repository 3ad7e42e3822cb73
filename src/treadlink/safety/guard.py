"""`SafetyGuard`: the one holder of the treadmill's control point, for the connection's whole
life. It watches every frame first, latches on every fault and stops the belt until the
treadmill says it has. docs/safety.md states the contract and maps each promise to the test
that would fail without it.

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
treadmill gives its own word after our Stop (FTMS: a success answer, or status 02/03; FitShow:
a stopping, stopped or idle state); the belt is *stopped* only after that, once frames show
0 km/h and no distance gained over a window. A speed reading alone never confirms anything.
The guard speaks no protocol: it sees the treadmill through treadlink.treadmill's interface.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import Self

from treadlink.ble.link import Link
from treadlink.fanout import Fanout
from treadlink.safety.events import (
    Acknowledged,
    ConsoleOverride,
    ConsoleStop,
    Fault,
    GuardEvent,
    LinkDown,
    StopRequested,
)
from treadlink.safety.faults import ACCEPTED, FaultKind, InterlockError, Verdict, refused
from treadlink.safety.gate import NOT_REPORTED, CommandGate
from treadlink.safety.reconnect import Reconnecting
from treadlink.safety.settings import DEFAULT_SETTINGS, STILL_KMH, GuardSettings
from treadlink.safety.stopping import StopPhase, Stopping
from treadlink.safety.timers import Timers
from treadlink.safety.watch import FrameWatch
from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.errors import Command, CommandError
from treadlink.treadmill.state import (
    CommandFailed,
    Connected,
    ControlLost,
    Disconnected,
    SafetyKeyBack,
    SafetyKeyPulled,
    StartedOnConsole,
    StoppedOnConsole,
    StopTaken,
    TargetSpeedChanged,
    Telemetry,
    TreadmillEvent,
    TreadmillState,
)

__all__ = ["DEFAULT_SETTINGS", "GuardSettings", "SafetyGuard", "StopPhase"]


class SafetyGuard:
    """The owner of the connection's control point. Its parts each do one job: the command
    gate (what may be asked now), the frame watch (caps and watchdogs on every frame), the stop
    (its phase and the supervised Stop loop) and reconnecting. The guard holds the latch, hears
    every treadmill event first and hands each to the part it concerns."""

    def __init__(self, link: Link, *, settings: GuardSettings = DEFAULT_SETTINGS) -> None:
        self.link = link
        self.treadmill: Treadmill = link.treadmill  # read-only for everyone else
        self.settings = settings
        self._commands = link.treadmill.take_control(self._on_treadmill)
        self._events: Fanout[GuardEvent] = Fanout()
        self.latched: FaultKind | None = None
        self._fault_shown: FaultKind | None = None
        self.safety_key_out = False
        self._running = False  # a Start went out and no stop or pause since
        self._plans_held = 0  # sessions running a plan over this guard (see hold_plan)
        self._closing = False
        self._timers = Timers()
        self._stop = Stopping(self._commands, settings, self._timers, self._emit)
        self._watch = FrameWatch(self, settings, self._timers, self.trip)
        self._gate = CommandGate(self, self.treadmill, settings)
        self._reconnecting = Reconnecting(link, self._commands, settings, self._emit)

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
        self._timers.cancel_all()
        # Every task cancelled before any wait: the caller's own cancel may end the wait.
        tasks = [t for t in (self._stop.close(), self._reconnecting.close()) if t is not None]
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

    # --- what everyone may read -------------------------------------------------------------
    @property
    def driving(self) -> bool:
        """treadlink drives the belt: a session holds its plan here, or our own Start is in
        force (no stop or pause since)."""
        return self._plans_held > 0 or self._running

    @property
    def running(self) -> bool:
        """Our own Start is in force: no stop or pause since."""
        return self._running

    @property
    def idle_at_rest(self) -> bool:
        """Nothing of ours on the treadmill: not driving, nothing latched, no stop under way,
        and the belt seen at rest lately, over a window of frames (never seen is not at rest).
        A link drop now is the treadmill going to sleep or out of range, not a fault, and the
        guard does not reconnect: there is nothing to stop, and the connection's owner
        (`serve`) looks for the treadmill again."""
        return (
            not self.driving
            and self.latched is None
            and not self.stopping
            and self._watch.at_rest_lately()
        )

    @property
    def stop_phase(self) -> StopPhase:
        return self._stop.phase

    @property
    def stopping(self) -> bool:
        """A stop was asked for and the belt is not seen stopped yet."""
        return self._stop.stopping

    @property
    def stop_accepted(self) -> bool:
        return self._stop.accepted

    @property
    def belt_stopped(self) -> bool:
        return self._stop.belt_stopped

    @property
    def speed_doubt(self) -> str | None:
        """Why the speed the treadmill reports is not to be shown as the belt's (its frames
        stopped coming, or contradict themselves), or None."""
        return self._watch.speed_doubt

    @property
    def belt_reported(self) -> bool:
        """A frame on this link has shown the belt's state: until then only Stop goes out."""
        return self._watch.frames_seen > 0

    async def wait_belt_reported(self, timeout: float | None = None) -> bool:
        """True once a frame on this link has shown the belt's state (at most `timeout`; by
        default as long as telemetry may be late before it is a fault)."""
        if timeout is None:
            timeout = self.settings.stale_after_s
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._watch.first_frame.wait()
        return self.belt_reported

    @property
    def link_up(self) -> bool:
        return self.treadmill.is_connected

    @property
    def state(self) -> TreadmillState:
        return self.treadmill.state

    @property
    def target_kmh(self) -> float | None:
        """The speed last asked of the belt, by us or on its console."""
        return self._gate.target_kmh

    def latched_text(self) -> str | None:
        if self.latched is None:
            return None
        return f"latched after {self.latched.value.replace('_', ' ')}; acknowledge at the laptop"

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
            self._emit(Fault(at=_now(), message=detail, fault=kind.value, latched=True))

    def stop(self, reason: str) -> None:
        """Stop the belt now and keep at it until it is stopped. Not a fault by itself: the end
        of a plan stops the belt this way without latching."""
        self._running = False
        self._watch.stand_down()
        self._stop.ask()
        self._emit(StopRequested(at=_now(), reason=reason))

    def acknowledge(self) -> Verdict:
        """The runner, at the laptop, acknowledges the fault. Wire this to local inputs only."""
        if self.latched is None:
            return refused("no fault to acknowledge")
        reason = self._why_not_acknowledge()
        if reason is not None:
            return refused(reason)
        fault, self.latched, self._fault_shown = self.latched, None, None
        self._gate.ease_in()
        self._emit(Acknowledged(at=_now(), fault=fault.value))
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
        return await self._stop.wait_belt_stopped(timeout)

    # --- guarded commands: the only way to the control point ----------------------------------
    async def request_control(self) -> None:
        await self._commands.request_control()

    async def start(self) -> None:
        latched = self.latched_text()
        if latched is not None:
            raise InterlockError(f"start refused: {latched}")
        if self.stopping:
            raise InterlockError("start refused: the belt is being stopped")
        if self.safety_key_out:
            raise InterlockError("start refused: the safety key is out")
        if not await self.wait_belt_reported():
            raise InterlockError(f"start refused: {NOT_REPORTED}")
        self._running = True
        self._stop.started()
        self._watch.driving_begins()
        await self._commands.start()

    @property
    def easing_in(self) -> bool:
        """After an acknowledged fault, until the session has brought the belt back."""
        return self._gate.easing_in

    def eased_in(self) -> None:
        """The session has brought the belt back to its target: speeds are free again."""
        self._gate.eased_in()

    async def take_over(self) -> None:
        """Drive a belt that runs already (started on the console or by another app) from here
        on, without a Start: some treadmills take a Start to a running belt as a pause. The
        same checks as `start`."""
        latched = self.latched_text()
        if latched is not None:
            raise InterlockError(f"take over refused: {latched}")
        if self.stopping:
            raise InterlockError("take over refused: the belt is being stopped")
        if not await self.wait_belt_reported():
            raise InterlockError(f"take over refused: {NOT_REPORTED}")
        self._running = True
        self._stop.started()
        self._watch.driving_begins()

    def refusal(
        self, *, speed_kmh: float | None = None, incline_pct: float | None = None
    ) -> str | None:
        """Why a speed or incline would be refused now, or None: checked before anything is
        written, by the guarded commands themselves and by front ends that answer at once."""
        return self._gate.refusal(speed_kmh=speed_kmh, incline_pct=incline_pct)

    def out_of_bounds(
        self, *, speed_kmh: float | None = None, incline_pct: float | None = None
    ) -> str | None:
        """Why a speed or incline is beyond the treadmill's range and step or the runner's caps,
        whatever the belt does now, or None."""
        return self._gate.out_of_bounds(speed_kmh=speed_kmh, incline_pct=incline_pct)

    async def set_speed(self, kmh: float) -> None:
        await self.wait_belt_reported()  # refused below if none came
        reason = self.refusal(speed_kmh=kmh)
        if reason is not None:
            raise InterlockError(f"speed {kmh:g} km/h refused: {reason}")
        self._gate.speed_sent(kmh)
        await self._commands.set_speed(kmh)

    async def set_incline(self, pct: float) -> None:
        await self.wait_belt_reported()  # refused below if none came
        reason = self.refusal(incline_pct=pct)
        if reason is not None:
            raise InterlockError(f"incline {pct:g} % refused: {reason}")
        await self._commands.set_incline(pct)

    async def pause(self) -> None:
        """Pause the belt; while a stop is under way the stop loop is in charge instead."""
        if self.stopping or self.latched is not None:
            return
        self._running = False
        self._stop.own_stop_at = _now()
        self._watch.stand_down()
        try:
            await self._commands.pause()
        except CommandError as e:
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
            case Connected():
                self._watch.connected()
            case StopTaken(how=how) if self._stop.writes:
                self._stop.accept(how)  # a late answer counts too, once we wrote a Stop
            case SafetyKeyPulled():
                self.safety_key_out = True
                self.trip(FaultKind.SAFETY_KEY, "the safety key was pulled")
                self._stop.accept("status safety key")
            case SafetyKeyBack():
                self.safety_key_out = False  # the console is back from the key stop
            case ControlLost():
                self.trip(FaultKind.CONTROL_LOST, "another device took control of the treadmill")
            case StoppedOnConsole(paused=paused):
                self._on_console_stop(paused)
            case StartedOnConsole():
                self._watch.console_started()
            case TargetSpeedChanged(speed_kmh=kmh):
                if not self._gate.echoes_own_speed(kmh):
                    # The runner pressed a speed key: the belt follows the console, the plan
                    # waits.
                    self._gate.target_kmh = kmh
                    self._emit(ConsoleOverride(at=_now(), speed_kmh=kmh))
            case CommandFailed(command=command, error=error) if command not in _NOT_FAULTS:
                self.trip(FaultKind.COMMAND_FAILED, f"command failed: {error}")
            case Disconnected(solicited=False):
                asleep = self.idle_at_rest  # judged before any listener hears of the drop
                self._emit(LinkDown(at=_now()))
                if asleep:
                    return  # nothing to stop: whoever owns the connection looks for it again
                self.trip(FaultKind.LINK_DROPPED, "the treadmill's link dropped")
                self._reconnecting.start()

    def _on_frame(self, state: TreadmillState) -> None:
        speed = state.speed_kmh
        if speed is None:
            return
        self._watch.on_frame(state)  # the caps first: whoever moves the belt
        self._stop.on_frame(speed, state.distance_m, doubted=self.speed_doubt is not None)
        if self.latched is not None and not self.stopping and speed > STILL_KMH:
            # Held means held: the belt stopped after the fault moves again (the console).
            self.trip(
                FaultKind.MOVED_WHILE_LATCHED,
                f"the belt moved ({speed:g} km/h), started on the console while treadlink holds "
                "it stopped after the fault: acknowledge first (a), or quit treadlink to use the "
                "console alone",
            )
        self._watch.rearm(speed)

    def _on_console_stop(self, paused: bool) -> None:
        ours = _now() - self._stop.own_stop_at <= self.settings.own_status_window_s
        if not self.stopping and not ours:
            if self.driving:
                self.trip(FaultKind.CONSOLE_STOP, "stopped or paused on the treadmill's console")
            else:
                # Someone on the console stopped a belt treadlink does not drive: theirs.
                self._emit(ConsoleStop(at=_now(), paused=paused))
        if self.stopping:
            self._stop.accept("status stopped by user")

    def _emit(self, event: GuardEvent) -> None:
        self._events.emit(event)


def _now() -> float:
    return asyncio.get_running_loop().time()


# A refused Request Control is the asker's to judge (some treadmills answer "failed" and obey;
# without control every later command fails and trips the guard then).
_NOT_FAULTS = frozenset({Command.REQUEST_CONTROL})
