"""In-process rig: the simulator and a spare controller for the bridge, on one virtual link.

async with sim_rig() as rig:
    host = Host(rig.bridge_controller, AsyncPipeSink(rig.bridge_controller))
    central = Device(name="bridge", address=Address(rig.bridge_address), host=host)
    ...connect to rig.address, drive rig.simulator...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from treadlink_sim.profile import MachineProfile, load_profile
from treadlink_sim.quiet import SimController, SimHost
from treadlink_sim.treadmill import TreadmillSimulator

BRIDGE_ADDRESS = "F0:F0:F0:F0:F0:02"


@dataclass(frozen=True, slots=True)
class Rig:
    simulator: TreadmillSimulator
    link: LocalLink
    bridge_controller: Controller  # build the bridge's Host/Device on this one
    bridge_address: str

    @property
    def address(self) -> str:
        """The simulated treadmill's Bluetooth address."""
        return self.simulator.address


def simulator_device(profile: MachineProfile, link: LocalLink) -> Device:
    """A bumble Device for the treadmill, on its own virtual controller on `link`."""
    controller = SimController(profile.name, link=link, public_address=profile.address)
    host = SimHost(controller, AsyncPipeSink(controller))
    return Device(name=profile.local_name, address=Address(profile.address), host=host)


def new_link() -> LocalLink:
    return LocalLink()  # type: ignore[no-untyped-call]  # bumble leaves it unannotated


@asynccontextmanager
async def sim_rig(
    profile: MachineProfile | str | Path = "noblepro-elite",
    *,
    telemetry_hz: float | None = None,
    bridge_address: str = BRIDGE_ADDRESS,
    time_scale: float = 1.0,
) -> AsyncIterator[Rig]:
    """A started simulator and a bridge controller on a fresh LocalLink; all stopped on exit.
    `time_scale` speeds the belt up alike for a sped-up session (see TreadmillSimulator)."""
    if not isinstance(profile, MachineProfile):
        profile = load_profile(profile)
    link = new_link()
    simulator = TreadmillSimulator(
        simulator_device(profile, link), profile, telemetry_hz=telemetry_hz, time_scale=time_scale
    )
    bridge = SimController("bridge", link=link, public_address=bridge_address)
    await simulator.start()
    try:
        yield Rig(simulator, link, bridge, bridge_address)
    finally:
        await simulator.stop()
