"""`treadlink serve` refuses a remote start onto a belt the guard has not seen at rest, even when
its frames read 0 km/h. Real simulator through the production bleak path, real Mosquitto."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.mosquitto import Mosquitto
from tests.support.serving import ready_to_start
from treadlink_sim.faults import Fault

pytestmark = pytest.mark.slow


async def test_no_remote_start_on_a_console_belt_whose_frames_read_zero(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """A belt walked on the console whose frames read 0 km/h is not stopped: a remote start onto it
    is refused. The guard's window of frames at rest (the distance unchanged) decides."""
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        await simulator.console_start()
        await watcher.state(lambda s: s["belt"] == "running")
        await simulator.set_fault(Fault.ZERO_SPEED_FRAMES)
        guard = service.guard
        assert guard is not None
        zero_frames = asyncio.Event()
        seen: list[float] = []

        def count(_event: object) -> None:
            if guard.treadmill.state.speed_kmh == 0.0:
                seen.append(asyncio.get_running_loop().time())
                if len(seen) >= 3 and seen[-1] - seen[0] >= 2.0:  # longer than the window
                    zero_frames.set()

        unsubscribe = guard.treadmill.subscribe(count)
        try:
            async with asyncio.timeout(15):
                await zero_frames.wait()
            assert simulator.belt_speed_kmh > 0.5  # the belt runs; only the frames say 0
            answer = await watcher.command("start", '{"stage": "short"}')
            assert not answer["ok"] and "at rest" in answer["reason"], answer
            assert service.sessions == 0
        finally:
            unsubscribe()
            await simulator.clear_fault(Fault.ZERO_SPEED_FRAMES)
            await simulator.console_stop()
