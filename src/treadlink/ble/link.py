"""`Link`: the Bluetooth connection to one treadmill, and the only owner of its bleak client.

    async with Link(device, backend=radio.client_backend) as link:
        link.treadmill.state.speed_kmh         # the FTMS treadmill it feeds
        await link.connect()                    # again after a drop: same Treadmill, new client

The link connects (through bleak-retry-connector's `establish_connection` on the OS's own
stack, as Home Assistant does, so BlueZ's transient failures are retried and its cache is
cleared; plainly on other backends), discovers the services, reads what the treadmill is and can
do, subscribes to what it reports and hands every byte to `treadlink.ftms.Treadmill`. Errors of
the Bluetooth stack become the FTMS layer's own (WriteRefused, LinkLost) at this boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError, BleakGATTProtocolError

from treadlink.ftms.control import LinkLost, WriteRefused
from treadlink.ftms.layouts import Features, decode_incline_range, decode_speed_range
from treadlink.ftms.protocol import (
    DEVICE_INFORMATION_SERVICE,
    FITNESS_MACHINE_SERVICE,
    Characteristic,
    uuid16,
)
from treadlink.ftms.treadmill import Capabilities, DeviceInfo, Treadmill

log = logging.getLogger(__name__)

# FitShow's private treadmill protocol (many NoblePro units without FTMS) lives in service 0xFFF0.
FITSHOW_SERVICE = 0xFFF0

_DEVICE_INFO_FIELDS = {
    "manufacturer": Characteristic.MANUFACTURER_NAME,
    "model": Characteristic.MODEL_NUMBER,
    "serial": Characteristic.SERIAL_NUMBER,
    "hardware_revision": Characteristic.HARDWARE_REVISION,
    "firmware_revision": Characteristic.FIRMWARE_REVISION,
    "software_revision": Characteristic.SOFTWARE_REVISION,
}


class NotFitnessMachine(BleakError):
    """The device does not expose the Fitness Machine Service."""


class Link:
    def __init__(
        self,
        device: BLEDevice,
        *,
        backend: type[BaseBleakClient] | None = None,
        connect_timeout: float = 10.0,
        procedure_timeout: float = 2.0,
    ) -> None:
        self.device = device
        self._backend = backend
        self._connect_timeout = connect_timeout
        self.treadmill = Treadmill(device.name, device.address, procedure_timeout=procedure_timeout)
        self._client: BleakClient | None = None
        self._control_point: BleakGATTCharacteristic | None = None
        self._closing = False

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
        self._closing = False
        client = await self._open_client()
        try:
            capabilities = await self._set_up(client)
        except BaseException:
            self._closing = True
            with contextlib.suppress(BleakError, TimeoutError):
                await client.disconnect()
            raise
        self._client = client
        self.treadmill.attach(self, capabilities)

    async def disconnect(self) -> None:
        """Leave the treadmill. A link already dying (the simulator killed, the adapter gone) is
        logged, not raised: by now everything that mattered has been said."""
        client, self._client = self._client, None
        self._closing = True
        if client is not None and client.is_connected:
            try:
                async with asyncio.timeout(self._connect_timeout):
                    await client.disconnect()
            except (BleakError, TimeoutError, OSError) as e:
                log.warning("the link did not close cleanly: %s", e)

    async def write_control_point(self, data: bytes) -> None:
        client, characteristic = self._client, self._control_point
        if client is None or characteristic is None:
            raise LinkLost("not connected to the treadmill")
        try:
            await client.write_gatt_char(characteristic, data, response=True)
        except BleakGATTProtocolError as e:
            raise WriteRefused(e.code) from e
        except BleakError as e:  # not connected, or the link dropped mid-write
            raise LinkLost(str(e)) from e

    # --- connecting --------------------------------------------------------------------------
    async def _open_client(self) -> BleakClient:
        if self._backend is None:
            # The OS's own stack: retries, BlueZ cache clearing and adapter choice, as HA does.
            from bleak_retry_connector import establish_connection

            return await establish_connection(
                BleakClient,
                self.device,
                self.treadmill.label,
                disconnected_callback=self._on_disconnected,
                max_attempts=3,
            )
        client = BleakClient(
            self.device,
            disconnected_callback=self._on_disconnected,
            timeout=self._connect_timeout,
            backend=self._backend,
        )
        await client.connect()
        return client

    async def _set_up(self, client: BleakClient) -> Capabilities:
        services = client.services
        if services.get_service(uuid16(FITNESS_MACHINE_SERVICE)) is None:
            hint = ""
            if services.get_service(uuid16(FITSHOW_SERVICE)) is not None:
                hint = (
                    " It exposes service 0xFFF0, FitShow's private treadmill protocol"
                    " (common on NoblePro units): treadlink drives FTMS treadmills only."
                )
            raise NotFitnessMachine(
                f"{self.treadmill.label} does not expose the Fitness Machine Service "
                f"(0x1826).{hint}"
            )
        self._control_point = services.get_characteristic(
            uuid16(Characteristic.FITNESS_MACHINE_CONTROL_POINT)
        )
        capabilities = Capabilities(
            info=await self._read_device_info(client),
            features=Features.decode(
                await self._read(client, Characteristic.FITNESS_MACHINE_FEATURE)
            ),
            speed_range=decode_speed_range(
                await self._read(client, Characteristic.SUPPORTED_SPEED_RANGE)
            ),
            incline_range=(
                decode_incline_range(
                    await self._read(client, Characteristic.SUPPORTED_INCLINATION_RANGE)
                )
                if self._has(client, Characteristic.SUPPORTED_INCLINATION_RANGE)
                else None
            ),
        )
        t = self.treadmill
        subscriptions: list[tuple[Characteristic, Callable[[bytes], None]]] = [
            (Characteristic.FITNESS_MACHINE_CONTROL_POINT, t.on_control_point),
            (Characteristic.TREADMILL_DATA, t.on_treadmill_data),
            (Characteristic.FITNESS_MACHINE_STATUS, t.on_machine_status),
            (Characteristic.TRAINING_STATUS, t.on_training_status),
        ]
        for characteristic, handler in subscriptions:
            if self._has(client, characteristic):
                await client.start_notify(uuid16(characteristic), _ignore_sender(handler))
        if self._has(client, Characteristic.TRAINING_STATUS):
            t.on_training_status(await self._read(client, Characteristic.TRAINING_STATUS))
        return capabilities

    def _on_disconnected(self, _client: BleakClient) -> None:
        self._client = None
        self.treadmill.detach(solicited=self._closing)

    # --- GATT helpers ------------------------------------------------------------------------
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


def _ignore_sender(handler: Callable[[bytes], None]) -> Callable[[object, bytearray], None]:
    def callback(_sender: object, data: bytearray) -> None:
        handler(bytes(data))

    return callback
