"""`BleakClientBumble`: bleak's client interface over a bumble central `Device`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Buffer, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES, CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import att, core, hci
from bumble.core import UUID
from bumble.device import Connection, Device, Peer

log = logging.getLogger(__name__)

_MTU = 247  # what phones and BlueZ ask for; FTMS frames fit in the default 23 anyway


class CentralSource(Protocol):
    """Where the bumble central comes from: the radio that owns its transport (BumbleRadio)."""

    async def live_central(self) -> Device:
        """The central to connect or scan from now; a fresh one if the transport was lost."""
        ...

    async def transport_lost(self, central: Device) -> None:
        """Return once the transport under `central` is lost (never, for one that cannot be)."""
        ...


@dataclass(frozen=True, slots=True)
class BumbleDetails:
    """What `BLEDevice.details` carries for this backend: where the central comes from. Not the
    central itself: a `BLEDevice` outlives a transport lost and opened again (the standalone
    simulator restarted), and each connection asks for the central that is alive then."""

    centrals: CentralSource


def bumble_ble_device(address: str, name: str | None, centrals: CentralSource) -> BLEDevice:
    return BLEDevice(address, name, BumbleDetails(centrals))


def bleak_uuid(u: UUID) -> str:
    """bumble UUID -> the lower-case 128-bit string bleak uses everywhere."""
    return str(uuid.UUID(bytes=bytes(reversed(u.to_bytes(force_128=True)))))


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _property_names(properties: int) -> list[CharacteristicPropertyName]:
    return [name for bit, name in CHARACTERISTIC_PROPERTIES.items() if properties & bit]


async def _gatt[T](operation: Awaitable[T]) -> T:
    """Run a bumble GATT operation, turning ATT errors into bleak's protocol error.

    A request on the wire cannot be taken back: ATT allows one at a time, and its answer comes
    whether or not anyone still waits for it. So a caller who gives up (cancelled, or its own
    timeout) is let go at once, while the request runs on to its answer, bumble's ATT timeout or
    the link's end. Cancelling bumble's request instead frees its slot early: the next request
    goes out with the old answer still coming, and takes that answer for its own (a refused
    write reported as accepted), or the answer lands on the cancelled request and bumble raises
    InvalidStateError from its packet handler (tests/ble/test_gatt_requests_given_up.py)."""
    # Eager: the request is handed to bumble now, in the caller's step, as an awaited coroutine
    # would be (a Stop must not wait a loop turn behind the listeners of the trip).
    request: asyncio.Future[T]
    if isinstance(operation, Coroutine):
        request = asyncio.eager_task_factory(asyncio.get_running_loop(), operation)
    else:
        request = asyncio.ensure_future(operation)
    try:
        return await asyncio.shield(request)
    except att.ATT_Error as e:
        raise BleakGATTProtocolError(e.error_code) from e
    except core.BaseBumbleError as e:  # a GATT timeout, a connection gone: bleak's own error
        raise BleakError(f"{type(e).__name__}: {e}") from e
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            request.add_done_callback(_retrieve)  # its outcome is no one's news now
            raise  # our caller was cancelled: let it be
        # bumble cancels the operations in flight when the link drops; to bleak's users that
        # is a failed operation, not a cancelled task.
        raise BleakError("disconnected during a GATT operation") from None


class BleakClientBumble(BaseBleakClient):
    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        if not (
            isinstance(address_or_ble_device, BLEDevice)
            and isinstance(address_or_ble_device.details, BumbleDetails)
        ):
            raise BleakError("BleakClientBumble needs a BLEDevice made by bumble_ble_device()")
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._centrals: CentralSource = address_or_ble_device.details.centrals
        self._name = address_or_ble_device.name
        self._service_filter: set[str] | None = kwargs.get("services")
        self._connection: Connection | None = None
        self._subscribers: dict[int, Any] = {}

    @property
    def name(self) -> str:
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        return int(self._connection.att_mtu) if self._connection else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if pair:
            log.debug("pairing is not needed by FTMS and not done by the bumble backend")
        timeout = kwargs.get("timeout", self._timeout)
        central = await self._centrals.live_central()
        connection = await self._connect_unless_lost(central, timeout)
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            # A link dropped while it is set up (a treadmill refusing it) fails the connect
            # now with bleak's error, as on the OS's stacks. bumble would cancel only the GATT
            # request in flight, which looks like a cancellation of our caller, and leave one
            # sent after the drop to its 30 s timeout; the connect timeout bounds the rest.
            async with asyncio.timeout(timeout):
                self.services = await _gatt(
                    connection.cancel_on_disconnection(self._set_up(connection))
                )
        except BaseException:
            await self.disconnect()
            raise

    async def _connect_unless_lost(self, central: Device, timeout: float) -> Connection:
        """Connect, or fail at once when the transport dies under the attempt: bumble would
        wait out the connect timeout, then the HCI command timeout of its cancel, on a
        transport that can answer neither (the treadmill's controller restarted)."""
        connecting = asyncio.ensure_future(
            central.connect(
                hci.Address(self.address),
                own_address_type=hci.OwnAddressType.RANDOM,
                timeout=timeout,
            )
        )
        lost = asyncio.ensure_future(self._centrals.transport_lost(central))
        try:
            await asyncio.wait([connecting, lost], return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not connecting.done():  # the transport lost, or our caller cancelled
                connecting.cancel()
                connecting.add_done_callback(_retrieve)  # it ends on its own time
                abandoned = True
            else:
                abandoned = False
        if abandoned:
            raise BleakError("the transport was lost while connecting")
        return connecting.result()

    def _on_disconnection(self, reason: int) -> None:
        if self._connection is None:
            # Told already: bumble reports a lost transport's connections again on every flush,
            # and one may run from inside our own callback (a reconnect started eagerly).
            return
        log.debug("disconnected from %s (reason 0x%02x)", self.address, reason)
        self._connection = None
        self._subscribers.clear()
        # Like BlueZ, call back on every disconnect: the caller tells solicited ones apart.
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_gone(*_: object) -> None:
            if not gone.done():
                gone.set_result(None)

        connection.once(connection.EVENT_DISCONNECTION, on_gone)
        try:
            await connection.disconnect()
        except core.BaseBumbleError as e:  # the transport died under us (simulator killed)
            raise BleakError(f"{type(e).__name__}: {e}") from e
        async with asyncio.timeout(self._timeout):
            await gone

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the bumble backend does not pair")

    async def unpair(self) -> None:
        raise NotImplementedError("the bumble backend does not pair")

    async def _set_up(self, connection: Connection) -> BleakGATTServiceCollection:
        peer = Peer(connection)
        await peer.request_mtu(_MTU)
        return await self._discover(peer)

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        wanted = [UUID(u) for u in self._service_filter] if self._service_filter else []
        collection = BleakGATTServiceCollection()
        for service in await peer.discover_services(wanted):
            bleak_service = BleakGATTService(service, service.handle, bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in await service.discover_characteristics():
                bleak_characteristic = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    bleak_uuid(characteristic.uuid),
                    _property_names(int(characteristic.properties)),
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_characteristic)
                for descriptor in await characteristic.discover_descriptors():
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor,
                            descriptor.handle,
                            bleak_uuid(descriptor.type),
                            bleak_characteristic,
                        )
                    )
        return collection

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await _gatt(characteristic.obj.read_value()))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await _gatt(descriptor.obj.read_value()))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Buffer, response: bool
    ) -> None:
        await _gatt(characteristic.obj.write_value(bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Buffer) -> None:
        await _gatt(descriptor.obj.write_value(bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        def subscriber(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = subscriber
        # bumble enables notifications when the characteristic has them, else indications,
        # which is what bleak's platform backends do.
        await _gatt(characteristic.obj.subscribe(subscriber, prefer_notify=True))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await _gatt(characteristic.obj.unsubscribe(subscriber))
