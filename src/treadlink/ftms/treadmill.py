"""`FtmsTreadmill`: the FTMS driver behind treadlink's one treadmill interface.

It reads the Fitness Machine Service's features and supported ranges, subscribes to Treadmill
Data, Fitness Machine Status, Training Status and the control point's indications, and says what
they mean in the interface's words (treadlink.treadmill.state):

    Treadmill Data                       → Telemetry
    status 02 (stopped or paused by user) → StoppedOnConsole
    status 03 (safety key)                → SafetyKeyPulled
    status 04 (started by user)           → StartedOnConsole
    status 05 (target speed changed)      → TargetSpeedChanged
    status FF (control permission lost)   → ControlLost
    status 01 (reset), or a training status other than post-workout after the key
                                          → SafetyKeyBack
    a success answer to Stop or Pause     → StopTaken("indication")

Commands go through the control point (treadlink.ftms.control): one procedure at a time, a
stop that never queues.

FTMS counts speed in km/h, but some units count mph under that label (treadlink.treadmill.known):
for those the speed range is a mile grid, and every speed read or written is converted here,
once, so everything above sees true km/h.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from typing import ClassVar

from treadlink.ftms.control import ControlPoint
from treadlink.ftms.layouts import (
    ControlResponse,
    Features,
    MachineStatus,
    decode_incline_range,
    decode_speed_range,
    decode_training_status,
    decode_treadmill_data,
    incline_parameter,
    speed_parameter,
)
from treadlink.ftms.protocol import (
    Characteristic,
    MachineStatusOp,
    OpCode,
    ResultCode,
    StopPause,
    TargetSettingFeature,
    TrainingStatus,
)
from treadlink.treadmill.base import Capabilities, Commands, DeviceInfo, GattPort, Treadmill
from treadlink.treadmill.errors import Command, LinkLost, WriteRefused
from treadlink.treadmill.known import UnitChoice, speed_unit_of
from treadlink.treadmill.state import (
    ControlLost,
    SafetyKeyBack,
    SafetyKeyPulled,
    StartedOnConsole,
    StoppedOnConsole,
    StopTaken,
    TargetSpeedChanged,
    Telemetry,
    TreadmillEvent,
)
from treadlink.treadmill.units import KM_PER_MILE, SpeedUnit

log = logging.getLogger(__name__)
_SPEEDS = ("speed_kmh", "average_speed_kmh")  # the Treadmill Data fields in the speed unit

_SUBSCRIBED = (
    Characteristic.FITNESS_MACHINE_CONTROL_POINT,
    Characteristic.TREADMILL_DATA,
    Characteristic.FITNESS_MACHINE_STATUS,
    Characteristic.TRAINING_STATUS,
)


class FtmsTreadmill(Treadmill):
    protocol: ClassVar[str] = "ftms"

    def __init__(self, name: str | None, address: str, *, procedure_timeout: float = 2.0) -> None:
        super().__init__(name, address)
        self._control = ControlPoint(
            self._write, timeout=procedure_timeout, on_response=self._on_response
        )
        self.features: Features | None = None
        # What each Stop-or-Pause write asked for, oldest first: an answer names only the op
        # code (0x08), and a late answer to a Pause must not pass for the Stop's.
        self._stops_in_flight: deque[tuple[int, int]] = deque(maxlen=64)  # (kind, write number)
        self._writes = 0
        self.training_status: TrainingStatus | int | None = None
        self._key_out = False  # status 03 seen, and the console not back from it yet
        self.unit_choice: UnitChoice | None = None  # its speed label overruled, and why
        self._kmh_per_unit = 1.0  # KM_PER_MILE on a unit that counts mph and says km/h

    # --- the link's side -------------------------------------------------------------------
    async def _set_up(self, port: GattPort, info: DeviceInfo) -> Capabilities:
        self.features = features = Features.decode(
            await port.read(Characteristic.FITNESS_MACHINE_FEATURE)
        )
        incline = None
        if port.has(Characteristic.SUPPORTED_INCLINATION_RANGE):
            raw = await port.read(Characteristic.SUPPORTED_INCLINATION_RANGE)
            incline = decode_incline_range(raw)
        speeds = decode_speed_range(await port.read(Characteristic.SUPPORTED_SPEED_RANGE))
        if self.unit_choice is None:  # judged once: a reconnect drives it the same way
            self.unit_choice = speed_unit_of(self.name, self.address, info.model)
        if self.unit_choice is not None and self.unit_choice.speed_unit is SpeedUnit.MPH:
            speeds = dataclasses.replace(speeds, speed_unit=SpeedUnit.MPH)
            self._kmh_per_unit = KM_PER_MILE
        capabilities = Capabilities(
            info=info,
            speed_range=speeds,
            incline_range=incline,
            incline_settable=TargetSettingFeature.INCLINATION_TARGET_SETTING in features.targets,
        )
        handlers = {
            Characteristic.FITNESS_MACHINE_CONTROL_POINT: self.on_control_point,
            Characteristic.TREADMILL_DATA: self.on_treadmill_data,
            Characteristic.FITNESS_MACHINE_STATUS: self.on_machine_status,
            Characteristic.TRAINING_STATUS: self.on_training_status,
        }
        for characteristic in _SUBSCRIBED:
            if port.has(characteristic):
                await port.subscribe(characteristic, handlers[characteristic])
        if port.has(Characteristic.TRAINING_STATUS):
            self.on_training_status(await port.read(Characteristic.TRAINING_STATUS))
        return capabilities

    def details(self) -> list[tuple[str, str]]:
        features = self.features
        if features is None:
            return []
        machine = ", ".join(str(f.name).lower() for f in features.machine) or "none"
        targets = ", ".join(str(f.name).lower() for f in features.targets) or "none"
        details = [("reports", machine), ("targets", targets)]
        if self.unit_choice is not None:
            unit = self.unit_choice.speed_unit
            details.append(
                ("speed unit", f"{unit} under FTMS's km/h label: {self.unit_choice.why}")
            )
        return details

    def _attached(self) -> None:
        pass  # FTMS pushes what it reports: nothing to poll

    def _detached(self) -> None:
        self._stops_in_flight.clear()  # answers to writes on a dead link never come
        self._control.link_lost()

    # --- what the treadmill reports ----------------------------------------------------------
    def on_control_point(self, data: bytes) -> None:
        self._control.on_indication(data)

    def on_treadmill_data(self, data: bytes) -> None:
        frame = self._decoded(decode_treadmill_data, data)
        if frame is None:
            return
        if frame.extra:
            log.debug("treadmill data carries %d byte(s) past its fields", len(frame.extra))
        values = dict(frame.values)
        for name in _SPEEDS:
            if name in values:
                values[name] = self._kmh(values[name])
        self.state = self.state.updated(values)
        self._emit(Telemetry(self._now(), self.state))

    def _kmh(self, labelled: float) -> float:
        """A speed as the treadmill reported it, in true km/h."""
        if self._kmh_per_unit == 1.0:
            return labelled
        return round(labelled * self._kmh_per_unit, 3)

    def on_machine_status(self, data: bytes) -> None:
        status = self._decoded(MachineStatus.decode, data)
        if status is None:
            return
        event = self._meaning(status)
        if event is not None:
            self._emit(event)

    def _meaning(self, status: MachineStatus) -> TreadmillEvent | None:
        now, op, value = self._now(), status.op, status.value
        if op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER:
            return StoppedOnConsole(now, paused=value == StopPause.PAUSE)
        if op == MachineStatusOp.STOPPED_BY_SAFETY_KEY:
            self._key_out = True
            return SafetyKeyPulled(now)
        if op == MachineStatusOp.STARTED_OR_RESUMED_BY_USER:
            return StartedOnConsole(now)
        if op == MachineStatusOp.TARGET_SPEED_CHANGED and isinstance(value, float | int):
            return TargetSpeedChanged(now, self._kmh(float(value)))
        if op == MachineStatusOp.CONTROL_PERMISSION_LOST:
            return ControlLost(now)
        if op == MachineStatusOp.RESET:
            self._key_out = False
            return SafetyKeyBack(now)
        return None

    def on_training_status(self, data: bytes) -> None:
        status = self._decoded(decode_training_status, data)
        if status is None or status == self.training_status:
            return
        self.training_status = status
        if self._key_out and status != TrainingStatus.POST_WORKOUT:
            self._key_out = False  # the console is back from the key stop
            self._emit(SafetyKeyBack(self._now()))

    def _on_response(self, response: ControlResponse) -> None:
        # Told of every answer, a late one too: a late success to a Stop still means the
        # treadmill took it (the guard counts it only after a Stop of its own). Answers come in
        # the order of the writes the treadmill took, one procedure at a time.
        if response.request != OpCode.STOP_OR_PAUSE or not self._stops_in_flight:
            return
        kind, _ = self._stops_in_flight.popleft()
        if kind == StopPause.STOP and response.result == ResultCode.SUCCESS:
            self._emit(StopTaken(self._now(), "indication"))

    async def _write(self, request: bytes) -> None:
        port = self._port
        if port is None:
            raise LinkLost("not connected to the treadmill")
        noted = None
        if request[0] == OpCode.STOP_OR_PAUSE and len(request) > 1:
            # Noted before the write: one cut short may still have reached the treadmill, and
            # a misread answer then errs the safe way only (a Stop's taken for a Pause's).
            self._writes += 1
            noted = (request[1], self._writes)
            self._stops_in_flight.append(noted)
        try:
            await port.write(Characteristic.FITNESS_MACHINE_CONTROL_POINT, request, response=True)
        except WriteRefused:
            if noted is not None:
                self._stops_in_flight.remove(noted)  # refused by its ATT layer: no answer
            raise

    def _make_commands(self) -> FtmsCommands:
        return FtmsCommands(self, self._control)


class FtmsCommands(Commands):
    def __init__(self, treadmill: FtmsTreadmill, control: ControlPoint) -> None:
        super().__init__(treadmill)
        self._ftms = treadmill
        self._control = control

    @property
    def procedure_timeout(self) -> float:
        return self._control.timeout

    async def request_control(self) -> None:
        op = OpCode.REQUEST_CONTROL
        await self._reported(Command.REQUEST_CONTROL, self._control.execute(op))

    async def reset(self) -> None:
        """FTMS's Reset (0x01): for tests of the control point only, no interface command."""
        await self._control.execute(OpCode.RESET)

    async def set_speed(self, kmh: float) -> None:
        parameter = speed_parameter(self._ftms.speed_units(kmh))
        op = OpCode.SET_TARGET_SPEED
        await self._reported(Command.SET_SPEED, self._control.execute(op, parameter))

    async def set_incline(self, pct: float) -> None:
        parameter = incline_parameter(self._ftms.incline_units(pct))
        op = OpCode.SET_TARGET_INCLINATION
        await self._reported(Command.SET_INCLINE, self._control.execute(op, parameter))

    async def start(self) -> None:
        op = OpCode.START_OR_RESUME
        await self._reported(Command.START, self._control.execute(op))

    async def stop(self, *, timeout: float | None = None) -> None:
        await self._control.stop(StopPause.STOP, timeout=timeout)

    async def pause(self, *, timeout: float | None = None) -> None:
        await self._control.stop(StopPause.PAUSE, timeout=timeout)
