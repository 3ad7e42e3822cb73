"""The machine's Bluetooth links: advertising, the clients connected, and the link faults."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bumble.device import Connection

from treadlink_sim.faults import Fault
from treadlink_sim.records import ConnectionRecord, address_of

if TYPE_CHECKING:
    from treadlink_sim.treadmill import TreadmillSimulator

log = logging.getLogger(__name__)


class Links:
    def __init__(self, machine: TreadmillSimulator) -> None:
        self.machine = machine
        self.log: list[ConnectionRecord] = []
        self._connections: set[Connection] = set()
        machine.device.on("connection", self._on_connection)

    @property
    def connected(self) -> bool:
        return bool(self._connections)

    @property
    def peer_addresses(self) -> list[str]:
        return [address_of(c) for c in self._connections]

    async def advertise(self) -> None:
        machine = self.machine
        if machine.is_on and Fault.LINK_LOST not in machine.fault_state:
            # Restarted by hand after each disconnection (not auto_restart) so that a
            # LINK_LOST fault can keep the machine silent.
            await machine.device.start_advertising(
                auto_restart=False, advertising_interval_min=20.0, advertising_interval_max=20.0
            )

    async def drop(self) -> None:
        """Disconnect every client."""
        for connection in list(self._connections):
            await self._disconnect(connection)

    def _on_connection(self, connection: Connection) -> None:
        machine = self.machine
        refused = Fault.LINK_REFUSED in machine.fault_state
        peer = address_of(connection)
        self.log.append(ConnectionRecord(machine.now(), peer, refused))
        if refused:
            log.info("connection from %s refused", peer)
            connection.on("disconnection", lambda _reason: machine.spawn(self.advertise()))
            machine.spawn(self._disconnect(connection))
            machine.changed()
            return
        log.info("connection from %s", peer)
        self._connections.add(connection)
        connection.on("disconnection", lambda _reason: self._on_disconnection(connection))
        machine.changed()

    def _on_disconnection(self, connection: Connection) -> None:
        machine = self.machine
        log.info("disconnection of %s", address_of(connection))
        self._connections.discard(connection)
        for server in machine.servers:
            server.on_disconnection(connection)
        machine.changed()
        if not self._connections:
            machine.spawn(self.advertise())

    async def _disconnect(self, connection: Connection) -> None:
        try:
            await connection.disconnect()
        except Exception as error:  # already gone
            log.debug("disconnect of %s: %r", address_of(connection), error)
