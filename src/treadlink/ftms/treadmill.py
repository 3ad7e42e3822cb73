"""`Treadmill`: one FTMS treadmill as typed state and events, fed with the bytes its link receives.

This layer knows FTMS, not Bluetooth: the link (treadlink.ble.link) connects, reads the
capabilities into `capabilities`, feeds every notification to the `on_*` handlers and writes the
control point through the port it attaches. Anyone may `subscribe` to what the treadmill
reports; only one owner may command it:

    commands = treadmill.take_control(guard.on_treadmill)   # once per treadmill, ever
    await commands.set_speed(8.2)                            # 0x0334 on the wire, never 819

`take_control` hands out the one `Commands` object and makes its taker the first to hear every
event, before any subscriber. The safety guard takes it as the link comes up, so nothing else in
the program can write to the treadmill, and no display or recorder hears a frame before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from treadlink.fanout import Fanout
from treadlink.ftms.control import ControlPoint, ControlPointError, LinkLost
from treadlink.ftms.layouts import (
    ControlResponse,
    Features,
    MachineStatus,
    MalformedFrame,
    Range,
    SetpointError,
    decode_training_status,
    decode_treadmill_data,
    incline_parameter,
    setpoint_units,
    speed_parameter,
)
from treadlink.ftms.protocol import OpCode, StopPause, TargetSettingFeature
from treadlink.ftms.state import (
    Answered,
    CommandFailed,
    Connected,
    Disconnected,
    StatusChanged,
    Telemetry,
    TrainingStatusChanged,
    TreadmillEvent,
    TreadmillState,
)

log = logging.getLogger(__name__)

Listener = Callable[[TreadmillEvent], None]


class ControlPointPort(Protocol):
    """What the link offers this layer: a control-point write with response that raises
    WriteRefused (an ATT error) or LinkLost (no link)."""

    async def write_control_point(self, data: bytes) -> None: ...


class ControlTaken(RuntimeError):
    """`take_control` was called a second time: the treadmill has one commander."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the treadmill says it is and can do, read once per connection."""

    info: DeviceInfo
    features: Features
    speed_range: Range
    incline_range: Range | None


