"""A raw bumble GATT central for simulator tests: connect, subscribe, write, collect the answers."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bumble import att
from bumble.controller import Controller
from bumble.core import UUID
from bumble.device import Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy
from bumble.hci import Address
from bumble.host import Host
from bumble.transport.common import AsyncPipeSink, TransportSink, TransportSource

from treadlink.ftms.protocol import Characteristic as Char
from treadlink_sim.profile import MachineProfile
from treadlink_sim.rig import BRIDGE_ADDRESS, Rig, sim_rig

NOTIFIED = (Char.TREADMILL_DATA, Char.TRAINING_STATUS, Char.FITNESS_MACHINE_STATUS)


class RawCentral:
    def __init__(self, device: Device) -> None:
        self.device = device
        self.received: defaultdict[int, asyncio.Queue[bytes]] = defaultdict(asyncio.Queue)
        self._connection: Connection | None = None
        self._peer: Peer | None = None

    @classmethod
    async def on_controller(
        cls, controller: Controller, address: str = BRIDGE_ADDRESS
    ) -> RawCentral:
        host = Host(controller, AsyncPipeSink(controller))
        return await cls._powered(Device(name="central", address=Address(address), host=host))

    @classmethod
    async def over_hci(
        cls, source: TransportSource, sink: TransportSink, address: str = BRIDGE_ADDRESS
    ) -> RawCentral:
        return await cls._powered(Device.with_hci("central", Address(address), source, sink))

    @classmethod
    async def _powered(cls, device: Device) -> RawCentral:
        await device.power_on()
        return cls(device)

    @property
    def peer(self) -> Peer:
        assert self._peer is not None, "not connected"
        return self._peer

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "not connected"
        return self._connection

    async def connect(self, address: str) -> None:
        self._connection = await self.device.connect(Address(address))
        self._peer = Peer(self._connection)
        await self._peer.request_mtu(247)  # as bleak does; the default 23 would cut long frames
        await self._peer.discover_all()  # type: ignore[no-untyped-call]

    def characteristic(self, number: int) -> CharacteristicProxy[bytes]:
        (found,) = self.peer.get_characteristics_by_uuid(UUID.from_16_bits(number))
        return found

    async def read(self, number: int) -> bytes:
        return bytes(await self.peer.read_value(self.characteristic(number)))

    async def subscribe(self, control_point: bool = True) -> None:
        """Notifications on the FTMS data characteristics; indications on the control point."""
        for number in NOTIFIED:
            await self.peer.subscribe(self.characteristic(number), self.received[number].put_nowait)
        if control_point:
            cp = self.characteristic(Char.FITNESS_MACHINE_CONTROL_POINT)
            queue = self.received[Char.FITNESS_MACHINE_CONTROL_POINT]
            await self.peer.subscribe(cp, queue.put_nowait, prefer_notify=False)

    async def write(self, data: bytes) -> None:
        """A control-point write with response; raises bumble's ATT_Error if refused."""
        cp = self.characteristic(Char.FITNESS_MACHINE_CONTROL_POINT)
        await self.peer.write_value(cp, data, with_response=True)

    async def write_error(self, data: bytes) -> int:
        """The ATT error code a write is refused with (fails the test if it is accepted)."""
        try:
            await self.write(data)
        except att.ATT_Error as error:
            return error.error_code
        raise AssertionError(f"write {data.hex(' ')} was accepted")

    async def request(self, data: bytes) -> bytes:
        """Write and return the control-point indication that answers it."""
        await self.write(data)
        return await self.next(Char.FITNESS_MACHINE_CONTROL_POINT)

    async def next(self, number: int) -> bytes:
        return bytes(await self.received[number].get())

    def pending(self, number: int) -> list[bytes]:
        queue, items = self.received[number], []
        while not queue.empty():
            items.append(bytes(queue.get_nowait()))
        return items

    def hold_confirmations(self) -> Callable[[], None]:
        """Stop confirming indications, like a slow client; returns a function that sends them."""
        client = self.connection.gatt_client
        held: list[att.ATT_Handle_Value_Confirmation] = []
        original = client.send_confirmation

        def release() -> None:
            client.send_confirmation = original  # type: ignore[method-assign]
            for confirmation in held:
                original(confirmation)

        client.send_confirmation = held.append  # type: ignore[method-assign,assignment]
        return release

    def record_pdus(self) -> list[str]:
        """Names of the ATT PDUs the server sends us from now on, in arrival order."""
        client = self.connection.gatt_client
        names: list[str] = []
        original = client.on_gatt_pdu

        def recording(pdu: att.ATT_PDU) -> None:
            names.append(pdu.name)
            original(pdu)

        client.on_gatt_pdu = recording  # type: ignore[method-assign,assignment]
        return names

    async def disconnect(self) -> None:
        if self._connection is not None:
            await self._connection.disconnect()


@asynccontextmanager
async def connected_rig(
    profile: MachineProfile | str = "noblepro-elite",
    *,
    control: bool = True,
    telemetry_hz: float | None = None,
) -> AsyncIterator[tuple[Rig, RawCentral]]:
    """A rig with a raw central connected and subscribed, in control unless `control=False`."""
    async with sim_rig(profile, telemetry_hz=telemetry_hz) as rig:
        central = await RawCentral.on_controller(rig.bridge_controller)
        await central.connect(rig.address)
        await central.subscribe()
        if control:
            assert await central.request(b"\x00") == b"\x80\x00\x01"
        yield rig, central
