"""The simulated treadmill: a bumble peripheral serving FTMS on top of the pure belt model.

Everything runs on the event loop clock (loop.time, asyncio.sleep) so tests can run it in fake time.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Self

from bumble import att
from bumble.device import Connection, Device

from treadlink.ftms.layouts import ControlResponse, MachineStatus, Range, encode_treadmill_data
from treadlink.ftms.layouts import encode_training_status as training_status_bytes
from treadlink.ftms.protocol import (
    ATT_CCCD_IMPROPERLY_CONFIGURED,
    ATT_PROCEDURE_ALREADY_IN_PROGRESS,
    MachineStatusOp,
    OpCode,
    ResultCode,
    StopPause,
    TrainingStatus,
)
from treadlink_sim import gatt, requests
from treadlink_sim.faults import PARAMETERS, Fault, FaultState
from treadlink_sim.physics import (
    BeltMode,
    Dynamics,
    Treadmill,
    check_time_scale,
    heart_rate_bpm,
)
from treadlink_sim.profile import MachineProfile

log = logging.getLogger(__name__)

ControlPointListener = Callable[[bytes], None]
Predicate = Callable[["TreadmillSimulator"], bool]

_UINT16_MAX = 0xFFFF
_UINT24_MAX = 0xFFFFFF


@dataclass(frozen=True, slots=True)
class ControlPointRecord:
    """One control-point write as the simulator saw it."""

    at: float  # loop time of arrival
    data: bytes
    # The result indicated (or that would have been); None if the request was ignored.
    result: ResultCode | None = None
    att_error: int | None = None  # set instead of result when the write itself was refused


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """One link a central made to the simulator."""

    at: float  # loop time the link was made
    peer: str  # the central's address
    refused: bool = False  # dropped at once (Fault.LINK_REFUSED)


class _OtherClient:
    """Stands for a second client that took control (Fault.CONTROL_TAKEN)."""


_OTHER_CLIENT = _OtherClient()


class TreadmillSimulator:
    """An FTMS treadmill on a bumble Device: physics, GATT server, console and faults."""

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
        self.connection_log: list[ConnectionRecord] = []
        self._speeds = profile.speed_range()
        self._inclines = profile.incline_range()
        self._model = Treadmill(
            Dynamics(
                accel_up_kmh_s=profile.acceleration_up_kmh_per_s,
                accel_down_kmh_s=profile.acceleration_down_kmh_per_s,
                emergency_decel_kmh_s=profile.emergency_deceleration_kmh_per_s,
                incline_rate_pct_s=profile.incline_rate_pct_per_s,
            )
        )
        self._faults = FaultState()
        self._training = TrainingStatus.IDLE
        self._connections: set[Connection] = set()
        self._indicating: set[Any] = set()  # bearers that enabled control-point indications
        self._in_procedure: set[Connection] = set()
        self._controller: Connection | _OtherClient | None = None
        self._listeners: list[ControlPointListener] = []
        self._waiters: list[tuple[Predicate, asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_sync: float | None = None
        self._running = False

        services, self._chars = gatt.build_services(
            profile, self._on_control_point_write, self._read_training_status
        )
        device.add_services(services)
        device.advertising_data = gatt.advertising_data(profile)
        self._chars.control_point.on("subscription", self._on_control_point_subscription)
        device.on("connection", self._on_connection)

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Power the device on, advertise, and start the physics and telemetry tick."""
        self._running = True
        self._last_sync = self._now()
        await self.device.power_on()
        await self._advertise()
        self._spawn(self._tick())

    async def stop(self) -> None:
        """Cancel every task the simulator started and drop any links. Safe to call twice."""
        self._running = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connection in list(self._connections):
            await self._disconnect(connection)
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
        return self._model.mode

    @property
    def running(self) -> bool:
        return self._model.mode is BeltMode.RUNNING

    @property
    def paused(self) -> bool:
        return self._model.mode is BeltMode.PAUSED

    @property
    def stopped(self) -> bool:
        return self._model.mode is BeltMode.STOPPED

    @property
    def belt_speed_kmh(self) -> float:
        return self._model.belt_speed_kmh

    @property
    def target_speed_kmh(self) -> float:
        return self._model.target_speed_kmh

    @property
    def incline_pct(self) -> float:
        return self._model.incline_pct

    @property
    def target_incline_pct(self) -> float:
        return self._model.target_incline_pct

    @property
    def distance_m(self) -> float:
        return self._model.distance_m

    @property
    def elapsed_s(self) -> float:
        return self._model.elapsed_s

    @property
    def step_count(self) -> int:
        return int(self._model.steps)

    @property
    def heart_rate_bpm(self) -> int:
        return heart_rate_bpm(self._model.belt_speed_kmh, self._model.incline_pct)

    @property
    def training_status(self) -> TrainingStatus:
        return self._training

    @property
    def connected(self) -> bool:
        return bool(self._connections)

    @property
    def peer_addresses(self) -> list[str]:
        return [_address(c) for c in self._connections]

    @property
    def controller_address(self) -> str | None:
        """Address of the client holding control, if a connected client does."""
        if isinstance(self._controller, Connection):
            return _address(self._controller)
        return None

    @property
    def safety_key_in(self) -> bool:
        return Fault.SAFETY_KEY not in self._faults

    @property
    def faults(self) -> frozenset[Fault]:
        return frozenset(self._faults.active)

    def add_control_point_listener(self, listener: ControlPointListener) -> None:
        """Call `listener(bytes)` synchronously the moment a control-point write arrives."""
        self._listeners.append(listener)

    def remove_control_point_listener(self, listener: ControlPointListener) -> None:
        self._listeners.remove(listener)

    # A timeout parameter (ASYNC109) because callers almost always want one and forgetting it
    # hangs a test; it is only a shorthand for wrapping the call in asyncio.timeout.
    async def wait_for(self, predicate: Predicate, timeout: float | None = None) -> None:
        """Return once `predicate(simulator)` holds; TimeoutError after `timeout` loop seconds.

        Re-checked at every state change: control-point and console actions, faults, links, and
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
        if self.safety_key_in:
            self._apply_start()
            await self._announce(MachineStatus(MachineStatusOp.STARTED_OR_RESUMED_BY_USER))

    async def console_stop(self) -> None:
        self._apply_stop(StopPause.STOP)
        await self._announce(
            MachineStatus(MachineStatusOp.STOPPED_OR_PAUSED_BY_USER, StopPause.STOP)
        )

    async def console_pause(self) -> None:
        self._apply_stop(StopPause.PAUSE)
        await self._announce(
            MachineStatus(MachineStatusOp.STOPPED_OR_PAUSED_BY_USER, StopPause.PAUSE)
        )

    async def console_set_speed(self, speed_kmh: float) -> None:
        """The runner presses speed keys; raises ValueError off the machine's range or grid."""
        units = _on_grid(speed_kmh, self._speeds)
        self._sync()
        self._model.target_speed_kmh = self._speeds.value(units)
        self._changed()
        await self._announce(MachineStatus(MachineStatusOp.TARGET_SPEED_CHANGED, speed_kmh))

    async def console_set_incline(self, incline_pct: float) -> None:
        units = _on_grid(incline_pct, self._inclines)
        self._sync()
        self._model.target_incline_pct = self._inclines.value(units)
        self._changed()
        await self._announce(MachineStatus(MachineStatusOp.TARGET_INCLINE_CHANGED, incline_pct))

    # --- faults -------------------------------------------------------------------------------
    async def set_fault(
        self, fault: Fault, *, runaway_kmh: float | None = None, late_s: float | None = None
    ) -> None:
        """Make the machine misbehave in one way (see Fault); setting twice is harmless (and
        sets the parameter anew)."""
        fault = Fault(fault)
        if fault is Fault.SPEED_RUNAWAY:
            self._sync()
            self._faults.runaway_kmh = self._model.runaway_kmh = _parameter(fault, runaway_kmh)
        elif fault is Fault.LATE_ANSWERS:
            self._faults.late_s = _parameter(fault, late_s)
        already = fault in self._faults
        self._faults.active.add(fault)
        self._changed()
        if already:
            return
        if fault is Fault.SAFETY_KEY:
            self._sync()
            self._model.emergency_stop()
            self._set_training(TrainingStatus.POST_WORKOUT)
            await self._announce(MachineStatus(MachineStatusOp.STOPPED_BY_SAFETY_KEY))
        elif fault is Fault.LINK_LOST:
            await self.device.stop_advertising()
            await self.drop_link()
        elif fault is Fault.LINK_REFUSED:
            await self.drop_link()  # and go on advertising: the next links are refused
        elif fault is Fault.CONTROL_TAKEN:
            previous, self._controller = self._controller, _OTHER_CLIENT
            if isinstance(previous, Connection):
                status = MachineStatus(MachineStatusOp.CONTROL_PERMISSION_LOST)
                await self._notify_status(status, previous)

    async def clear_fault(self, fault: Fault) -> None:
        fault = Fault(fault)
        if fault not in self._faults:
            return
        self._faults.active.discard(fault)
        if fault is Fault.SPEED_RUNAWAY:
            self._sync()
            self._faults.runaway_kmh = self._model.runaway_kmh = 0.0
        elif fault is Fault.LATE_ANSWERS:
            self._faults.late_s = 0.0
        elif fault is Fault.LINK_LOST:
            await self._advertise()
        elif fault is Fault.SAFETY_KEY:
            # The key is back: the console leaves its post-workout screen for idle, which is
            # the only word FTMS gives of it (Training Status).
            self._set_training(TrainingStatus.IDLE)
        elif fault is Fault.CONTROL_TAKEN and self._controller is _OTHER_CLIENT:
            self._controller = None
        self._changed()

    async def drop_link(self) -> None:
        """Disconnect every client. The belt keeps doing what it was doing, as real ones do."""
        for connection in list(self._connections):
            await self._disconnect(connection)

    # --- control point ------------------------------------------------------------------------
    def _on_control_point_subscription(self, bearer: Any, _notify: bool, indicate: bool) -> None:
        if indicate:
            self._indicating.add(bearer)
        else:
            self._indicating.discard(bearer)

    def _on_control_point_write(self, connection: Connection, value: bytes) -> None:
        data = bytes(value)
        for listener in self._listeners:
            listener(data)
        now = self._now()
        refusal = None
        if connection not in self._indicating:
            refusal = ATT_CCCD_IMPROPERLY_CONFIGURED
        elif connection in self._in_procedure:
            refusal = ATT_PROCEDURE_ALREADY_IN_PROGRESS
        elif not data:
            refusal = att.ATT_INVALID_ATTRIBUTE_LENGTH_ERROR
        if refusal is not None:
            self.control_point_log.append(ControlPointRecord(now, data, att_error=refusal))
            raise att.ATT_Error(refusal, message=f"control point write {data.hex(' ')} refused")

        unanswered = Fault.REQUEST_CONTROL_UNANSWERED in self._faults
        if unanswered and requests.op_code(data) is OpCode.REQUEST_CONTROL:
            # Ignored, not refused: no result, no control granted, no procedure held.
            self.control_point_log.append(ControlPointRecord(now, data))
            return
        result, statuses = self._execute(connection, data)
        self.control_point_log.append(ControlPointRecord(now, data, result=result))
        self._changed()
        response = ControlResponse(data[0], result).encode()
        if Fault.INDICATIONS_LOST in self._faults:
            # Firmware that never indicates still accepts the next write: no procedure is held.
            self._spawn(self._announce(*statuses))
            return
        self._in_procedure.add(connection)
        # Scheduled, not awaited: the ATT Write Response goes out first, then the indication.
        self._spawn(self._respond(connection, self._faults.indication(response), statuses))

    async def _respond(
        self, connection: Connection, response: bytes, statuses: list[MachineStatus]
    ) -> None:
        try:
            delay = self.profile.indication_delay_s + self._faults.late_s
            if delay:
                await asyncio.sleep(delay)
            await self.device.indicate_subscriber(connection, self._chars.control_point, response)
        except Exception as error:  # a lost link or a client that never confirms
            log.warning("control point indication to %s failed: %r", _address(connection), error)
        finally:
            self._in_procedure.discard(connection)
        await self._announce(*statuses)

    def _execute(
        self, connection: Connection, data: bytes
    ) -> tuple[ResultCode, list[MachineStatus]]:
        """Decide the result of one request and apply its effect on the machine."""
        op = requests.op_code(data)
        if op is None:
            return ResultCode.OP_CODE_NOT_SUPPORTED, []
        if Fault.CONTROL_REFUSED in self._faults:
            return ResultCode.CONTROL_NOT_PERMITTED, []
        if Fault.CONTROL_FAILING in self._faults:
            # The field quirk: Request Control answered 04 yet granted, so clearing the fault
            # leaves a client that went ahead anyway in control.
            if op is OpCode.REQUEST_CONTROL and self._controller is None:
                self._controller = connection
            return ResultCode.OPERATION_FAILED, []
        if op is not OpCode.REQUEST_CONTROL and self._controller is not connection:
            return ResultCode.CONTROL_NOT_PERMITTED, []
        request = requests.parse(data, self._speeds, self._inclines)
        if isinstance(request, requests.Refusal):
            return request.result, []
        return self._perform(connection, request)

    def _perform(
        self, connection: Connection, request: requests.Request
    ) -> tuple[ResultCode, list[MachineStatus]]:
        ok = ResultCode.SUCCESS
        match request.op:
            case OpCode.REQUEST_CONTROL:
                if self._controller not in (None, connection):
                    return ResultCode.CONTROL_NOT_PERMITTED, []
                self._controller = connection
                return ok, []
            case OpCode.RESET:
                self._sync()
                self._model.reset()
                self._controller = None  # FTMS: a reset hands control back
                self._set_training(TrainingStatus.IDLE)
                return ok, [MachineStatus(MachineStatusOp.RESET)]
            case OpCode.SET_TARGET_SPEED:
                if self.profile.needs_start_before_speed and not self.running:
                    return ResultCode.OPERATION_FAILED, []
                self._sync()
                self._model.target_speed_kmh = self._speeds.value(request.units)
                speed = self._model.target_speed_kmh
                return ok, [MachineStatus(MachineStatusOp.TARGET_SPEED_CHANGED, speed)]
            case OpCode.SET_TARGET_INCLINATION:
                self._sync()
                self._model.target_incline_pct = self._inclines.value(request.units)
                incline = self._model.target_incline_pct
                return ok, [MachineStatus(MachineStatusOp.TARGET_INCLINE_CHANGED, incline)]
            case OpCode.START_OR_RESUME:
                if not self.safety_key_in:
                    return ResultCode.OPERATION_FAILED, []
                self._apply_start()
                return ok, [MachineStatus(MachineStatusOp.STARTED_OR_RESUMED_BY_USER)]
            case _:  # STOP_OR_PAUSE
                self._apply_stop(request.stop_pause)
                op = MachineStatusOp.STOPPED_OR_PAUSED_BY_USER
                return ok, [MachineStatus(op, request.stop_pause)]

    # --- state changes shared by the control point and the console --------------------------
    def _apply_start(self) -> None:
        self._sync()
        self._model.start(default_speed_kmh=self._speeds.value(self._speeds.minimum))
        self._set_training(TrainingStatus.MANUAL_MODE)

    def _apply_stop(self, kind: StopPause) -> None:
        self._sync()
        if kind is StopPause.PAUSE:
            if self._model.mode is BeltMode.RUNNING:
                self._model.pause()
                self._set_training(TrainingStatus.IDLE)
        else:
            self._model.stop()
            self._set_training(TrainingStatus.POST_WORKOUT)

    def _set_training(self, status: TrainingStatus) -> None:
        if status is not self._training:
            self._training = status
            self._spawn(self._notify(self._chars.training_status, training_status_bytes(status)))
        self._changed()

    def _read_training_status(self, _connection: Connection) -> bytes:
        return training_status_bytes(self._training)

    # --- physics and telemetry ----------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _sync(self) -> None:
        """Bring the belt model up to the current loop time before anything reads or changes it."""
        now = self._now()
        if self._last_sync is not None:
            self._model.advance((now - self._last_sync) * self.time_scale)
        self._last_sync = now

    async def _tick(self) -> None:
        period = 1.0 / self.telemetry_hz
        next_at = self._now()
        while True:
            next_at += period
            await asyncio.sleep(max(0.0, next_at - self._now()))
            if self._now() - next_at > period:  # fell behind (debugger, loaded CI): no burst
                next_at = self._now()
            self._sync()
            self._changed()
            if self._connections and Fault.TELEMETRY_SILENT not in self._faults:
                frame = self._faults.treadmill_data(self.treadmill_data())
                await self._notify(self._chars.treadmill_data, frame)

    def treadmill_data(self) -> bytes:
        """The Treadmill Data frame for the current state, before any malformation fault."""
        m = self._model
        incline = round(m.incline_pct, 1)
        # Firmware glitch seen in the field: a moving belt reported as 0 km/h.
        glitch = Fault.ZERO_SPEED_FRAMES in self._faults
        values: dict[str, float] = {
            "speed_kmh": 0.0 if glitch else m.belt_speed_kmh,
            "distance_m": min(math.floor(m.distance_m), _UINT24_MAX),
            "incline_pct": incline,
            "ramp_angle_deg": round(math.degrees(math.atan(incline / 100)), 1),
            "elapsed_time_s": min(math.floor(m.elapsed_s), _UINT16_MAX),
        }
        if self.profile.heart_rate:
            values["heart_rate_bpm"] = self.heart_rate_bpm
        if self.profile.step_count:
            values["step_count"] = min(self.step_count, _UINT24_MAX)
        return encode_treadmill_data(values)

    # --- notifications ------------------------------------------------------------------------
    async def _announce(self, *statuses: MachineStatus) -> None:
        for status in statuses:
            await self._notify_status(status)

    async def _notify_status(self, status: MachineStatus, to: Connection | None = None) -> None:
        value = self._faults.machine_status(status.encode())
        if to is None:
            await self._notify(self._chars.machine_status, value)
        else:
            await self._guarded(
                self.device.notify_subscriber(to, self._chars.machine_status, value)
            )

    async def _notify(self, characteristic: Any, value: bytes) -> None:
        if self._connections:
            await self._guarded(self.device.notify_subscribers(characteristic, value))

    async def _guarded(self, send: Awaitable[None]) -> None:
        # A notification racing a disconnection is lost, as it would be over the air.
        try:
            await send
        except Exception as error:
            log.debug("notification not sent: %r", error)

    # --- links --------------------------------------------------------------------------------
    async def _advertise(self) -> None:
        if self._running and Fault.LINK_LOST not in self._faults:
            # Restarted by hand after each disconnection (not auto_restart) so that a
            # LINK_LOST fault can keep the machine silent.
            await self.device.start_advertising(
                auto_restart=False, advertising_interval_min=20.0, advertising_interval_max=20.0
            )

    def _on_connection(self, connection: Connection) -> None:
        refused = Fault.LINK_REFUSED in self._faults
        self.connection_log.append(ConnectionRecord(self._now(), _address(connection), refused))
        if refused:
            log.info("connection from %s refused", _address(connection))
            connection.on("disconnection", lambda _reason: self._spawn(self._advertise()))
            self._spawn(self._disconnect(connection))
            self._changed()
            return
        log.info("connection from %s", _address(connection))
        self._connections.add(connection)
        connection.on("disconnection", lambda _reason: self._on_disconnection(connection))
        self._changed()

    def _on_disconnection(self, connection: Connection) -> None:
        log.info("disconnection of %s", _address(connection))
        self._connections.discard(connection)
        self._indicating.discard(connection)
        self._in_procedure.discard(connection)
        if self._controller is connection:
            self._controller = None
        self._changed()
        if not self._connections:
            self._spawn(self._advertise())

    async def _disconnect(self, connection: Connection) -> None:
        try:
            await connection.disconnect()
        except Exception as error:  # already gone
            log.debug("disconnect of %s: %r", _address(connection), error)

    # --- plumbing -----------------------------------------------------------------------------
    def _changed(self) -> None:
        for predicate, future in self._waiters:
            if future.done():
                continue
            try:
                if predicate(self):
                    future.set_result(None)
            except Exception as error:
                future.set_exception(error)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        if not self._running:  # stopping: nothing may outlive stop()
            coroutine.close()
            return
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("simulator task %s failed", task.get_coro(), exc_info=error)


def _address(connection: Connection) -> str:
    return str(connection.peer_address).removesuffix("/P")


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
