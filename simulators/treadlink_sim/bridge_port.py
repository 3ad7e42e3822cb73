"""Standalone hosting: the bridge's virtual controller, reachable over a bumble HCI transport.

The simulator process owns the LocalLink. The bridge process opens the other end of the transport
(e.g. `tcp-client:127.0.0.1:PORT`) and runs its own bumble Host on it, so both stacks are real and
only the radio is simulated.

The virtual link has no supervision timeout: a bridge that vanishes would leave the simulator
"connected" and silent forever. So the port reports the bridge's transport going away and the
simulator drops the link, which makes it advertise again for the next bridge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bumble.link import LocalLink
from bumble.transport import open_transport
from bumble.transport.common import StreamPacketSource, Transport

from treadlink_sim.quiet import SimController

log = logging.getLogger(__name__)

BridgeGone = Callable[[], Awaitable[None]]


class BridgePort:
    """Where a bridge plugs in. `describe` is the transport as a bridge should open it."""

    describe: str

    async def close(self) -> None:
        raise NotImplementedError


async def open_bridge_port(
    spec: str, link: LocalLink, address: str, on_bridge_gone: BridgeGone
) -> BridgePort:
    """`tcp-server:HOST:PORT` (PORT 0 picks a free one) or any other bumble transport spec."""
    scheme, _, rest = spec.partition(":")
    if scheme == "tcp-server":
        host, _, port = rest.rpartition(":")
        return await _TcpServerPort.open(host, int(port), link, address, on_bridge_gone)
    return await _TransportPort.open(spec, link, address, on_bridge_gone)


class _TcpServerPort(BridgePort):
    """One bridge at a time over TCP, each with a fresh controller.

    Written here rather than taken from bumble's tcp-server transport because that one only clears
    an attribute when the client goes; this one hears `connection_lost` (no polling) and gives each
    bridge a new controller and HCI parser, so nothing from a killed bridge leaks into the next.
    """

    def __init__(self, link: LocalLink, address: str, on_bridge_gone: BridgeGone) -> None:
        self._link = link
        self._address = address
        self._on_bridge_gone = on_bridge_gone
        self._server: asyncio.Server | None = None
        self._client: _BridgeConnection | None = None
        self._cleanups: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls, host: str, port: int, link: LocalLink, address: str, on_bridge_gone: BridgeGone
    ) -> _TcpServerPort:
        self = cls(link, address, on_bridge_gone)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _BridgeConnection(self), None if host == "_" else host, port
        )
        bound = self._server.sockets[0].getsockname()
        self.describe = f"tcp-client:{bound[0]}:{bound[1]}"
        return self

    def attach(self, client: _BridgeConnection) -> bool:
        if self._client is not None:
            log.warning("a bridge is already plugged in: refusing a second one")
            return False
        self._client = client
        return True

    def detach(self, client: _BridgeConnection) -> None:
        if self._client is not client:
            return
        self._client = None
        task = asyncio.get_running_loop().create_task(self._bridge_gone(client))
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def _bridge_gone(self, client: _BridgeConnection) -> None:
        log.info("bridge transport closed: dropping its links")
        try:
            await self._on_bridge_gone()
        finally:
            # Only after the disconnection went through the link: it needs both controllers.
            client.retire()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._client is not None:
            self._client.close()
        await asyncio.gather(*self._cleanups, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


class _BridgeConnection(asyncio.Protocol):
    """One bridge's TCP connection: HCI packets both ways to its own virtual controller."""

    def __init__(self, port: _TcpServerPort) -> None:
        self._port = port
        self._transport: asyncio.Transport | None = None
        self._source: StreamPacketSource | None = None
        self._controller: SimController | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if not self._port.attach(self):
            transport.close()
            return
        self._transport = transport
        self._source = StreamPacketSource()
        self._controller = SimController(
            "bridge",
            host_source=self._source,
            host_sink=self,
            link=self._port._link,
            public_address=self._port._address,
        )
        log.info("bridge plugged in from %s", transport.get_extra_info("peername"))

    def data_received(self, data: bytes) -> None:
        if self._source is not None:
            self._source.data_received(data)

    def on_packet(self, packet: bytes) -> None:  # the controller's HCI events to the bridge
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(packet)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._controller is not None:
            self._port.detach(self)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def retire(self) -> None:
        if self._controller is not None:
            self._port._link.remove_controller(self._controller)
            self._controller = None


class _TransportPort(BridgePort):
    """Any other bumble transport: one controller for the transport's life.

    bumble resolves `source.terminated` when such a transport is lost, so no polling is needed.
    """

    def __init__(self, transport: Transport, spec: str) -> None:
        self._transport = transport
        self._gone: asyncio.Future[None] | None = None
        self.describe = spec

    @classmethod
    async def open(
        cls, spec: str, link: LocalLink, address: str, on_bridge_gone: BridgeGone
    ) -> _TransportPort:
        transport = await open_transport(spec)
        SimController(
            "bridge",
            host_source=transport.source,
            host_sink=transport.sink,
            link=link,
            public_address=address,
        )
        self = cls(transport, spec)
        terminated: asyncio.Future[Any] | None = getattr(transport.source, "terminated", None)
        if terminated is not None:
            terminated.add_done_callback(lambda _: self._spawn(on_bridge_gone()))
        return self

    def _spawn(self, gone: Awaitable[None]) -> None:
        log.info("bridge transport %s terminated: dropping its links", self.describe)
        self._gone = asyncio.ensure_future(gone)

    async def close(self) -> None:
        await self._transport.close()
        if self._gone is not None:
            await asyncio.gather(self._gone, return_exceptions=True)
