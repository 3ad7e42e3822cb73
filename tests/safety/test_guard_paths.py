"""The guard's other paths: debounce, the console winning, exits (exception, SIGTERM, Ctrl-C)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.session import matrix_stage
from tests.support.simulated import fake_time, link
from treadlink.config import RunnerProfile
from treadlink.plans import TreadmillLimits, load_stage
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    BeltStopped,
    ConsoleOverride,
    Fault,
    Finished,
    Paused,
    Resumed,
    SegmentStarted,
    SetpointSent,
)
from treadlink_sim.faults import Fault as SimFault

pytestmark = pytest.mark.slow


@fake_time
async def test_a_lone_zero_frame_is_not_a_stop_but_a_sustained_one_is(tmp_path: Path) -> None:
    events = Recorder()
    async with link(telemetry_hz=4.0) as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, matrix_stage(tmp_path), on_fault="pause")
        session.subscribe(events)
        run = asyncio.get_running_loop().create_task(session.run())
        await events.first(lambda e: isinstance(e, SegmentStarted) and e.index == 1)
        await sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
        await asyncio.sleep(0.3)  # fake time: one frame reads 0 km/h
        await sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
        await asyncio.sleep(5)
        assert session.guard.latched is None
        assert not [e for e in events if isinstance(e, Fault)]
        await sim.set_fault(SimFault.ZERO_SPEED_FRAMES)  # now for good
        fault = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=5)
        assert isinstance(fault, Fault)
        assert fault.fault == "belt_stopped"
        session.stop()
        await run


@fake_time
async def test_a_console_speed_change_pauses_the_plan_and_the_belt_keeps_it(
    tmp_path: Path,
) -> None:
    events = Recorder()
    async with link(telemetry_hz=4.0) as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, matrix_stage(tmp_path), on_fault="pause")
        session.subscribe(events)
        run = asyncio.get_running_loop().create_task(session.run())
        await events.first(lambda e: isinstance(e, SegmentStarted) and e.index == 1)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 8.5, timeout=10)
        await sim.console_set_speed(7.5)  # the runner slows down by hand
        override = await events.first(lambda e: isinstance(e, ConsoleOverride))
        assert isinstance(override, ConsoleOverride)
        assert override.speed_kmh == 7.5
        paused = await events.first(lambda e: isinstance(e, Paused))
        await asyncio.sleep(200)  # fake time: well past the segment's planned end
        # Not a fault: nothing latched, the belt runs at the runner's speed, the plan waits.
        assert session.guard.latched is None
        assert sim.belt_speed_kmh == 7.5
        assert not [e for e in events if isinstance(e, SetpointSent) and e.at > paused.at]
        session.acknowledge()
        session.resume()
        await events.first(lambda e: isinstance(e, Resumed))
        resent = await events.first(lambda e: isinstance(e, SetpointSent) and e.at > paused.at)
        assert isinstance(resent, SetpointSent)
        assert resent.speed_kmh == 8.5  # the segment's own setpoint, on the runner's word
        session.stop()
        await run


@fake_time
async def test_an_error_inside_the_session_leaves_the_belt_stopped(tmp_path: Path) -> None:
    # Compiled for a NoblePro (incline step 0.5), run on a treadmill with 1 % steps: the first
    # incline setpoint is refused locally, mid-session, with the belt already moving.
    path = tmp_path / "half.yaml"
    path.write_text("name: half\nitems:\n  - speed: 5.0\n    incline: 0.5\n    for: 5:00\n")
    timeline = load_stage(path, RunnerProfile(), TreadmillLimits())
    events = Recorder()
    async with link(profile="generic") as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, timeline)
        session.subscribe(events)
        finished = await session.run()
        await connection.simulator.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=30)
        assert connection.simulator.stopped
    assert not finished.completed
    assert any(isinstance(e, Fault) and "incline 0.5" in e.message for e in events)
    assert any(isinstance(e, BeltStopped) for e in events)
    assert isinstance(events[-1], Finished)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_belt_and_keep_the_record(tmp_path: Path, signum: int) -> None:
    """`treadlink run --sim` as a real process: a signal mid-session leaves the simulated belt
    stopped (its own record says so) and the session record complete on disk."""
    record = tmp_path / "run.jsonl"
    stage = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "stage-01.yaml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "treadlink.cli",
            "run",
            str(stage),
            "--sim",
            "--events",
            str(record),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # the belt is moving under the first segment
        if "segment 1:" in line:
            break
    process.send_signal(signum)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 1  # ended early
    assert "belt stopped" in out
    kinds = [json.loads(line) for line in record.read_text().splitlines()]
    reason = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    assert any(k["event"] == "stop_requested" and k["reason"] == reason for k in kinds)
    assert any(k["event"] == "belt_stopped" for k in kinds)
    assert kinds[-1]["event"] == "finished"


@fake_time
@pytest.mark.parametrize("what", ["console_stop", "drop_link"])
async def test_a_session_paused_by_the_runner_still_drives_the_belt(
    tmp_path: Path, what: str
) -> None:
    """Paused, no Start of ours is in force and the belt is still; the session holds its plan
    all the same, so a console stop or a link drop is a fault, as when the belt runs."""
    events = Recorder()
    async with link(telemetry_hz=4.0) as connection, SafetyGuard(connection.link) as guard:
        paused = Session(guard, matrix_stage(tmp_path), on_fault="pause")
        paused.subscribe(events)
        task = asyncio.get_running_loop().create_task(paused.run())
        await events.first(lambda e: isinstance(e, SegmentStarted) and e.index == 1)
        assert paused.pause("runner")
        await connection.simulator.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
        await asyncio.sleep(guard.settings.own_status_window_s + 5)
        assert guard.latched is None and guard.idle_at_rest is False
        await getattr(connection.simulator, what)()
        fault = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=30)
        assert isinstance(fault, Fault)
        assert fault.fault == {"console_stop": "console_stop", "drop_link": "link_dropped"}[what]
        paused.stop()
        await task
    assert not guard.driving  # the plan was let go with the session
