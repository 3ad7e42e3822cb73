"""The FitShow server: FitShow's private protocol on 0xFFF0, 0xFFE0 or NoblePro's 0xAE00.

Requests are written to the write characteristic; every answer is notified on the notify one, to
the client that asked, a profile's `indication_delay_s` later. The console never pushes a status:
it answers each poll (`02 51 51 03`). Bytes come from treadlink.fitshow, the codec the bridge
reads them with. The sources of each behaviour are in docs/simulator.md and docs/fitshow.md.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

from bumble.core import UUID
from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from treadlink.fitshow.frames import Frame, MalformedFrame
from treadlink.fitshow.protocol import (
    BeltState,
    Command,
    Control,
    DisableReason,
    Info,
    StatusCode,
)
from treadlink.fitshow.replies import (
    ControlAck,
    InclineInfo,
    ModelInfo,
    OtherReply,
    ReadyAck,
    Reply,
    SpeedInfo,
    StatusReply,
    TargetAck,
    Unsupported,
    Workout,
)
from treadlink.fitshow.requests import (
    ControlRequest,
    InfoRequest,
    OtherRequest,
    ReadyRequest,
    StatusRequest,
    TargetRequest,
    decode_request,
)
from treadlink.ftms.protocol import StopPause
from treadlink_sim import recorded
from treadlink_sim.faults import TRAILING, Fault
from treadlink_sim.profile import MachineProfile
from treadlink_sim.quirks import Quirk
from treadlink_sim.records import ControlPointRecord, address_of
from treadlink_sim.servers import ProtocolServer

if TYPE_CHECKING:
    from treadlink_sim.treadmill import TreadmillSimulator

log = logging.getLogger(__name__)

_P = Characteristic.Properties
_READY_WAITS_FOR_START = 0x80  # READY's mode bit 7: not compatibility mode, START starts

# Faults that have no FitShow counterpart, and why.
_NO_COUNTERPART = {
    Fault.CONTROL_FAILING: "FitShow has no result codes: a command is done or ignored",
    Fault.CONTROL_TAKEN: "FitShow has no control permission to take",
    Fault.REQUEST_CONTROL_UNANSWERED: "FitShow has no Request Control",
    Fault.EMPTY_MACHINE_STATUS: "a FitShow console never pushes a status (it answers polls)",
}
_STATUS_OF = {
    BeltState.IDLE: StatusCode.NORMAL,
    BeltState.RUNNING: StatusCode.RUNNING,
    BeltState.STOPPING: StatusCode.STOPPING,
    BeltState.PAUSED: StatusCode.PAUSED,
    BeltState.STOPPED: StatusCode.END,
}
CONSOLE_ERROR_CODE = 0x01  # the code status 05 carries under Fault.CONSOLE_ERROR


class FitShowServer(ProtocolServer):
    protocol = "FitShow"

    def __init__(self, machine: TreadmillSimulator) -> None:
        super().__init__(machine)
        self.transport = machine.profile.fitshow_transport
        self.units = machine.profile.fitshow_units()
        self.polls: list[float] = []  # loop time of every status poll, for the poll cadence
        self._notify = Characteristic(
            UUID.from_16_bits(self.transport.notify),
            _P.NOTIFY,
            Characteristic.Permissions(0),
            b"",
        )
        # Write without response only, as on the F15 and the TR1200's FS-BT-D2 module.
        write: Characteristic[bytes] = Characteristic(
            UUID.from_16_bits(self.transport.write),
            _P.WRITE_WITHOUT_RESPONSE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_write),
        )
        self._service = Service(UUID.from_16_bits(self.transport.service), [self._notify, write])

    def services(self) -> list[Service]:
        return [self._service]

    def advertised_uuids(self) -> list[UUID]:
        return [UUID.from_16_bits(self.transport.service)]

    @classmethod
    def fault_unsupported(cls, fault: Fault, profile: MachineProfile) -> str | None:
        return _NO_COUNTERPART.get(fault)

    # --- requests -----------------------------------------------------------------------------
    def _on_write(self, connection: Connection, value: bytes) -> None:
        machine, data = self.machine, bytes(value)
        machine.heard(data)
        try:
            request = decode_request(data)
        except MalformedFrame as error:
            self._log(data, f"ignored, not a frame ({error})")
            return
        if isinstance(request, StatusRequest):
            self.polls.append(machine.now())
            if Fault.TELEMETRY_SILENT not in machine.fault_state:
                machine.spawn(self._answer(connection, self._status_frame(), status=True))
            return
        reply, answer = self._perform(request)
        self._log(data, answer)
        machine.changed()
        if reply is not None:
            machine.spawn(self._answer(connection, reply.encode()))

    def _perform(
        self, request: InfoRequest | ReadyRequest | TargetRequest | ControlRequest | OtherRequest
    ) -> tuple[Reply | None, str]:
        """Apply one request; the reply to send (None: none) and what the console did."""
        machine = self.machine
        if isinstance(request, InfoRequest):
            return self._info(request.info)
        if isinstance(request, OtherRequest):
            # The spec: a command the console does not know is echoed, without data.
            echo = OtherReply(Frame(request.frame.command, request.frame.data[:1]))
            return echo, "echoed: not a command it knows"
        state = machine.console.state
        if Fault.CONTROL_REFUSED in machine.fault_state:
            return None, "ignored (control refused)"
        if state in (BeltState.SLEEPING, BeltState.ERROR):
            return None, f"ignored: the console is {state}"
        stopping = (Control.STOP, machine.profile.fitshow_pause_subcommand)
        if isinstance(request, ControlRequest) and request.control in stopping:
            return self._control(request.control)
        if not machine.can_start:  # the safety key is out: nothing that would move the belt
            return None, f"ignored: {state}"
        if isinstance(request, ReadyRequest):
            return self._ready(request)
        if isinstance(request, TargetRequest):
            return self._target(request)
        return self._control(request.control)

    def _info(self, info: Info | int) -> tuple[Reply, str]:
        profile, speeds = self.machine.profile, self.machine.speeds
        if (reply := recorded.info_reply(profile, info)) is not None:
            return reply, "as recorded"
        if info == Info.SPEED:
            low, high = (round(speeds.value(u) * 10) for u in (speeds.minimum, speeds.maximum))
            return SpeedInfo(high, low), "speed range"
        if info == Info.INCLINE and profile.incline:
            inclines, step = self.machine.inclines, self.units.incline_step_pct
            low, high = (
                round(inclines.value(u) / step) for u in (inclines.minimum, inclines.maximum)
            )
            miles = profile.speed_unit == "mph" and Quirk.MPH_LABELLED_KMH not in profile.quirks
            config = (0x01 if miles else 0x00) | 0x02  # bit 1: pause supported
            return InclineInfo(high, low, config), "incline range"
        if info == Info.MODEL:
            return ModelInfo(profile.fitshow_brand, profile.fitshow_model_code), "model"
        return Unsupported(Command.SYS_INFO, info), "echoed: no such information"

    def _ready(self, request: ReadyRequest) -> tuple[Reply, str]:
        machine = self.machine
        if machine.running:
            return ReadyAck(0), "acknowledged: already running"
        if request.mode & _READY_WAITS_FOR_START and machine.stopped:
            machine.console.awaiting_start = True
            machine.changed()
            return ReadyAck(machine.profile.countdown_s), "ready: waits for START"
        machine.start_belt()
        return ReadyAck(machine.profile.countdown_s), "start"

    def _target(self, request: TargetRequest) -> tuple[Reply, str]:
        machine, console = self.machine, self.machine.console
        counting = console.state is BeltState.COUNTDOWN
        done = []
        if counting and console.has(Quirk.COUNTDOWN_IGNORES_TARGETS):
            done.append("ignored during the countdown")
        else:
            speed = request.speed / 10
            if request.speed and machine.speeds.units_of(speed) is not None:
                machine.set_target_speed(speed)
                done.append(f"speed {speed}")
            else:
                done.append(f"speed {speed} off range: kept")
            if request.incline is not None and machine.profile.incline:
                incline = self.units.incline_pct(request.incline)
                if machine.inclines.units_of(incline) is not None:
                    machine.set_target_incline(incline)
                    done.append(f"incline {incline}")
                else:
                    done.append(f"incline {incline} off range: kept")
        return self._actual_target(), "target: " + ", ".join(done)

    def _actual_target(self) -> TargetAck:
        machine = self.machine
        speed = round(machine.console.in_units(machine.target_speed_kmh) * 10)
        if not machine.profile.incline:
            return TargetAck(speed)
        incline = round(machine.target_incline_pct / self.units.incline_step_pct)
        return TargetAck(speed, incline)

    def _control(self, control: Control | int) -> tuple[Reply, str]:
        machine = self.machine
        if control == Control.STOP:
            machine.stop_belt(StopPause.STOP)
            return ControlAck(control), "stop"
        if control == machine.profile.fitshow_pause_subcommand:
            machine.stop_belt(StopPause.PAUSE)
            return ControlAck(control), "pause"
        if control == Control.START:
            machine.start_belt()
            return ControlAck(control), "start"
        # The spec: a command the console does not know is echoed, and nothing is done.
        return ControlAck(control), "echoed: not a command it knows"

    # --- answers ------------------------------------------------------------------------------
    async def _answer(self, connection: Connection, frame: bytes, status: bool = False) -> None:
        machine = self.machine
        faults = machine.fault_state
        if not status:
            if Fault.INDICATIONS_LOST in faults:
                return
            frame = faults.indication(frame)  # GARBAGE_INDICATION: bytes that are no reply
        delay = machine.profile.indication_delay_s + faults.late_s
        if delay:
            await asyncio.sleep(delay)
        if status:  # read now: a late answer tells the state it is sent in
            frame = self._status_frame()
        send = machine.device.notify_subscriber(connection, self._notify, frame)
        await machine.guarded(send)

    def _status_frame(self) -> bytes:
        faults = self.machine.fault_state
        frame = self.status().encode()
        if Fault.TRAILING_BYTES in faults:
            decoded = Frame.decode(frame)
            frame = Frame(decoded.command, decoded.data + TRAILING).encode()
        if Fault.TRUNCATED_TREADMILL_DATA in faults:
            frame = frame[:-1]
        return frame

    def status(self) -> StatusReply:
        """The status the console would answer a poll with now (before malformation faults)."""
        console = self.machine.console
        state = console.state
        if state is BeltState.COUNTDOWN:
            if console.awaiting_start:
                return StatusReply(StatusCode.READY)
            return StatusReply(StatusCode.START, countdown_s=console.countdown_left_s)
        if state is BeltState.ERROR:
            return StatusReply(StatusCode.ERROR, detail=CONSOLE_ERROR_CODE)
        if state in (BeltState.SAFETY_KEY_OUT, BeltState.SLEEPING):
            sleeping = state is BeltState.SLEEPING
            reason = DisableReason.SLEEP if sleeping else DisableReason.SAFETY_KEY
            return StatusReply(StatusCode.DISABLE, detail=reason)
        code = _STATUS_OF[state]
        if code is StatusCode.NORMAL:
            return StatusReply(code)
        return StatusReply(code, self._workout(code))

    def _workout(self, code: StatusCode) -> Workout:
        machine, console = self.machine, self.machine.console
        moving = code in (StatusCode.RUNNING, StatusCode.STOPPING)
        # Paused and stopped frames repeat the speed the belt had (QZ f39ca765d).
        kmh = console.telemetry_speed_kmh() if moving else console.last_speed_kmh
        counters = console.counters()
        # Metres, or on a mile console 0.001 mile (LifeSpan TX6): one console unit of distance
        # is as many metres as its speed unit is km/h.
        distance = counters.distance_m / console.kmh_per_unit
        incline = round(machine.incline_pct / self.units.incline_step_pct)
        heart_rate = machine.heart_rate_bpm if machine.profile.heart_rate else 0
        return Workout(
            speed=min(round(console.in_units(kmh) * 10), 0xFF),
            incline=max(-0x80, min(incline, 0x7F)),
            elapsed_s=min(math.floor(counters.elapsed_s), 0xFFFF),
            distance=min(math.floor(distance), 0xFFFF),
            energy=min(math.floor(counters.energy_kcal * 10), 0xFFFF),
            steps=min(math.floor(counters.steps), 0xFFFF) if machine.profile.step_count else 0,
            heart_rate=min(heart_rate, 0xFF),
            segment=0,
        )

    def _log(self, data: bytes, answer: str) -> None:
        record = ControlPointRecord(self.machine.now(), data, answer=answer)
        self.machine.control_point_log.append(record)
        log.debug("FitShow %s from a client: %s", data.hex(" "), answer)

    def on_disconnection(self, connection: Connection) -> None:
        log.debug("FitShow client %s gone", address_of(connection))
