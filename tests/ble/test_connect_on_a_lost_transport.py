"""A connect under way when its transport dies (the treadmill's controller restarted: the
standalone simulator killed) fails at once, not after bumble's connect timeout and then its HCI
command timeout: reconnecting must not be held up by an attempt that cannot succeed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bleak import BleakClient
from bleak.exc import BleakError

from tests.support.sim_process import simulator
from treadlink.ble.bumble.client import BleakClientBumble, bumble_ble_device
from treadlink.ble.bumble.radio import BumbleRadio

ADDRESS = "F0:F0:F0:F0:F0:01"


async def test_a_connect_fails_at_once_when_its_transport_dies(tmp_path: Path) -> None:
    scenario = tmp_path / "away.yaml"
    scenario.write_text("- {at: 0, do: set_fault, fault: link_lost}\n")  # not advertising
    async with (
        simulator("--scenario", str(scenario)) as sim,
        BumbleRadio(sim.spec) as radio,
    ):
        device = bumble_ble_device(ADDRESS, "treadmill", radio)
        # A connect timeout far longer than this test's own bound.
        client = BleakClient(device, backend=BleakClientBumble, timeout=120)
        connecting = asyncio.create_task(client.connect())
        async with asyncio.timeout(10):
            while not radio.central.le_connecting:  # noqa: ASYNC110 - bumble emits no event for it
                await asyncio.sleep(0.01)
        await sim.kill()  # while the attempt waits for an advertisement that will not come
        async with asyncio.timeout(20):
            with pytest.raises(BleakError, match="transport was lost"):
                await connecting
