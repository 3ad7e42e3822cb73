"""`Treadmill`: one FTMS treadmill over bleak, whichever bleak backend reaches it.

    async with Treadmill(ble_device, backend=backend) as treadmill:
        await treadmill.request_control()
        await treadmill.start()
        await treadmill.set_speed(8.2)          # 0x0334 on the wire, never 819
        print(treadmill.state.speed_kmh)
        await treadmill.stop()

Setpoints are checked against the ranges the treadmill advertises before anything is written.
Listeners added with `subscribe` get every event synchronously, in arrival order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError

from treadlink.fanout import Fanout
from treadlink.ftms.control import ControlPoint, ControlPointError
from treadlink.ftms.layouts import (
    ControlResponse,
    Features,
    MachineStatus,
    MalformedFrame,
    Range,
    SetpointError,
    decode_incline_range,
    decode_speed_range,
    decode_training_status,
    decode_treadmill_data,
    incline_parameter,
    setpoint_units,
    speed_parameter,
)
from treadlink.ftms.protocol import (
    DEVICE_INFORMATION_SERVICE,
    FITNESS_MACHINE_SERVICE,
    Characteristic,
    OpCode,
    StopPause,
    TargetSettingFeature,
    uuid16,
)
from treadlink.ftms.state import (
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


class Interlock(Protocol):
    """Checked before any command that could start the belt or make it faster or steeper.

    Raises (a ControlPointError) to refuse; nothing is written then. The safety guard is one.
    """

    def check_start(self) -> None: ...

    def check_speed(self, kmh: float) -> None: ...

    def check_incline(self, pct: float) -> None: ...

    def will_stop(self, kind: StopPause) -> None:
        """Told, never asked: a stop or pause is about to be written."""


# FitShow's private treadmill protocol (many NoblePro units without FTMS) lives in service 0xFFF0.
FITSHOW_SERVICE = 0xFFF0


class NotFitnessMachine(BleakError):
    """The device does not expose the Fitness Machine Service."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None


_DEVICE_INFO_FIELDS = {
    "manufacturer": Characteristic.MANUFACTURER_NAME,
    "model": Characteristic.MODEL_NUMBER,
    "serial": Characteristic.SERIAL_NUMBER,
    "hardware_revision": Characteristic.HARDWARE_REVISION,
    "firmware_revision": Characteristic.FIRMWARE_REVISION,
    "software_revision": Characteristic.SOFTWARE_REVISION,
}


