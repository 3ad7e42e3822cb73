"""The bridge's production path (BumbleRadio → bleak → Treadmill) against `treadlink-sim` running
as its own process on 127.0.0.1, and the CLI commands pointed at it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.conftest import commanded
from tests.sim.test_standalone import simulator_process
from treadlink.ble.bumble.radio import BumbleRadio
from treadlink.ble.link import Link
from treadlink.ftms.state import Telemetry, TreadmillEvent


async def test_treadmill_over_tcp() -> None:
    async with (
        simulator_process("--telemetry-hz", "20", "--accel-up", "20") as (spec, _),
        asyncio.timeout(20),
        BumbleRadio(spec) as radio,
    ):
        assert radio.simulator is None
        device = await radio.find_treadmill(timeout=5)
        async with Link(device, backend=radio.client_backend) as link:
            treadmill = commanded(link.treadmill)
            assert treadmill.capabilities.info.manufacturer == "NoblePro"
            moving: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def on_event(event: TreadmillEvent) -> None:
                at_speed = isinstance(event, Telemetry) and event.state.speed_kmh == 8.2
                if at_speed and not moving.done():
                    moving.set_result(None)

            treadmill.subscribe(on_event)
            await treadmill.request_control()
            await treadmill.start()
            await treadmill.set_speed(8.2)
            await moving
            await treadmill.stop()


@pytest.mark.parametrize("command", ["probe", "scan"])
async def test_cli_over_tcp(command: str) -> None:
    async with simulator_process() as (spec, _):
        args = ["--seconds", "0"] if command == "probe" else ["--timeout", "1"]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "treadlink.cli",
            command,
            "--sim",
            spec,
            *args,
            stdout=subprocess.PIPE,
        )
        async with asyncio.timeout(30):
            out, _ = await process.communicate()
        assert process.returncode == 0
        assert b"F0:F0:F0:F0:F0:01" in out
