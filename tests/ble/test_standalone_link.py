"""The bridge's production path (BumbleRadio → bleak → Treadmill) against `treadlink-sim` running
as its own process on 127.0.0.1, and the CLI commands pointed at it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.sim_process import simulator, simulator_process
from tests.support.sim_report import Line, until
from tests.support.simulated import commanded
from treadlink.ble.bumble.radio import BumbleRadio
from treadlink.ble.link import Link
from treadlink.safety.events import BeltStopped, Fault, LinkDown, Reconnected, StopAccepted
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink.treadmill.state import Telemetry, TreadmillEvent

pytestmark = pytest.mark.slow


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


@pytest.mark.parametrize("tasks", ["lazy", "eager"])
async def test_a_simulator_restarted_on_its_port_is_reconnected_and_stopped(
    tmp_path: Path, tasks: str
) -> None:
    """A treadmill that power-cycles mid-run: the simulator is killed (SIGKILL) with the belt
    moving and started again on the same port. The guard latches the link drop and reconnects
    (the radio opens the transport again, with a fresh central), asks for control and writes
    Stop until the belt is stopped. The new simulator's own report decides: it was connected to,
    Stop reached it, and no Start or speed reached it before the runner acknowledged.

    Eager tasks are what the runner's full screen runs on (textual sets the factory): the
    reconnect then starts inside bumble's report of the drop, before the guard has returned."""
    loop = asyncio.get_running_loop()
    if tasks == "eager":
        loop.set_task_factory(asyncio.eager_task_factory)
    try:
        await _kill_and_restart(tmp_path)
    finally:
        loop.set_task_factory(None)


async def _kill_and_restart(tmp_path: Path) -> None:
    first_report, second_report = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    quick = ("--telemetry-hz", "10", "--accel-up", "5")
    events = Recorder()
    async with (
        asyncio.timeout(45),
        simulator(*quick, "--report", str(first_report)) as first,
        BumbleRadio(first.spec) as radio,
    ):
        device = await radio.find_treadmill(timeout=5)
        async with Link(device, backend=radio.client_backend) as link, SafetyGuard(link) as guard:
            guard.subscribe(events)
            await guard.request_control()
            await guard.start()
            await guard.set_speed(3.0)
            await until(first_report, lambda lines: lines[-1]["belt_speed_kmh"] >= 3.0)

            await first.kill()
            await events.first(lambda e: isinstance(e, LinkDown))
            assert guard.latched is FaultKind.LINK_DROPPED
            async with simulator(*quick, "--report", str(second_report), port=first.port):
                await events.first(lambda e: isinstance(e, Reconnected))
                await events.first(lambda e: isinstance(e, StopAccepted))
                await events.first(lambda e: isinstance(e, BeltStopped))
                lines = await until(second_report, lambda ls: "08 01 -> success" in writes(ls))
                assert any(line["connected"] for line in lines)
                assert writes(lines)[0] == "00 -> success"  # control asked for first
                # Nothing but Request Control and Stop before the runner acknowledges.
                assert {w.split(" -> ")[0] for w in writes(lines)} <= {"00", "08 01"}
                assert all(line["target_speed_kmh"] == 0 for line in lines)
                assert all(line["belt_speed_kmh"] == 0 for line in lines)
                assert lines[-1]["mode"] == "stopped"
                assert guard.latched is FaultKind.LINK_DROPPED  # still, until acknowledged
                assert guard.acknowledge()
    faults = [e for e in events if isinstance(e, Fault)]
    assert faults[0].fault == FaultKind.LINK_DROPPED


def writes(lines: list[Line]) -> list[str]:
    """Every control-point write a simulator's report shows, in order."""
    return [write for line in lines for write in line["control_point"]]
