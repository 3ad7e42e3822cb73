"""The FTMS server: the Fitness Machine Service on top of the machine.

Treadmill Data on every telemetry tick, the control point with its one-procedure-at-a-time rule and
its response indications, Fitness Machine Status and Training Status as a real FTMS treadmill
sends them, and the FTMS quirks a profile switches on (quirks.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, Any

from bumble import att
from bumble.core import UUID
from bumble.device import Connection
from bumble.gatt import Service

from treadlink.ftms.layouts import ControlResponse, MachineStatus, encode_treadmill_data
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
from treadlink_sim.console import counters_rate_kcal_h
from treadlink_sim.faults import Fault
from treadlink_sim.profile import MachineProfile
from treadlink_sim.quirks import RESERVED_FLAG, Quirk
from treadlink_sim.records import ControlPointRecord, address_of
from treadlink_sim.servers import Change, MachineEvent, ProtocolServer

if TYPE_CHECKING:
    from treadlink_sim.treadmill import TreadmillSimulator

log = logging.getLogger(__name__)

_UINT16_MAX = 0xFFFF
_UINT24_MAX = 0xFFFFFF

# The Machine Status a console change is announced with, by the change.
_CONSOLE_STATUS = {
    Change.STARTED: MachineStatus(MachineStatusOp.STARTED_OR_RESUMED_BY_USER),
    Change.STOPPED: MachineStatus(MachineStatusOp.STOPPED_OR_PAUSED_BY_USER, StopPause.STOP),
    Change.PAUSED: MachineStatus(MachineStatusOp.STOPPED_OR_PAUSED_BY_USER, StopPause.PAUSE),
}
# Training Status after each change, whoever made it.
_TRAINING = {
    Change.COUNTDOWN: TrainingStatus.PRE_WORKOUT,
    Change.STARTED: TrainingStatus.MANUAL_MODE,
    Change.CONSOLE_ERROR: TrainingStatus.POST_WORKOUT,
    Change.STOPPED: TrainingStatus.POST_WORKOUT,
    Change.PAUSED: TrainingStatus.IDLE,
    Change.SAFETY_KEY_OUT: TrainingStatus.POST_WORKOUT,
    # The key is back: the console leaves its post-workout screen for idle, which is the only
    # word FTMS gives of it.
    Change.SAFETY_KEY_IN: TrainingStatus.IDLE,
    Change.RESET: TrainingStatus.IDLE,
}


class _OtherClient:
    """Stands for a second client that took control (Fault.CONTROL_TAKEN)."""


_OTHER_CLIENT = _OtherClient()


class FtmsServer(ProtocolServer):
    protocol = "FTMS"

    def __init__(self, machine: TreadmillSimulator) -> None:
        super().__init__(machine)
        self.training_status = TrainingStatus.IDLE
        self._indicating: set[Any] = set()  # bearers that enabled control-point indications
        self._in_procedure: set[Connection] = set()
        self._controller: Connection | _OtherClient | None = None
        self._service, self._chars = gatt.build_ftms(
            machine.profile, self._on_control_point_write, self._read_training_status
        )
        self._chars.control_point.on("subscription", self._on_control_point_subscription)

    def services(self) -> list[Service]:
        return [self._service]

    def advertised_uuids(self) -> list[UUID]:
        return [gatt.FTMS_UUID]

    @classmethod
    def fault_unsupported(cls, fault: Fault, profile: MachineProfile) -> str | None:
        if fault is Fault.SLEEPING:
            return "FTMS has no sleep state (no source shows what an FTMS console says asleep)"
        return None

    def has(self, quirk: Quirk) -> bool:
        return quirk in self.machine.profile.quirks

    @property
    def controller_address(self) -> str | None:
        if isinstance(self._controller, Connection):
            return address_of(self._controller)
        return None

    # --- the machine's changes, as FTMS announces them --------------------------------------------
    async def on_event(self, event: MachineEvent) -> None:
        training = _TRAINING.get(event.change)
        if training is not None and event.effective:
            self._set_training(training)
        if event.change is Change.SAFETY_KEY_OUT:
            await self._notify_status(MachineStatus(MachineStatusOp.STOPPED_BY_SAFETY_KEY))
        elif event.by_console and event.change in _CONSOLE_STATUS:
            await self._notify_status(_CONSOLE_STATUS[event.change])
        elif event.by_console and event.change is Change.TARGET_SPEED:
            op = MachineStatusOp.TARGET_SPEED_CHANGED
            await self._notify_status(MachineStatus(op, event.value))
        elif event.by_console and event.change is Change.TARGET_INCLINE:
            op = MachineStatusOp.TARGET_INCLINE_CHANGED
            await self._notify_status(MachineStatus(op, event.value))

    async def on_fault(self, fault: Fault, active: bool) -> None:
        if fault is not Fault.CONTROL_TAKEN:
            return
        if active:
            previous, self._controller = self._controller, _OTHER_CLIENT
            if isinstance(previous, Connection):
                lost = MachineStatus(MachineStatusOp.CONTROL_PERMISSION_LOST)
                await self._notify_status(lost, previous)
        elif self._controller is _OTHER_CLIENT:
            self._controller = None

    def on_disconnection(self, connection: Connection) -> None:
        self._indicating.discard(connection)
        self._in_procedure.discard(connection)
        if self._controller is connection:
            self._controller = None

    # --- control point ----------------------------------------------------------------------------
    def _on_control_point_subscription(self, bearer: Any, _notify: bool, indicate: bool) -> None:
        if indicate:
            self._indicating.add(bearer)
        else:
            self._indicating.discard(bearer)

    def _on_control_point_write(self, connection: Connection, value: bytes) -> None:
        machine, data = self.machine, bytes(value)
        machine.heard(data)
        now = machine.now()
        refusal = None
        if connection not in self._indicating:
            refusal = ATT_CCCD_IMPROPERLY_CONFIGURED
        elif connection in self._in_procedure:
            refusal = ATT_PROCEDURE_ALREADY_IN_PROGRESS
        elif not data:
            refusal = att.ATT_INVALID_ATTRIBUTE_LENGTH_ERROR
        if refusal is not None:
            machine.control_point_log.append(ControlPointRecord(now, data, att_error=refusal))
            raise att.ATT_Error(refusal, message=f"control point write {data.hex(' ')} refused")

        faults = machine.fault_state
        unanswered = Fault.REQUEST_CONTROL_UNANSWERED in faults
        if unanswered and requests.op_code(data) is OpCode.REQUEST_CONTROL:
            # Ignored, not refused: no result, no control granted, no procedure held.
            machine.control_point_log.append(ControlPointRecord(now, data))
            return
        result, statuses = self._execute(connection, data)
        if self.has(Quirk.ALWAYS_SUCCESS):
            result = ResultCode.SUCCESS  # whatever was (or was not) done
        machine.control_point_log.append(ControlPointRecord(now, data, result=result))
        machine.changed()
        response = ControlResponse(data[0], result).encode()
        if Fault.INDICATIONS_LOST in faults:
            # Firmware that never indicates still accepts the next write: no procedure is held.
            machine.spawn(self._announce(*statuses))
            return
        self._in_procedure.add(connection)
        # Scheduled, not awaited: the ATT Write Response goes out first, then the indication.
        machine.spawn(self._respond(connection, faults.indication(response), statuses))

    async def _respond(
        self, connection: Connection, response: bytes, statuses: list[MachineStatus]
    ) -> None:
        machine = self.machine
        try:
            delay = machine.profile.indication_delay_s + machine.fault_state.late_s
            if delay:
                await asyncio.sleep(delay)
            await machine.device.indicate_subscriber(
                connection, self._chars.control_point, response
            )
        except Exception as error:  # a lost link or a client that never confirms
            log.warning("control point indication to %s failed: %r", address_of(connection), error)
        finally:
            self._in_procedure.discard(connection)
        await self._announce(*statuses)

    def _execute(
        self, connection: Connection, data: bytes
    ) -> tuple[ResultCode, list[MachineStatus]]:
        """Decide the result of one request and apply its effect on the machine."""
        op = requests.op_code(data)
        faults = self.machine.fault_state
        if op is None:
            return ResultCode.OP_CODE_NOT_SUPPORTED, []
        if Fault.CONTROL_REFUSED in faults:
            return ResultCode.CONTROL_NOT_PERMITTED, []
        if Fault.CONTROL_FAILING in faults:
            # The field quirk: Request Control answered 04 yet granted, so clearing the fault
            # leaves a client that went ahead anyway in control.
            if op is OpCode.REQUEST_CONTROL and self._controller is None:
                self._controller = connection
            return ResultCode.OPERATION_FAILED, []
        if op is not OpCode.REQUEST_CONTROL and self._controller is not connection:
            return ResultCode.CONTROL_NOT_PERMITTED, []
        request = requests.parse(data, self.machine.speeds, self.machine.inclines)
        if isinstance(request, requests.Refusal):
            return request.result, []
        return self._perform(connection, request)

    def _perform(
        self, connection: Connection, request: requests.Request
    ) -> tuple[ResultCode, list[MachineStatus]]:
        machine, ok = self.machine, ResultCode.SUCCESS
        match request.op:
            case OpCode.REQUEST_CONTROL:
                if self._controller not in (None, connection):
                    return ResultCode.CONTROL_NOT_PERMITTED, []
                self._controller = connection
                return ok, []
            case OpCode.RESET:
                machine.reset()
                self._controller = None  # FTMS: a reset hands control back
                return ok, [MachineStatus(MachineStatusOp.RESET)]
            case OpCode.SET_TARGET_SPEED:
                if machine.profile.needs_start_before_speed and not machine.running:
                    return ResultCode.OPERATION_FAILED, []
                if self.has(Quirk.IGNORES_TARGET_SPEED):
                    return ok, []  # answered, not done
                speed = machine.set_target_speed(machine.speeds.value(request.units))
                return ok, [MachineStatus(MachineStatusOp.TARGET_SPEED_CHANGED, speed)]
            case OpCode.SET_TARGET_INCLINATION:
                if not machine.profile.incline:
                    return ResultCode.OP_CODE_NOT_SUPPORTED, []
                incline = machine.set_target_incline(machine.inclines.value(request.units))
                return ok, [MachineStatus(MachineStatusOp.TARGET_INCLINE_CHANGED, incline)]
            case OpCode.START_OR_RESUME:
                if not machine.can_start:
                    return ResultCode.OPERATION_FAILED, []
                if machine.running and self.has(Quirk.START_TOGGLES_PAUSE):
                    machine.stop_belt(StopPause.PAUSE)  # a start/pause toggle (TM11GY)
                    op = MachineStatusOp.STOPPED_OR_PAUSED_BY_USER
                    return ok, [MachineStatus(op, StopPause.PAUSE)]
                machine.start_belt()
                return ok, [MachineStatus(MachineStatusOp.STARTED_OR_RESUMED_BY_USER)]
            case _:  # STOP_OR_PAUSE
                machine.stop_belt(request.stop_pause)
                op = MachineStatusOp.STOPPED_OR_PAUSED_BY_USER
                return ok, [MachineStatus(op, request.stop_pause)]

    # --- Training Status --------------------------------------------------------------------------
    def _set_training(self, status: TrainingStatus) -> None:
        if status is not self.training_status:
            self.training_status = status
            value = training_status_bytes(status)
            self.machine.spawn(self.machine.notify(self._chars.training_status, value))
        self.machine.changed()

    def _read_training_status(self, _connection: Connection) -> bytes:
        return training_status_bytes(self.training_status)

    # --- telemetry --------------------------------------------------------------------------------
    async def on_tick(self) -> None:
        faults = self.machine.fault_state
        if Fault.TELEMETRY_SILENT not in faults:
            frame = faults.treadmill_data(self.treadmill_data())
            await self.machine.notify(self._chars.treadmill_data, frame)

    def treadmill_data(self) -> bytes:
        """The Treadmill Data frame for the current state, before any malformation fault.

        Speeds are in the console's unit under FTMS's km/h label (an mph console's quirk)."""
        machine, console = self.machine, self.machine.console
        profile, counters = machine.profile, console.counters()
        incline = round(machine.incline_pct, 1)
        values: dict[str, float] = {"speed_kmh": console.in_units(console.telemetry_speed_kmh())}
        if profile.total_distance:
            values["distance_m"] = min(math.floor(counters.distance_m), _UINT24_MAX)
        if profile.incline:
            values["incline_pct"] = incline
            values["ramp_angle_deg"] = round(math.degrees(math.atan(incline / 100)), 1)
        if profile.energy:
            values["energy_total_kcal"] = min(math.floor(counters.energy_kcal), _UINT16_MAX)
            if not self.has(Quirk.NOT_AVAILABLE_SENTINELS):  # else FF FF / FF: not available
                per_hour = counters_rate_kcal_h(machine.belt_speed_kmh)
                values["energy_per_hour_kcal"] = min(round(per_hour), _UINT16_MAX - 1)
                values["energy_per_minute_kcal"] = min(round(per_hour / 60), 0xFE)
        if profile.elapsed_time:
            values["elapsed_time_s"] = min(math.floor(counters.elapsed_s), _UINT16_MAX)
        if profile.heart_rate:
            values["heart_rate_bpm"] = machine.heart_rate_bpm
        if profile.step_count:
            values["step_count"] = min(math.floor(counters.steps), _UINT24_MAX)
        frame = encode_treadmill_data(values)
        if self.has(Quirk.RESERVED_FLAG_BITS):
            flags = int.from_bytes(frame[:2], "little") | RESERVED_FLAG
            frame = flags.to_bytes(2, "little") + frame[2:]
        return frame

    # --- Fitness Machine Status -------------------------------------------------------------------
    async def _announce(self, *statuses: MachineStatus) -> None:
        for status in statuses:
            await self._notify_status(status)

    async def _notify_status(self, status: MachineStatus, to: Connection | None = None) -> None:
        machine = self.machine
        encoded = status.encode() + (b"\x00" if self.has(Quirk.STATUS_EXTRA_BYTE) else b"")
        value = machine.fault_state.machine_status(encoded)
        if to is None:
            await machine.notify(self._chars.machine_status, value)
        else:
            await machine.guarded(
                machine.device.notify_subscriber(to, self._chars.machine_status, value)
            )
