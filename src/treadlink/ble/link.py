"""`Link`: the Bluetooth connection to one treadmill, and the only owner of its bleak client.

    async with Link(device, backend=radio.client_backend) as link:
        link.protocol, link.why                # "ftms" or "fitshow", and what decided it
        link.treadmill.state.speed_kmh         # the treadmill's driver, fed by this link
        await link.connect()                    # again after a drop: same driver, new client

The link connects (through bleak-retry-connector's `establish_connection` on the OS's own
stack, as Home Assistant does, so BlueZ's transient failures are retried and its cache is
cleared; plainly on other backends) and discovers the services. On the first connection it
chooses the protocol from what the treadmill shows (treadlink.ble.protocols) and makes that
protocol's driver; on every connection it reads the Device Information and attaches the driver,
offering it the GATT table as a `GattPort`. Errors of the Bluetooth stack become the
interface's own (WriteRefused, LinkLost) at this boundary. With a `TraceRecorder`, the port the
driver gets is the recorder's tap on it (treadlink.ble.trace).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from bleak import BleakClient
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError, BleakGATTProtocolError

from treadlink.ble.protocols import Choice, Protocol, choose
from treadlink.ble.trace.recorder import TraceRecorder
from treadlink.ftms.layouts import decode_text
from treadlink.ftms.protocol import (
    DEVICE_INFORMATION_FIELDS,
    DEVICE_INFORMATION_SERVICE,
    uuid16,
)
from treadlink.treadmill.base import DeviceInfo, GattPort, Treadmill
from treadlink.treadmill.errors import LinkLost, WriteRefused

log = logging.getLogger(__name__)


def driver(
    protocol: Protocol, name: str | None, address: str, procedure_timeout: float
) -> Treadmill:
    """A new driver for `protocol` (imported when chosen: each brings its own codec)."""
    if protocol == "fitshow":
        from treadlink.fitshow.driver import FitShowTreadmill

        return FitShowTreadmill(name, address, procedure_timeout=procedure_timeout)
    from treadlink.ftms.treadmill import FtmsTreadmill

    return FtmsTreadmill(name, address, procedure_timeout=procedure_timeout)


class Link:
    def __init__(
        self,
        device: BLEDevice,
        *,
        backend: type[BaseBleakClient] | None = None,
        connect_timeout: float = 10.0,
        procedure_timeout: float = 2.0,
        protocol: Protocol | None = None,
        recorder: TraceRecorder | None = None,
    ) -> None:
        """`recorder`: record a trace of what passes between this link and the driver."""
        self.device = device
        self._backend = backend
        self._connect_timeout = connect_timeout
        self._procedure_timeout = procedure_timeout
        self._asked: Protocol | None = protocol
        self._choice: Choice | None = None
        self._treadmill: Treadmill | None = None
        self._client: BleakClient | None = None
        self._closing = False
        self._recorder = recorder

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
    def treadmill(self) -> Treadmill:
        """The treadmill's driver, made on the first connection (it outlives later drops)."""
        if self._treadmill is None:
            raise RuntimeError("the link has not connected yet: its protocol is not known")
        return self._treadmill

    @property
    def protocol(self) -> Protocol | None:
        return self._choice.protocol if self._choice else None

    @property
    def why(self) -> str | None:
        """Why the protocol was chosen, in a sentence."""
        return self._choice.why if self._choice else None

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def connect(self) -> None:
        """Connect, choose the driver (the first time), and attach it: it reads what the
        treadmill is and can do and subscribes to what it reports."""
        self._closing = False
        client = await self._open_client()
        try:
            self._client = client
            port: GattPort = self
            recorder = self._recorder
            if recorder is not None:
                device = self.device
                port = recorder.tap(self, device.name, device.address, client.services)
            if self._treadmill is None:
                self._choice = choose(self._has_service, self.device.name, self._asked)
                log.info(
                    "%s speaks %s: %s", self.device.name, self._choice.protocol, self._choice.why
                )
                if recorder is not None:
                    recorder.chose(self._choice.protocol, self._choice.why)
                self._treadmill = driver(
                    self._choice.protocol,
                    self.device.name,
                    self.device.address,
                    self._procedure_timeout,
                )
            await self._treadmill.attach(port, await self._read_device_info(port))
            if recorder is not None:
                recorder.attached()
        except BaseException:
            self._client = None
            self._closing = True
            with contextlib.suppress(BleakError, TimeoutError):
                await client.disconnect()
            raise

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

    # --- the GATT table, offered to the driver (treadlink.treadmill.base.GattPort) -----------
    def has(self, uuid16_: int) -> bool:
        client = self._client
        return (
            client is not None and client.services.get_characteristic(uuid16(uuid16_)) is not None
        )

    async def read(self, uuid16_: int) -> bytes:
        return bytes(await self._live().read_gatt_char(uuid16(uuid16_)))

    async def write(self, uuid16_: int, data: bytes, *, response: bool) -> None:
        client = self._client
        if client is None:
            raise LinkLost("not connected to the treadmill")
        try:
            await client.write_gatt_char(uuid16(uuid16_), data, response=response)
        except BleakGATTProtocolError as e:
            raise WriteRefused(e.code) from e
        except BleakError as e:  # not connected, or the link dropped mid-write
            raise LinkLost(str(e)) from e

    async def subscribe(self, uuid16_: int, handler: Callable[[bytes], None]) -> None:
        await self._live().start_notify(uuid16(uuid16_), _ignore_sender(handler))

    def _live(self) -> BleakClient:
        if self._client is None:
            raise LinkLost("not connected to the treadmill")
        return self._client

    def _has_service(self, uuid16_: int) -> bool:
        return self._live().services.get_service(uuid16(uuid16_)) is not None

    # --- connecting --------------------------------------------------------------------------
    async def _open_client(self) -> BleakClient:
        if self._backend is None:
            # The OS's own stack: retries, BlueZ cache clearing and adapter choice, as HA does.
            from bleak_retry_connector import establish_connection

            return await establish_connection(
                BleakClient,
                self.device,
                self.device.name or self.device.address,
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

    def _on_disconnected(self, _client: BleakClient) -> None:
        self._client = None
        if self._treadmill is not None and self._treadmill.is_connected:
            self._treadmill.detach(solicited=self._closing)

    async def _read_device_info(self, port: GattPort) -> DeviceInfo:
        if not self._has_service(DEVICE_INFORMATION_SERVICE):
            return DeviceInfo()
        values: dict[str, str] = {}
        for name, characteristic in DEVICE_INFORMATION_FIELDS.items():
            if port.has(characteristic):
                values[name] = decode_text(await port.read(characteristic))
        return DeviceInfo(**values)


def _ignore_sender(handler: Callable[[bytes], None]) -> Callable[[object, bytearray], None]:
    def callback(_sender: object, data: bytearray) -> None:
        handler(bytes(data))

    return callback
