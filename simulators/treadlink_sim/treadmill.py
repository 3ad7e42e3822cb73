"""The simulated treadmill: a bumble peripheral, the belt model, its console, faults and links.

The machine itself knows no protocol: the protocol servers (ftms_server, fitshow_server, rsc_server)
its profile names turn it into bytes, and change it only through the methods in "the machine's own
changes" below, so every server hears of every change, whoever made it.

Everything runs on the event loop clock (loop.time, asyncio.sleep) so tests can run it in fake time.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Self

from bumble.device import Device

from treadlink.fitshow.protocol import BeltState
from treadlink.ftms.protocol import StopPause, TrainingStatus
from treadlink.treadmill.units import Range
from treadlink_sim import gatt, recorded
from treadlink_sim.console import Console
from treadlink_sim.faults import PARAMETERS, Fault, FaultState
from treadlink_sim.fitshow_server import FitShowServer
from treadlink_sim.ftms_server import FtmsServer
from treadlink_sim.links import Links
from treadlink_sim.physics import BeltMode, Dynamics, Treadmill, check_time_scale, heart_rate_bpm
from treadlink_sim.profile import MachineProfile
from treadlink_sim.protocols import fault_problem, server_classes
from treadlink_sim.records import ConnectionRecord, ControlPointRecord
from treadlink_sim.servers import Change, MachineEvent, ProtocolServer

__all__ = ["ConnectionRecord", "ControlPointRecord", "TreadmillSimulator"]

log = logging.getLogger(__name__)

ControlPointListener = Callable[[bytes], None]
Predicate = Callable[["TreadmillSimulator"], bool]


class TreadmillSimulator:
    """A treadmill on a bumble Device: physics, console, faults, and its protocol servers."""

    def __init__(
        self,
        device: Device,
        profile: MachineProfile,
        *,
        telemetry_hz: float | None = None,
        time_scale: float = 1.0,
    ) -> None:
        """`time_scale`: seconds of belt motion per second of the loop clock, for a session
        sped up as many times (the belt then covers the distance of the scaled time)."""
        self.device = device
        self.profile = profile
        self.time_scale = check_time_scale(time_scale)
        self.telemetry_hz = telemetry_hz or profile.telemetry_hz
        self.control_point_log: list[ControlPointRecord] = []
        self.speeds = profile.speed_range()
        self.inclines = profile.incline_range()
        self.model = Treadmill(
            Dynamics(
                accel_up_kmh_s=profile.acceleration_up_kmh_per_s,
                accel_down_kmh_s=profile.acceleration_down_kmh_per_s,
                emergency_decel_kmh_s=profile.emergency_deceleration_kmh_per_s,
                incline_rate_pct_s=profile.incline_rate_pct_per_s,
            )
        )
        self.fault_state = FaultState()
        self._listeners: list[ControlPointListener] = []
        self._waiters: list[tuple[Predicate, asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_sync: float | None = None
        self.is_on = False  # powered on: between start() and stop()

        self.console = Console(self)
        self.servers: list[ProtocolServer] = [cls(self) for cls in server_classes(profile)]
        services = [s for server in self.servers for s in server.services()]
        device.add_services(recorded.served(profile, [*services, gatt.device_information(profile)]))
        device.advertising_data = gatt.advertising_data(profile)
        self.links = Links(self)

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Power the device on, advertise, and start the physics and telemetry tick."""
        self.is_on = True
        self._last_sync = self.now()
        await self.device.power_on()
        await self.links.advertise()
        self.spawn(self._tick())

    async def stop(self) -> None:
        """Cancel every task the simulator started and drop any links. Safe to call twice."""
        self.is_on = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.links.drop()
        for _, future in self._waiters:
            future.cancel()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # --- observable state ---------------------------------------------------------------------
    @property
    def address(self) -> str:
        return self.profile.address

    @property
    def mode(self) -> BeltMode:
        return self.model.mode

    @property
    def running(self) -> bool:
        return self.model.mode is BeltMode.RUNNING

    @property
    def paused(self) -> bool:
        return self.model.mode is BeltMode.PAUSED

    @property
    def stopped(self) -> bool:
        return self.model.mode is BeltMode.STOPPED

    @property
    def belt_speed_kmh(self) -> float:
        return self.model.belt_speed_kmh

    @property
    def target_speed_kmh(self) -> float:
        return self.model.target_speed_kmh

    @property
    def incline_pct(self) -> float:
        return self.model.incline_pct

    @property
    def target_incline_pct(self) -> float:
        return self.model.target_incline_pct

    @property
    def distance_m(self) -> float:
        return self.model.distance_m

    @property
    def elapsed_s(self) -> float:
        return self.model.elapsed_s

    @property
    def step_count(self) -> int:
        return int(self.model.steps)

    @property
    def heart_rate_bpm(self) -> int:
        return heart_rate_bpm(self.model.belt_speed_kmh, self.model.incline_pct)

    @property
    def console_state(self) -> BeltState:
        """What the console shows (countdown, stopping, safety key out, ...): FitShow's states."""
        return self.console.state

    @property
    def can_start(self) -> bool:
        """Nothing keeps the belt from starting: key in, no console error, awake."""
        return not {Fault.SAFETY_KEY, Fault.CONSOLE_ERROR, Fault.SLEEPING} & self.fault_state.active

    @property
    def ftms(self) -> FtmsServer:
        """The FTMS server; AttributeError naming the profile on a treadmill without FTMS."""
        return self._server(FtmsServer)

    @property
    def fitshow(self) -> FitShowServer:
        """The FitShow server; AttributeError naming the profile on a treadmill without it."""
        return self._server(FitShowServer)

    def _server[S: ProtocolServer](self, kind: type[S]) -> S:
        for server in self.servers:
            if isinstance(server, kind):
                return server
        raise AttributeError(f"profile {self.profile.name!r} does not speak {kind.protocol}")

    @property
    def training_status(self) -> TrainingStatus | None:
        """FTMS Training Status; None on a treadmill without FTMS."""
        return self.ftms.training_status if self.profile.ftms else None

    @property
    def connected(self) -> bool:
        return self.links.connected

    @property
    def peer_addresses(self) -> list[str]:
        return self.links.peer_addresses

    @property
    def connection_log(self) -> list[ConnectionRecord]:
        """Every link a central made, refused or not."""
        return self.links.log

    @property
    def controller_address(self) -> str | None:
        """Address of the FTMS client holding control, if a connected client does."""
        return self.ftms.controller_address if self.profile.ftms else None

    @property
    def safety_key_in(self) -> bool:
        return Fault.SAFETY_KEY not in self.fault_state

    @property
    def faults(self) -> frozenset[Fault]:
        return frozenset(self.fault_state.active)

    def treadmill_data(self) -> bytes:
        """The FTMS Treadmill Data frame for the current state, before any malformation fault."""
        return self.ftms.treadmill_data()

    def add_control_point_listener(self, listener: ControlPointListener) -> None:
        """Call `listener(bytes)` synchronously the moment a control write arrives."""
        self._listeners.append(listener)

    def remove_control_point_listener(self, listener: ControlPointListener) -> None:
        self._listeners.remove(listener)

    # A timeout parameter (ASYNC109) because callers almost always want one and forgetting it
    # hangs a test; it is only a shorthand for wrapping the call in asyncio.timeout.
    async def wait_for(self, predicate: Predicate, timeout: float | None = None) -> None:
        """Return once `predicate(simulator)` holds; TimeoutError after `timeout` loop seconds.

        Re-checked at every state change: control writes and console actions, faults, links, and
        the physics tick (the telemetry rate).
        """
        if predicate(self):
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await future
        finally:
            self._waiters.remove(waiter)

    # --- the runner at the console ------------------------------------------------------------
    async def console_start(self) -> None:
        if self.can_start:
            await self.emit(self.console.begin_start(by_console=True))

    async def console_stop(self) -> None:
        await self.emit(self._apply_stop(StopPause.STOP, by_console=True))

    async def console_pause(self) -> None:
        await self.emit(self._apply_stop(StopPause.PAUSE, by_console=True))

    async def console_set_speed(self, speed_kmh: float) -> None:
        """The runner presses speed keys; raises ValueError off the machine's range or grid.
        In the console's unit (mph on an mph console, whatever the name says)."""
        units = _on_grid(speed_kmh, self.speeds)
        self.set_target("target_speed_kmh", self.console.from_units(self.speeds.value(units)))
        await self.emit(MachineEvent(Change.TARGET_SPEED, True, speed_kmh))

    async def console_set_incline(self, incline_pct: float) -> None:
        units = _on_grid(incline_pct, self.inclines)
        self.set_target("target_incline_pct", self.inclines.value(units))
        await self.emit(MachineEvent(Change.TARGET_INCLINE, True, incline_pct))

    # --- faults -------------------------------------------------------------------------------
    async def set_fault(
        self, fault: Fault, *, runaway_kmh: float | None = None, late_s: float | None = None
    ) -> None:
        """Make the machine misbehave in one way (see Fault); setting twice is harmless (and
        sets the parameter anew)."""
        fault = Fault(fault)
        if (problem := fault_problem(self.profile, fault)) is not None:
            raise ValueError(problem)
        if fault is Fault.SPEED_RUNAWAY:
            self.sync()
            self.fault_state.runaway_kmh = self.model.runaway_kmh = _parameter(fault, runaway_kmh)
        elif fault is Fault.LATE_ANSWERS:
            self.fault_state.late_s = _parameter(fault, late_s)
        already = fault in self.fault_state
        self.fault_state.active.add(fault)
        self.changed()
        if already:
            return
        if fault in (Fault.SAFETY_KEY, Fault.CONSOLE_ERROR):
            self.sync()
            self.console.stopping(emergency=True)
            self.model.emergency_stop()
            out = fault is Fault.SAFETY_KEY
            await self.emit(MachineEvent(Change.SAFETY_KEY_OUT if out else Change.CONSOLE_ERROR))
        elif fault is Fault.SLEEPING:
            await self.emit(self._apply_stop(StopPause.STOP))
        elif fault is Fault.LINK_LOST:
            await self.device.stop_advertising()
            await self.drop_link()
        elif fault is Fault.LINK_REFUSED:
            await self.drop_link()  # and go on advertising: the next links are refused
        for server in self.servers:
            await server.on_fault(fault, True)

    async def clear_fault(self, fault: Fault) -> None:
        fault = Fault(fault)
        if fault not in self.fault_state:
            return
        self.fault_state.active.discard(fault)
        if fault is Fault.SPEED_RUNAWAY:
            self.sync()
            self.fault_state.runaway_kmh = self.model.runaway_kmh = 0.0
        elif fault is Fault.LATE_ANSWERS:
            self.fault_state.late_s = 0.0
        elif fault is Fault.LINK_LOST:
            await self.links.advertise()
        elif fault is Fault.SAFETY_KEY:
            await self.emit(MachineEvent(Change.SAFETY_KEY_IN))
        if fault in (Fault.SAFETY_KEY, Fault.CONSOLE_ERROR, Fault.SLEEPING):
            self.console.idle()
        for server in self.servers:
            await server.on_fault(fault, False)
        self.changed()

    async def drop_link(self) -> None:
        """Disconnect every client. The belt keeps doing what it was doing, as real ones do."""
        await self.links.drop()

    # --- the machine's own changes, for the protocol servers ----------------------------------
    def start_belt(self) -> None:
        """Start or resume the belt, as a client asked (after the console's countdown)."""
        self.spawn(self.emit(self.console.begin_start()))

    def stop_belt(self, kind: StopPause) -> None:
        """Stop or pause, as a client asked."""
        self.spawn(self.emit(self._apply_stop(kind)))

    def set_target_speed(self, speed: float) -> float:
        """`speed` in the console's unit; returns it."""
        self.set_target("target_speed_kmh", self.console.from_units(speed))
        self.console.client_target = True
        self.spawn(self.emit(MachineEvent(Change.TARGET_SPEED, value=speed)))
        return speed

    def set_target_incline(self, incline_pct: float) -> float:
        incline = self.set_target("target_incline_pct", incline_pct)
        self.spawn(self.emit(MachineEvent(Change.TARGET_INCLINE, value=incline)))
        return incline

    def reset(self) -> None:
        self.sync()
        self.console.stopping(emergency=False)
        self.model.reset()
        self.console.idle()
        self.spawn(self.emit(MachineEvent(Change.RESET)))

    def heard(self, data: bytes) -> None:
        """A control write arrived: the listeners see it before anything is done with it."""
        for listener in self._listeners:
            listener(data)

    def apply_start(self) -> None:
        """The belt starts (or resumes) now; a new workout at the stored or lowest speed."""
        self.sync()
        new_workout = self.model.mode is BeltMode.STOPPED
        self.console.starting(new_workout)
        minimum = self.console.from_units(self.speeds.value(self.speeds.minimum))
        self.model.start(default_speed_kmh=minimum)
        self.changed()
        if new_workout:
            self.console.started()

    def _apply_stop(self, kind: StopPause, by_console: bool = False) -> MachineEvent:
        self.sync()
        self.console.stopping(emergency=False)
        if kind is StopPause.PAUSE:
            running = self.model.mode is BeltMode.RUNNING
            self.model.pause()
            return MachineEvent(Change.PAUSED, by_console, effective=running)
        self.model.stop()
        return MachineEvent(Change.STOPPED, by_console)

    def set_target(self, name: str, value: float) -> float:
        self.sync()
        setattr(self.model, name, value)
        self.changed()
        return value

    async def emit(self, event: MachineEvent) -> None:
        """Tell every server of a change (awaited on the console's paths, spawned on others)."""
        self.changed()
        for server in self.servers:
            await server.on_event(event)

    # --- physics and telemetry ----------------------------------------------------------------
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def sync(self) -> None:
        """Bring the belt model up to the current loop time before anything reads or changes it."""
        now = self.now()
        if self._last_sync is not None:
            self.model.advance((now - self._last_sync) * self.time_scale)
        self._last_sync = now

    async def _tick(self) -> None:
        period = 1.0 / self.telemetry_hz
        next_at = self.now()
        while True:
            next_at += period
            await asyncio.sleep(max(0.0, next_at - self.now()))
            if self.now() - next_at > period:  # fell behind (debugger, loaded CI): no burst
                next_at = self.now()
            self.sync()
            self.console.counters()  # a console that resets its counters does so at rest
            self.changed()
            if self.links.connected:
                for server in self.servers:
                    await server.on_tick()

    # --- notifications ------------------------------------------------------------------------
    async def notify(self, characteristic: Any, value: bytes) -> None:
        if self.links.connected:
            await self.guarded(self.device.notify_subscribers(characteristic, value))

    async def guarded(self, send: Awaitable[None]) -> None:
        # A notification racing a disconnection is lost, as it would be over the air.
        try:
            await send
        except Exception as error:
            log.debug("notification not sent: %r", error)

    # --- plumbing -----------------------------------------------------------------------------
    def changed(self) -> None:
        """Re-check every waiter: call after any change of state."""
        for predicate, future in self._waiters:
            if future.done():
                continue
            try:
                if predicate(self):
                    future.set_result(None)
            except Exception as error:
                future.set_exception(error)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run `coroutine` as a task the simulator owns (cancelled by stop())."""
        if not self.is_on:  # stopping: nothing may outlive stop()
            coroutine.close()
            return
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("simulator task %s failed", task.get_coro(), exc_info=error)


def _parameter(fault: Fault, value: float | None) -> float:
    """The positive, finite parameter `fault` needs (see faults.PARAMETERS)."""
    if value is None or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{fault} needs {PARAMETERS[fault]} > 0")
    return value


def _on_grid(value: float, r: Range) -> int:
    units = r.units_of(value)
    if units is None:
        raise ValueError(f"{r.kind} {value} is not one this treadmill offers ({r})")
    return units
