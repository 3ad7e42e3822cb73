"""`treadlink-sim` as its own process, reached over bumble's HCI-over-TCP transport."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.sim_process import (
    SIM,
    STARTS_WITHIN_S,
    central_over,
    simulator_process,
)
from treadlink.ftms.layouts import decode_treadmill_data
from treadlink.ftms.protocol import Characteristic as Char
from treadlink_sim.cli import main

SUPPORT = Path(__file__).resolve().parents[1] / "support"  # sim_central, for the client process


async def test_bridge_over_tcp() -> None:
    async with simulator_process("--telemetry-hz", "20") as (spec, _):
        assert spec.startswith("tcp-client:127.0.0.1:")
        async with asyncio.timeout(15), central_over(spec) as central:
            await central.connect("F0:F0:F0:F0:F0:01")
            await central.subscribe()
            assert await central.request(b"\x00") == bytes.fromhex("80 00 01")
            assert await central.request(bytes.fromhex("02 20 03")) == bytes.fromhex("80 02 01")
            assert await central.request(b"\x07") == bytes.fromhex("80 07 01")
            while (
                decode_treadmill_data(await central.next(Char.TREADMILL_DATA)).values["speed_kmh"]
                == 0
            ):
                pass
            await central.disconnect()


CLIENT = """
import asyncio, sys
from bumble.transport import open_transport
from sim_central import RawCentral

async def main() -> None:
    transport = await open_transport(sys.argv[1])
    central = await RawCentral.over_hci(transport.source, transport.sink)
    await central.connect("F0:F0:F0:F0:F0:01")
    await central.subscribe()
    await central.request(b"\\x00")
    print("CONNECTED", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_killed_bridge_does_not_block_the_next() -> None:
    async with simulator_process() as (spec, _):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SUPPORT), *sys.path])}
        client = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLIENT, spec, stdout=asyncio.subprocess.PIPE, env=env
        )
        assert client.stdout is not None
        try:
            async with asyncio.timeout(STARTS_WITHIN_S):  # a Python process with bumble
                assert (await client.stdout.readline()).strip() == b"CONNECTED"
        finally:
            client.kill()  # no disconnection: the socket just goes away
            await client.wait()
        async with asyncio.timeout(15), central_over(spec) as central:
            await central.connect("F0:F0:F0:F0:F0:01")
            await central.subscribe()
            # The first bridge's control went with its link.
            assert await central.request(b"\x00") == bytes.fromhex("80 00 01")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nope"], "no profile 'nope'"),
        (["--telemetry-hz", "0"], "telemetry_hz: Input should be greater than 0"),
        (["--scenario", "/nonexistent.yaml"], "scenario /nonexistent.yaml: no such file"),
        (["--link", "bogus:1"], "cannot open transport 'bogus:1'"),
        (["--link", "tcp-server:127.0.0.1:0", "--hci", "usb:0"], "not allowed with argument"),
        (["--speed-max", "fast"], "invalid float value"),
    ],
)
def test_bad_options_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(args)
    except SystemExit as exit_:
        status = exit_.code  # type: ignore[assignment]
    assert status == 2
    assert message in capsys.readouterr().err


def test_bad_scenario_exits_2(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("- {at: 1, do: console_speed, speed_kmh: 99}\n")
    done = subprocess.run(
        [*SIM, "--scenario", str(scenario)], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 2
    assert "step 1 (do: console_speed): speed 99.0 is not on" in done.stderr


def test_help_describes_every_option() -> None:
    done = subprocess.run([*SIM, "--help"], capture_output=True, text=True, timeout=20, check=True)
    for option in ("--link", "--hci", "--profile", "--scenario", "--telemetry-hz", "--step-count"):
        assert option in done.stdout