class Treadmill:
    def __init__(self, name: str | None, address: str, *, procedure_timeout: float = 2.0) -> None:
        self.name = name
        self.address = address
        self._events: Fanout[TreadmillEvent] = Fanout()
        self._first: Listener | None = None  # the commander's watcher: hears everything first
        self._port: ControlPointPort | None = None
        self._control = ControlPoint(
            self._write, timeout=procedure_timeout, on_response=self._on_response
        )
        self._commands: Commands | None = None
        self.capabilities: Capabilities | None = None
        self.state = TreadmillState()
        self.frames_dropped = 0

    @property
    def label(self) -> str:
        return self.name or self.address

    # --- the link's side -------------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        return self._port is not None

    def attach(self, port: ControlPointPort, capabilities: Capabilities) -> None:
        """The link is up: commands go through `port` from now on."""
        self.capabilities = capabilities
        self._port = port
        self._emit(Connected(self._now()))

    def detach(self, *, solicited: bool) -> None:
        """The link is down: every procedure in flight fails, later ones fail at once."""
        self._port = None
        self._control.link_lost()
        self._emit(Disconnected(self._now(), solicited=solicited))

    def on_control_point(self, data: bytes) -> None:
        self._control.on_indication(data)

    def on_treadmill_data(self, data: bytes) -> None:
        frame = self._decoded(decode_treadmill_data, data)
        if frame is None:
            return
        if frame.extra:
            log.debug("treadmill data carries %d byte(s) past its fields", len(frame.extra))
        self.state = self.state.updated(frame.values)
        self._emit(Telemetry(self._now(), self.state))

    def on_machine_status(self, data: bytes) -> None:
        status = self._decoded(MachineStatus.decode, data)
        if status is not None:
            self._emit(StatusChanged(self._now(), status))

    def on_training_status(self, data: bytes) -> None:
        status = self._decoded(decode_training_status, data)
        if status is None or status == self.state.training_status:
            return
        self.state = self.state.updated({"training_status": status})
        self._emit(TrainingStatusChanged(self._now(), status))

    # --- what the treadmill can do ---------------------------------------------------------
    @property
    def speed_range(self) -> Range | None:
        return self.capabilities.speed_range if self.capabilities else None

    @property
    def incline_range(self) -> Range | None:
        return self.capabilities.incline_range if self.capabilities else None

    @property
    def supports_incline(self) -> bool:
        c = self.capabilities
        return (
            c is not None
            and c.incline_range is not None
            and TargetSettingFeature.INCLINATION_TARGET_SETTING in c.features.targets
        )

    def speed_units(self, kmh: float) -> int:
        """Wire units for a target speed, or SetpointError if the treadmill cannot take it."""
        if self.speed_range is None:
            raise SetpointError("not connected: the treadmill's speed range is not known yet")
        return setpoint_units("speed", kmh, self.speed_range)

    def incline_units(self, pct: float) -> int:
        if self.incline_range is None or not self.supports_incline:
            raise SetpointError("this treadmill does not take an inclination target")
        return setpoint_units("incline", pct, self.incline_range)

    # --- events ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event, after the commander's watcher."""
        return self._events.subscribe(listener)

    def take_control(self, watcher: Listener) -> Commands:
        """The one command surface, for the one owner; `watcher` hears every event first."""
        if self._commands is not None:
            raise ControlTaken(f"{self.label}: the control point already has its owner")
        self._first = watcher
        self._commands = Commands(self, self._control)
        return self._commands

    def _emit(self, event: TreadmillEvent) -> None:
        if self._first is not None:
            try:
                self._first(event)
            except Exception:  # the watcher must never be the reason a frame is lost
                log.exception("the treadmill's watcher failed on %r", event)
        self._events.emit(event)

    def _on_response(self, response: ControlResponse) -> None:
        self._emit(Answered(self._now(), response))

    def _decoded[T](self, decode: Callable[[bytes], T], data: bytes) -> T | None:
        """Decode a notification, or log and drop it: never raise out of a link callback."""
        try:
            return decode(data)
        except MalformedFrame as e:
            self.frames_dropped += 1
            log.warning("dropped notification %s: %s", data.hex(" "), e)
            return None

    async def _write(self, request: bytes) -> None:
        port = self._port
        if port is None:
            raise LinkLost("not connected to the treadmill")
        await port.write_control_point(request)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()


class Commands:
    """The treadmill's control procedures, checked against its advertised ranges before any
    byte is written. Only `Treadmill.take_control` makes one. A command that does not succeed
    is reported as CommandFailed to the treadmill's listeners, whoever sent it."""

    def __init__(self, treadmill: Treadmill, control: ControlPoint) -> None:
        self._treadmill = treadmill
        self._control = control

    @property
    def procedure_timeout(self) -> float:
        return self._control.timeout

    async def request_control(self) -> ControlResponse:
        op = OpCode.REQUEST_CONTROL
        return await self._reported(op, self._control.execute(op))

    async def reset(self) -> ControlResponse:
        return await self._reported(OpCode.RESET, self._control.execute(OpCode.RESET))

    async def set_speed(self, kmh: float) -> ControlResponse:
        parameter = speed_parameter(self._treadmill.speed_units(kmh))
        op = OpCode.SET_TARGET_SPEED
        return await self._reported(op, self._control.execute(op, parameter))

    async def set_incline(self, pct: float) -> ControlResponse:
        parameter = incline_parameter(self._treadmill.incline_units(pct))
        op = OpCode.SET_TARGET_INCLINATION
        return await self._reported(op, self._control.execute(op, parameter))

    async def start(self) -> ControlResponse:
        op = OpCode.START_OR_RESUME
        return await self._reported(op, self._control.execute(op))

    async def stop(self, *, timeout: float | None = None) -> ControlResponse:
        """Stop now: never waits behind another command (see ControlPoint.stop)."""
        return await self._control.stop(StopPause.STOP, timeout=timeout)

    async def pause(self, *, timeout: float | None = None) -> ControlResponse:
        """Pause now, the same way as a stop: queued commands are dropped."""
        return await self._control.stop(StopPause.PAUSE, timeout=timeout)

    async def _reported(
        self, op: OpCode, procedure: Coroutine[Any, Any, ControlResponse]
    ) -> ControlResponse:
        try:
            return await procedure
        except ControlPointError as e:
            self._treadmill._emit(CommandFailed(self._treadmill._now(), op, str(e)))
            raise