class Treadmill:
    def __init__(
        self,
        device: BLEDevice,
        *,
        backend: type[BaseBleakClient] | None = None,
        procedure_timeout: float = 2.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self.device = device
        self._backend = backend
        self._connect_timeout = connect_timeout
        self._client: BleakClient | None = None
        self._events: Fanout[TreadmillEvent] = Fanout()
        self._closing = False
        self.control = ControlPoint(self._write_control_point, timeout=procedure_timeout)
        self.state = TreadmillState()
        self.info = DeviceInfo()
        self.features: Features | None = None
        self.speed_range: Range | None = None
        self.incline_range: Range | None = None
        self.frames_dropped = 0
        self.interlock: Interlock | None = None
        # Looked up once: bleak resolves a UUID by scanning every characteristic.
        self._control_point: BleakGATTCharacteristic | None = None

    # --- connection ------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def connect(self) -> None:
        """Connect, read what the treadmill is and can do, and subscribe to what it reports."""
        client = BleakClient(
            self.device,
            disconnected_callback=self._on_disconnected,
            timeout=self._connect_timeout,
            backend=self._backend,
        )
        self._closing = False
        await client.connect()
        try:
            await self._set_up(client)
        except BaseException:
            self._closing = True
            with contextlib.suppress(BleakError, TimeoutError):
                await client.disconnect()
            raise
        self._client = client
        self.control.link_restored()
        self._emit(Connected(self._now()))

    async def _set_up(self, client: BleakClient) -> None:
        services = client.services
        if services.get_service(uuid16(FITNESS_MACHINE_SERVICE)) is None:
            hint = ""
            if services.get_service(uuid16(FITSHOW_SERVICE)) is not None:
                hint = (
                    " It exposes service 0xFFF0, FitShow's private treadmill protocol"
                    " (common on NoblePro units): treadlink drives FTMS treadmills only."
                )
            raise NotFitnessMachine(
                f"{self.device.name or self.device.address} does not expose the Fitness Machine "
                f"Service (0x1826).{hint}"
            )
        self._control_point = services.get_characteristic(
            uuid16(Characteristic.FITNESS_MACHINE_CONTROL_POINT)
        )
        self.info = await self._read_device_info(client)
        self.features = Features.decode(
            await self._read(client, Characteristic.FITNESS_MACHINE_FEATURE)
        )
        self.speed_range = decode_speed_range(
            await self._read(client, Characteristic.SUPPORTED_SPEED_RANGE)
        )
        if self._has(client, Characteristic.SUPPORTED_INCLINATION_RANGE):
            self.incline_range = decode_incline_range(
                await self._read(client, Characteristic.SUPPORTED_INCLINATION_RANGE)
            )
        subscriptions: list[tuple[Characteristic, Callable[[bytes], None]]] = [
            (Characteristic.FITNESS_MACHINE_CONTROL_POINT, self.control.on_indication),
            (Characteristic.TREADMILL_DATA, self._on_treadmill_data),
            (Characteristic.FITNESS_MACHINE_STATUS, self._on_machine_status),
            (Characteristic.TRAINING_STATUS, self._on_training_status),
        ]
        for characteristic, handler in subscriptions:
            if self._has(client, characteristic):
                await client.start_notify(uuid16(characteristic), _ignore_sender(handler))
        if self._has(client, Characteristic.TRAINING_STATUS):
            self._on_training_status(await self._read(client, Characteristic.TRAINING_STATUS))

    async def disconnect(self) -> None:
        client, self._client = self._client, None
        self._closing = True
        if client is not None and client.is_connected:
            await client.disconnect()

    def _on_disconnected(self, _client: BleakClient) -> None:
        self.control.link_lost()
        self._client = None
        self._emit(Disconnected(self._now(), solicited=self._closing))

    # --- what the treadmill can do ---------------------------------------------------------
    @property
    def supports_incline(self) -> bool:
        return (
            self.incline_range is not None
            and self.features is not None
            and TargetSettingFeature.INCLINATION_TARGET_SETTING in self.features.targets
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

    # --- commands ----------------------------------------------------------------------------
    # Every command is reported as CommandFailed to the listeners when it does not succeed, so
    # a watcher (the safety guard) hears of failures whoever sent the command.
    async def request_control(self) -> ControlResponse:
        return await self._reported(
            OpCode.REQUEST_CONTROL, self.control.execute(OpCode.REQUEST_CONTROL)
        )

    async def reset(self) -> ControlResponse:
        return await self._reported(OpCode.RESET, self.control.execute(OpCode.RESET))

    async def set_speed(self, kmh: float) -> ControlResponse:
        parameter = speed_parameter(self.speed_units(kmh))
        if self.interlock is not None:
            self.interlock.check_speed(kmh)
        op = OpCode.SET_TARGET_SPEED
        return await self._reported(op, self.control.execute(op, parameter))

    async def set_incline(self, pct: float) -> ControlResponse:
        parameter = incline_parameter(self.incline_units(pct))
        if self.interlock is not None:
            self.interlock.check_incline(pct)
        op = OpCode.SET_TARGET_INCLINATION
        return await self._reported(op, self.control.execute(op, parameter))

    async def start(self) -> ControlResponse:
        if self.interlock is not None:
            self.interlock.check_start()
        op = OpCode.START_OR_RESUME
        return await self._reported(op, self.control.execute(op))

    async def pause(self) -> ControlResponse:
        if self.interlock is not None:
            self.interlock.will_stop(StopPause.PAUSE)
        return await self.control.stop(StopPause.PAUSE)

    async def stop(self) -> ControlResponse:
        """Stop the belt now: never waits behind another command (see ControlPoint.stop)."""
        if self.interlock is not None:
            self.interlock.will_stop(StopPause.STOP)
        return await self.control.stop(StopPause.STOP)

    async def _reported(
        self, op: OpCode, procedure: Coroutine[Any, Any, ControlResponse]
    ) -> ControlResponse:
        try:
            return await procedure
        except ControlPointError as e:
            self._emit(CommandFailed(self._now(), op, str(e)))
            raise

    # --- events ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event; returns the function that unsubscribes it."""
        return self._events.subscribe(listener)

    def _emit(self, event: TreadmillEvent) -> None:
        self._events.emit(event)

    def _decoded[T](self, decode: Callable[[bytes], T], data: bytes) -> T | None:
        """Decode a notification, or log and drop it: never raise out of a bleak callback."""
        try:
            return decode(data)
        except MalformedFrame as e:
            self.frames_dropped += 1
            log.warning("dropped notification %s: %s", data.hex(" "), e)
            return None

    def _on_treadmill_data(self, data: bytes) -> None:
        frame = self._decoded(decode_treadmill_data, data)
        if frame is None:
            return
        if frame.extra:
            log.debug("treadmill data carries %d byte(s) past its fields", len(frame.extra))
        self.state = self.state.updated(frame.values)
        self._emit(Telemetry(self._now(), self.state))

    def _on_machine_status(self, data: bytes) -> None:
        status = self._decoded(MachineStatus.decode, data)
        if status is not None:
            self._emit(StatusChanged(self._now(), status))

    def _on_training_status(self, data: bytes) -> None:
        status = self._decoded(decode_training_status, data)
        if status is None or status == self.state.training_status:
            return
        self.state = self.state.updated({"training_status": status})
        self._emit(TrainingStatusChanged(self._now(), status))

    # --- GATT helpers ------------------------------------------------------------------------
    async def _write_control_point(self, request: bytes) -> None:
        client, characteristic = self._client, self._control_point
        if client is None or characteristic is None:
            raise BleakError("not connected to the treadmill")
        await client.write_gatt_char(characteristic, request, response=True)

    @staticmethod
    def _has(client: BleakClient, characteristic: Characteristic) -> bool:
        return client.services.get_characteristic(uuid16(characteristic)) is not None

    @staticmethod
    async def _read(client: BleakClient, characteristic: Characteristic) -> bytes:
        return bytes(await client.read_gatt_char(uuid16(characteristic)))

    async def _read_device_info(self, client: BleakClient) -> DeviceInfo:
        if client.services.get_service(uuid16(DEVICE_INFORMATION_SERVICE)) is None:
            return DeviceInfo()
        values: dict[str, str] = {}
        for name, characteristic in _DEVICE_INFO_FIELDS.items():
            if self._has(client, characteristic):
                raw = await self._read(client, characteristic)
                values[name] = raw.decode("utf-8", "replace").rstrip("\x00")
        return DeviceInfo(**values)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()


def _ignore_sender(handler: Callable[[bytes], None]) -> Callable[[object, bytearray], None]:
    def callback(_sender: object, data: bytearray) -> None:
        handler(bytes(data))

    return callback
