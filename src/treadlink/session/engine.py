"""`Session`: takes a runner through a compiled stage, through the safety guard.

    async with Link(device) as link, SafetyGuard(link, settings=...) as guard:
        session = Session(guard, timeline)
        session.subscribe(print)            # the guard's events first, then the session's
        finished = await session.run()      # returns once the belt is stopped (or the runner
                                            # quit while it could not be confirmed)

Timing: every boundary is an absolute deadline on the event loop's clock, computed from where the
segment was *scheduled* to start rather than from when the previous command happened to finish,
so lag never accumulates however long the session. A distance-ended segment ends when the
treadmill reports the distance, and the next segment is scheduled from that moment. A pause
holds the plan clock: the deadline moves by the time spent paused.

Safety: the session sends everything through the guard (treadlink.safety.guard), which holds the
control point for the whole connection and refuses what is unsafe. On a latched fault the plan
pauses (or, with `on_fault="end"`, ends); the runner acknowledges at the laptop and then
resumes, and the belt eases in from its own reported speed.

Front ends (keys, screen, MQTT) call the commands below; each answers at once with a Verdict and
nothing refused is queued. docs/frontends.md lists which front end may call which.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
from collections.abc import Callable
from typing import Literal

from treadlink.events import Event
from treadlink.fanout import Fanout
from treadlink.plans.timeline import Step, Timeline
from treadlink.safety.events import GuardEvent
from treadlink.safety.faults import ACCEPTED, FaultKind, Verdict, refused
from treadlink.safety.guard import SafetyGuard
from treadlink.session.account import SessionAccount
from treadlink.session.belt import BeltWatch, EaseIn, SessionAborted
from treadlink.session.events import (
    BeltStarted,
    ConsoleOverride,
    ControlRequested,
    EaseInTarget,
    Fault,
    Finished,
    Paused,
    PlanAdapted,
    Refused,
    Resumed,
    SegmentStarted,
    SessionStarted,
    Skipped,
    TelemetryUpdate,
)
from treadlink.session.targets import SegmentTargets, unsupported
from treadlink.treadmill.errors import CommandError, CommandRefused, Refusal
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink.treadmill.units import SetpointError

Listener = Callable[[Event], None]
AtEnd = Literal["stop", "pause"]
OnFault = Literal["pause", "end"]

__all__ = ["AtEnd", "OnFault", "Session", "SessionAborted"]
_TICK = 1e-6  # s: the loop's clock resolution; a deadline this close has come (its timer fired)


class Session:
    def __init__(
        self,
        guard: SafetyGuard,
        timeline: Timeline,
        *,
        speedup: float = 1.0,
        at_end: AtEnd = "stop",
        on_fault: OnFault = "end",
        belt_start_timeout: float = 15.0,
        plan: str | None = None,
    ) -> None:
        """`on_fault="pause"` holds the plan for the runner to acknowledge and resume: use it
        when someone can press a key at the laptop; "end" ends the session instead."""
        if not (math.isfinite(speedup) and speedup > 0):
            raise ValueError(f"speedup must be a positive number, got {speedup}")
        self.guard = guard
        self.treadmill = guard.treadmill
        self.timeline = timeline
        self.plan = plan
        self.speedup = speedup
        self.at_end = at_end
        self.on_fault = on_fault
        self.belt_start_timeout = belt_start_timeout
        self._events: Fanout[Event] = Fanout()
        self.account = SessionAccount()  # distance across counter resets (session.account)
        self._wake = asyncio.Event()
        self._t0: float | None = None
        self._pause_reason: str | None = None  # set from a pause request until the resume
        self._pause_belt = True  # False when the console holds the belt: the plan only waits
        self._faulted = False  # a latched fault since the last resume: ease in after it
        self._resume_asked = False
        self._skip_asked = False
        self._stop_reason: str | None = None
        self._quit_asked = False  # the runner has quit once: a second quit may give up
        self._gave_up = asyncio.Event()  # the runner quit again while the stop was unconfirmed
        self._fault: str | None = None
        self._belt_started = False  # from here on every way out stops the belt
        self._distance_target: float | None = None
        self._belt = BeltWatch(self.treadmill, belt_start_timeout)
        self._easing: EaseIn | None = None  # bringing the belt back after a fault
        self._targets = SegmentTargets(
            guard, self._emit, self.clock, self._still_wanted, speedup=speedup
        )
        self.current: Step | None = None
        self.running = False  # inside run(): the guard's events reach listeners through it

    # --- front-end entry points: never block, answer at once ------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._events.subscribe(listener)

    def emergency_stop(self, reason: str = "runner") -> Verdict:
        """Stop the belt now and latch: the plan waits for acknowledge and resume (or ends)."""
        self.guard.trip(FaultKind.STOP_INPUT, reason)
        return ACCEPTED

    def stop(self, reason: str = "runner") -> Verdict:
        """Stop the belt now and end the session (an orderly end, not a fault)."""
        if self._stop_reason is None:
            self._stop_reason = reason
            self._wake.set()
        if not self.guard.belt_stopped:  # seen at rest after a stop: a new one would only
            self.guard.stop(reason)  # hide that fact from the way out (see _leave)
        return ACCEPTED

    def quit(self, reason: str = "runner quit") -> Verdict:
        """The runner's own way out (q, Ctrl-C, SIGTERM): the first one stops the belt and ends
        the session; another while the stop is still unconfirmed stops waiting for it, and the
        session ends telling the runner that the belt may still be running. Local only."""
        if self._quit_asked and self.guard.stopping:
            self._gave_up.set()
            return ACCEPTED
        self._quit_asked = True
        return self.stop(reason)

    def pause(self, reason: str = "runner", *, pause_belt: bool = True) -> Verdict:
        if self._stop_reason is not None:
            return self._refuse("pause", "the session is ending")
        if self._pause_reason is None:
            self._pause_reason = reason
            self._pause_belt = pause_belt
            self._wake.set()
        return ACCEPTED

    def resume(self) -> Verdict:
        """Resume a paused plan. Refused while a fault is latched: acknowledge first."""
        if self.guard.latched is not None:
            return self._refuse("resume", "a fault is latched: acknowledge it first")
        if self._pause_reason is None:
            return self._refuse("resume", "the plan is not paused")
        self._resume_asked = True
        self._wake.set()
        return ACCEPTED

    def acknowledge(self) -> Verdict:
        """The runner's acknowledgement of a latched fault. Wire it to local inputs only (the
        keyboard or screen at the laptop), never to a remote one. The plan stays paused."""
        verdict = self.guard.acknowledge()
        if not verdict:
            self._emit(Refused(at=self.clock(), command="acknowledge", reason=verdict.reason))
        return verdict

    def skip(self) -> Verdict:
        if self.guard.latched is not None:
            return self._refuse("skip", "a fault is latched: acknowledge it first")
        if self._stop_reason is not None:
            return self._refuse("skip", "the session is ending")
        self._skip_asked = True
        self._wake.set()
        return ACCEPTED

    def change_speed(self, delta_kmh: float) -> Verdict:
        """The runner's `-`/`+`: the belt's target by `delta_kmh`, for the rest of the segment.
        During the ease-in after a fault it changes where the ease-in goes, never its steps."""
        easing = self._easing
        target = easing.target_kmh if easing is not None else self.treadmill_target()
        if target is None:
            return self._refuse("speed", "no segment is running")
        return self.set_target(speed_kmh=self.treadmill.nearest_speed(target + delta_kmh))

    def set_target(
        self, *, speed_kmh: float | None = None, incline_pct: float | None = None
    ) -> Verdict:
        """Set the belt's speed and/or incline now, checked against the treadmill's range and
        step and the runner's caps before anything is written."""
        if self.current is None or self._stop_reason is not None:
            return self._refuse("set target", "no segment is running")
        if self._pause_reason is not None:
            return self._refuse("set target", "the plan is paused: resume first")
        easing = self._easing
        if easing is not None and speed_kmh is not None:
            reason = self.guard.out_of_bounds(speed_kmh=speed_kmh)
            if reason is not None:
                return self._refuse("set target", reason)
            easing.retarget(speed_kmh)  # the ease-in's own steps take it there
            self._targets.speed_kmh = speed_kmh
            self._emit(EaseInTarget(at=self.clock(), speed_kmh=speed_kmh))
            if incline_pct is None:
                return ACCEPTED
            speed_kmh = None
        reason = self.guard.refusal(speed_kmh=speed_kmh, incline_pct=incline_pct)
        if reason is not None:
            return self._refuse("set target", reason)
        self._targets.change(self.current.index, speed_kmh, incline_pct)
        return ACCEPTED

    def treadmill_target(self) -> float | None:
        """The speed the session last asked of the belt (or is about to), or the console's."""
        if self.current is None:
            return None
        asked = self._targets.asked_kmh
        return asked if asked is not None else self.guard.target_kmh

    @property
    def latched(self) -> bool:
        return self.guard.latched is not None

    @property
    def paused(self) -> bool:
        return self._pause_reason is not None

    def clock(self) -> float:
        """Session seconds since the run began (scaled by the speed-up)."""
        if self._t0 is None:
            return 0.0
        return (self._now() - self._t0) * self.speedup

    # --- the run ---------------------------------------------------------------------------------
    async def run(self) -> Finished:
        self._t0 = self._now()
        release_plan = self.guard.hold_plan()  # the belt is ours until the run is over
        unsubscribe_guard = self.guard.subscribe(self._on_guard)
        self.running = True
        unsubscribe_treadmill = self.treadmill.subscribe(self._on_treadmill)
        done = 0
        try:
            self._emit(SessionStarted.of(self.timeline, self.plan, self.treadmill.label))
            for note in self.timeline.notes:  # how the plan meets this treadmill: said first
                self._emit(PlanAdapted(at=0.0, message=note))
            try:
                await self._start_belt()
                origin = self._now()
                for step in self.timeline.steps:
                    if self._stop_reason is not None:
                        break
                    origin = await self._run_step(step, origin)
                    if self._stop_reason is None:
                        done += 1
            except (CommandError, SetpointError, SessionAborted) as e:
                self._fault = str(e)
                self._emit(Fault(at=self.clock(), message=str(e)))
            finally:
                belt = await self._leave(done)
            finished = Finished(
                at=self.clock(),
                completed=self._completed(done) and not self._targets.not_followed,
                segments_done=done,
                distance_m=round(self.account.distance_m) if self.account.started else None,
                belt=belt,
                not_followed=self._targets.not_followed,
            )
            self._emit(finished)
            return finished
        finally:
            self._targets.cancel()
            unsubscribe_treadmill()
            unsubscribe_guard()
            self.running = False
            release_plan()

    def _completed(self, done: int) -> bool:
        return done == len(self.timeline.steps) and self._fault is None

    async def _start_belt(self) -> None:
        if (why := unsupported(self.timeline, self.treadmill)) is not None:
            raise SessionAborted(f"not started: {why}")  # before anything is sent
        if not await self.guard.wait_belt_reported():
            raise SessionAborted("not started: the treadmill sends no data about its belt")
        if self.guard.latched is not None:  # the first frame over a cap, say
            raise SessionAborted(f"not started: {self.guard.latched_text()}")
        if self._belt.moving:
            await self._ask_to_take_over()
        try:
            await self.guard.request_control()
            self._emit(ControlRequested(at=self.clock(), result="success"))
        except CommandRefused as e:
            # Some treadmills answer "operation failed" and obey all the same.
            if e.refusal != Refusal.FAILED:
                raise
            self._emit(ControlRequested(at=self.clock(), result="operation failed (tolerated)"))
        if self._stop_reason is None:
            await self._start_and_wait()
            self._emit(BeltStarted(at=self.clock(), speed_kmh=self._belt.speed_kmh))

    async def _ask_to_take_over(self) -> None:
        """The belt runs already, started outside this session (the console, another app, a run
        killed before this one): the plan never starts on a belt it did not start without the
        runner's word. Over the cap the guard stops it at its first frame."""
        kmh = self._belt.speed_kmh
        if self.on_fault == "end":  # nobody at the laptop to ask
            raise SessionAborted(
                f"not started: the belt is already running at {kmh:g} km/h, started outside "
                "treadlink; stop it on the treadmill first"
            )
        self._belt_started = True  # the runner is here: every way out now stops it
        self.pause(
            f"the belt is already running at {kmh:g} km/h, not started by treadlink: "
            "p takes it over from there, q stops it",
            pause_belt=False,
        )
        self._emit(Paused(at=self.clock(), reason=self._pause_reason or ""))
        await self._resumed_or_stopped()

    async def _resumed_or_stopped(self) -> None:
        """Wait while the plan holds: until the runner resumes or the session ends."""
        while not self._resume_asked and self._stop_reason is None:
            self._wake.clear()
            await self._wake.wait()
        self._resume_asked = False
        self._pause_reason = None

    async def _start_and_wait(self, *, paused: bool = False) -> None:
        """Start (or resume) the belt; return once it is reported moving. A running belt is taken
        over (some take a Start as a pause); one slowing after our pause comes to rest first."""
        self._belt_started = True  # from the Start on, every way out stops the belt
        moving = self._belt.moving and self.guard.speed_doubt is None
        if moving and not (paused and await self._targets.belt_comes_to_rest()):
            await self.guard.take_over()  # running, or not slowing: our pause did not happen
            return
        if self._stop_reason is not None:  # a stop asked for while we got here
            raise SessionAborted(f"not started: {self._stop_reason}")
        await self._belt.reaches(0.01, after=self.guard.start)

    async def _run_step(self, step: Step, origin: float) -> float:
        """Run one segment scheduled to start at `origin`; return when the next one starts."""
        self.current = step
        self._targets.begin(step)
        self._emit(
            SegmentStarted.for_step(
                step, at=self.clock(), start_distance_m=self.treadmill.state.distance_m
            )
        )
        deadline = None if step.duration_s is None else origin + step.duration_s / self.speedup
        self._distance_target = None
        if step.distance_m is not None:
            self._distance_target = self.account.distance_m + step.distance_m
        if self._pause_reason is None:
            await self._targets.send(step, scheduled=origin)
        while True:
            self._wake.clear()
            if self._stop_reason is not None:
                return self._now()
            if self._skip_asked:
                self._skip_asked = False
                self._emit(Skipped(at=self.clock(), index=step.index))
                return self._now()
            if self._pause_reason is not None:
                held = await self._hold(self._pause_reason, step)
                if deadline is not None:
                    deadline += held
                if self._stop_reason is None and self._pause_reason is None:
                    await self._targets.send(step, scheduled=self._now())
                continue
            if deadline is not None and self._now() >= deadline - _TICK:
                return deadline
            if self._distance_reached():
                return self._now()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._wake.wait()

    async def _hold(self, reason: str, step: Step) -> float:
        """Hold the plan until resume or stop; return the seconds spent paused."""
        start = self._now()
        self._emit(Paused(at=self.clock(), reason=reason))
        # After a fault the guard is stopping the belt already; the console may hold it.
        pause_belt = self._pause_belt and not self._faulted
        if pause_belt:
            with contextlib.suppress(CommandError):
                await self.guard.pause()
        await self._resumed_or_stopped()
        held = self._now() - start
        if self._stop_reason is None:
            try:
                if pause_belt or self._faulted:
                    await self._start_and_wait(paused=pause_belt)
                if self._faulted or self.guard.easing_in:
                    self._faulted = False
                    await self._ease_in(self._targets.speed_kmh)
            except (CommandError, SessionAborted):
                if not self._held_again():
                    raise
                return held  # a fault while the belt came back: the caller holds once more
            self._emit(Resumed(at=self.clock(), paused_s=held * self.speedup))
        return held

    def _held_again(self) -> bool:
        """Whether a fault during a resume held the plan again (someone at the laptop acks it)."""
        return (
            self.on_fault == "pause"
            and self.guard.latched is not None
            and self._pause_reason is not None
            and self._stop_reason is None
        )

    async def _ease_in(self, target_kmh: float) -> None:
        """After a fault the belt comes back from its own speed (see session.belt.EaseIn); the
        runner's keys meanwhile change where it goes."""
        self._easing = EaseIn(self.guard, self._belt, target_kmh)
        try:
            await self._easing.run(
                interrupted=lambda: self._pause_reason is not None or self._stop_reason is not None
            )
        finally:
            self._easing = None

    def _still_wanted(self, index: int) -> bool:
        """A key's change for segment `index` may still be written (it runs, nothing holds)."""
        running = self.current is not None and self.current.index == index
        return running and self._pause_reason is None and self._stop_reason is None

    def _distance_reached(self) -> bool:
        target = self._distance_target
        return target is not None and self.account.distance_m >= target

    async def _leave(self, done: int) -> str:
        """Every way out of `run` comes through here: the belt ends stopped if we started it,
        and we wait until it is, or until the runner quits again. Returns the belt's state."""
        if not self._belt_started and not self.guard.stopping:
            return "not started"  # nothing of ours moved it, and the guard stops nothing
        ended_normally = self._fault is None and done == len(self.timeline.steps)
        if ended_normally and self.at_end == "pause" and self.guard.latched is None:
            self._emit(Paused(at=self.clock(), reason="end of plan"))
            try:
                await self.guard.pause()
                return "paused"
            except CommandError:
                pass  # refused: the guard has latched and stops the belt; wait for it below
        if self._stop_reason is None:
            self._stop_reason = "end of plan" if ended_normally else "session ended early"
        if not self.guard.stopping and not self.guard.belt_stopped:
            self.guard.stop(self._stop_reason)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # The loop itself is going away (nobody cancels a session otherwise): the stop
            # has been asked for and goes on while the loop lives; waiting would never end.
            return "stopped" if self.guard.belt_stopped else "may be running"
        stopped = asyncio.ensure_future(self.guard.wait_belt_stopped())
        gave_up = asyncio.ensure_future(self._gave_up.wait())
        try:
            await asyncio.wait([stopped, gave_up], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (stopped, gave_up):
                waiter.cancel()
        return "stopped" if self.guard.belt_stopped else "may be running"

    # --- what the treadmill and the guard say ----------------------------------------------------
    def _on_treadmill(self, event: TreadmillEvent) -> None:
        if isinstance(event, Telemetry):
            # The guard has judged the frame already (it hears every frame first).
            self._emit(TelemetryUpdate.of(event.state, self.clock(), self.guard.speed_doubt))
            if self._distance_reached():
                self._wake.set()

    def _on_guard(self, event: GuardEvent) -> None:
        self._emit(dataclasses.replace(event, at=self.clock()))
        if isinstance(event, Fault) and event.latched:
            self._faulted = True
            if self.on_fault == "end":
                if self._stop_reason is None:
                    self._stop_reason = event.message
                    self._wake.set()
            else:
                self.pause(event.message, pause_belt=False)
            self._belt.abandon(event.message)
        elif isinstance(event, ConsoleOverride) and self._belt_started:
            # The console wins: the belt stays at the runner's speed and the plan waits. (Before
            # the plan starts the belt, `_ask_to_take_over` asks the runner in its own words.)
            self.pause("speed changed on the treadmill's console", pause_belt=False)

    def _refuse(self, command: str, reason: str) -> Verdict:
        self._emit(Refused(at=self.clock(), command=command, reason=reason))
        return refused(reason)

    def _emit(self, event: Event) -> None:
        self.account(event.as_json())
        self._events.emit(event)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()
