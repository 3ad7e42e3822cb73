"""`BumbleRadio`: a bumble central for the simulated treadmill.

    async with BumbleRadio() as radio:                       # simulator in this process
        device = await radio.find_treadmill()
    async with BumbleRadio("tcp-client:127.0.0.1:7000") as radio:   # `treadlink-sim` elsewhere
        ...

The central runs bumble's host stack on a controller it does not own: a second controller on the
in-process simulator's virtual link, or one reached over any bumble transport (the standalone
simulator exposes one over TCP; a USB dongle is one too).

The radio owns that transport. A transport can be lost (the standalone simulator killed, or
restarted on the same port, like a treadmill that power-cycles): bumble then reports every
connection on it as dropped, and the next connect or scan asks `live_central()`, which lets the
dead central go and powers on a fresh one over the transport opened again (decision 0010).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.transport import open_transport
from bumble.transport.common import (
    AsyncPipeSink,
    Transport,
    TransportLostError,
    TransportSpecError,
)

from treadlink.ble.bumble.client import BleakClientBumble
from treadlink.ble.bumble.scanner import BleakScannerBumble
from treadlink.ble.link import Link
from treadlink.ble.protocols import Protocol
from treadlink.ble.radio import Radio, RadioUnavailable
from treadlink.treadmill.base import Treadmill

if TYPE_CHECKING:
    from treadlink_sim.rig import Rig
    from treadlink_sim.treadmill import TreadmillSimulator

log = logging.getLogger(__name__)

BRIDGE_NAME = "treadlink"
CLOSE_TIMEOUT_S = 5.0  # a dead transport's HCI commands would each wait out bumble's timeout
BRIDGE_ADDRESS = "F0:7D:1A:00:00:02"  # random static (two top bits set), fixed for readable logs


class BumbleRadio(Radio):
    client_backend: type[BaseBleakClient] | None = BleakClientBumble
    scanner_backend: type[BaseBleakScanner] | None = BleakScannerBumble

    def __init__(self, transport: str | None = None, **simulator_options: Any) -> None:
        """`transport` is a bumble transport spec; None starts a simulator in this process,
        configured by `simulator_options` (see treadlink_sim.rig.sim_rig)."""
        self.transport_spec = transport
        self._simulator_options = simulator_options
        self._exit = contextlib.AsyncExitStack()  # the radio's life: the in-process simulator
        self._central_exit = contextlib.AsyncExitStack()  # the central's: its host, transport
        self._rig: Rig | None = None
        self._central: Device | None = None
        self._transport: Transport | None = None
        self._reopening = asyncio.Lock()  # two askers at once get one new central, not two
        self._is_open = False

    @property
    def central(self) -> Device:
        if self._central is None:
            raise RuntimeError("BumbleRadio is not open")
        return self._central

    @property
    def simulator(self) -> TreadmillSimulator | None:
        """The in-process simulator, for tests and the demo; None over a transport."""
        return self._rig.simulator if self._rig is not None else None

    def scanner_kwargs(self) -> dict[str, Any]:
        return {"bumble_centrals": self}

    @property
    def known_address(self) -> str | None:
        return self._rig.simulator.address if self._rig is not None else None

    async def open(self) -> None:
        try:
            if self.transport_spec is None:
                # Imported here: the simulator is only needed when it runs in this process.
                from treadlink_sim.rig import sim_rig

                rig = await self._exit.enter_async_context(sim_rig(**self._simulator_options))
                self._rig = rig
                controller = rig.bridge_controller
                await self._power_on(Host(controller, AsyncPipeSink(controller)))
            else:
                await self._open_central(self.transport_spec)
        except BaseException:
            await self.close()
            raise
        self._is_open = True

    async def live_central(self) -> Device:
        """The central to connect or scan from now. Over a transport that was lost, the dead
        central is let go and a fresh one powered on over the transport opened again: one
        attempt, which fails with RadioUnavailable (a BleakError) while nothing answers; the
        caller paces the attempts (the guard's reconnect backoff). The in-process simulator's
        virtual link is never lost: its central is the same for the radio's life."""
        async with self._reopening:
            if not self._is_open:
                raise RadioUnavailable("the bumble radio is not open")
            if _is_lost(self._transport):
                log.info(
                    "the transport to %s was lost: letting its central go", self.transport_spec
                )
                await self._release_central()
            if self._central is None and self.transport_spec is not None:
                await self._open_central(self.transport_spec)
                if not self._is_open:  # closed while the transport was opened: let it go too
                    await self._release_central()
                    raise RadioUnavailable("the bumble radio was closed")
            return self.central

    async def transport_lost(self, central: Device) -> None:
        transport = self._transport if central is self._central else None
        if transport is None:
            if central is self._central:
                await asyncio.get_running_loop().create_future()  # the virtual link: never lost
            return  # a central let go already: its transport is gone
        await asyncio.shield(transport.source.terminated)

    async def close(self) -> None:
        self._is_open = False
        await self._release_central()
        try:
            await self._exit.aclose()
        except Exception as e:
            log.warning("the bumble radio did not close cleanly: %r", e)
        self._rig = None

    # --- the central and its transport ---------------------------------------------------------
    async def _open_central(self, spec: str) -> None:
        try:
            transport = await _open_transport(spec)
            self._transport = transport
            self._central_exit.push_async_callback(transport.close)
            await self._power_on(Host(transport.source, transport.sink), transport)
        except BaseException:
            await self._release_central()
            raise

    async def _power_on(self, host: Host, transport: Transport | None = None) -> None:
        central = Device(name=BRIDGE_NAME, address=Address(BRIDGE_ADDRESS), host=host)
        try:
            await central.power_on()
        except TransportLostError:
            raise RadioUnavailable(
                f"the simulator at {self.transport_spec} closed the link at once: another "
                "bridge is probably connected to it (one bridge per treadmill)"
            ) from None
        self._central_exit.push_async_callback(_power_off, central, transport)
        self._central = central

    async def _release_central(self) -> None:
        """Power the central off and close its transport; bounded, for a dead transport's HCI
        commands would each wait out bumble's timeout."""
        self._central = self._transport = None
        central_exit, self._central_exit = self._central_exit, contextlib.AsyncExitStack()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await central_exit.aclose()
        except Exception as e:
            log.warning("the bumble central did not close cleanly: %r", e)


def _is_lost(transport: Transport | None) -> bool:
    return transport is not None and transport.source.terminated.done()


async def _power_off(central: Device, transport: Transport | None) -> None:
    # bumble flushed a lost transport's host already, reporting every connection on it dropped;
    # powering off would flush again, from inside whoever is reacting to that report.
    if not _is_lost(transport):
        await central.power_off()


async def _open_transport(spec: str) -> Transport:
    """bumble's transport, or RadioUnavailable saying in a sentence why it cannot be had."""
    try:
        return await open_transport(spec)
    except TransportSpecError as e:
        raise RadioUnavailable(
            f"{spec!r} is not a transport treadlink can open ({e}); for the standalone "
            "simulator use --sim tcp-client:HOST:PORT",
            bad_input=True,
        ) from None
    except ConnectionRefusedError:
        raise RadioUnavailable(
            f"nothing answers at {spec}: is `treadlink-sim --link tcp-server:…` running on "
            "that port?"
        ) from None
    except (OSError, ValueError) as e:
        raise RadioUnavailable(f"cannot open {spec}: {e}") from None


@dataclass(frozen=True, slots=True)
class SimulatedLink:
    radio: BumbleRadio
    simulator: TreadmillSimulator
    link: Link

    @property
    def treadmill(self) -> Treadmill:
        return self.link.treadmill


@asynccontextmanager
async def simulated_link(
    *, procedure_timeout: float = 2.0, protocol: Protocol | None = None, **simulator_options: Any
) -> AsyncIterator[SimulatedLink]:
    """An in-process simulator, found by scanning and connected through bleak, like `--sim`
    (`protocol`: as `--protocol`, for a unit that speaks both).

    For tests, benchmarks and the demo. Nothing holds the control point yet: a SafetyGuard
    takes it (or a test of the FTMS layer, with `treadmill.take_control`).
    """
    async with BumbleRadio(**simulator_options) as radio:
        assert radio.simulator is not None
        device = await radio.find_treadmill(timeout=2)
        async with Link(
            device,
            backend=radio.client_backend,
            procedure_timeout=procedure_timeout,
            protocol=protocol,
        ) as link:
            yield SimulatedLink(radio, radio.simulator, link)
