"""On a treadmill that takes Start/Resume as a pause toggle while its belt runs (TM11GY, QZ
#5100: profile `start-toggles`, which also answers every request with success and counts mph
under a km/h label), a session's pause and resume, and a fault, its acknowledgement and the
resume, never write Start to a running belt: judged by the simulator at the moment each write
arrives, and by the belt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.session import PROFILE
from tests.support.simulated import fake_time, link
from treadlink.app.connection import Connection
from treadlink.ftms.protocol import OpCode
from treadlink.plans.loader import load_stage
from treadlink.plans.timeline import Timeline
from treadlink.safety.events import Acknowledged, BeltStopped, Fault
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Paused, Resumed, SegmentStarted, SetpointConfirmed
from treadlink_sim.treadmill import TreadmillSimulator

STAGE = 'name: "Walk, run, walk"\nitems:\n  - walk: 2:00\n  - run: 3:00\n  - walk: 2:00\n'


class Starts:
    """Each Start/Resume written, with whether the simulator's belt was running when it came."""

    def __init__(self, sim: TreadmillSimulator) -> None:
        self.sim = sim
        self.while_running: list[bool] = []
        sim.add_control_point_listener(self)

    def __call__(self, data: bytes) -> None:
        if data[:1] == bytes([OpCode.START_OR_RESUME]):
            self.while_running.append(self.sim.running)


def fitted_stage(tmp_path: Path, connection: Connection, text: str = STAGE) -> Timeline:
    """The stage checked against the treadmill's own ranges, as `treadlink run` does."""
    path = tmp_path / "stage.yaml"
    path.write_text(text)
    return load_stage(path, PROFILE, connection.limits)


async def running_at(events: Recorder, sim: TreadmillSimulator, index: int, kmh: float) -> None:
    await events.first(lambda e: isinstance(e, SetpointConfirmed) and e.index == index)
    assert sim.belt_speed_kmh == pytest.approx(kmh, abs=0.05)  # the nearest 0.1 mph


@dataclass
class Running:
    sim: TreadmillSimulator
    starts: Starts
    session: Session
    events: Recorder
    run: asyncio.Task[object]


@asynccontextmanager
async def running_the_run_segment(tmp_path: Path) -> AsyncIterator[Running]:
    """A session on the `start-toggles` unit, its belt running segment 2's 8.5 km/h; the test's
    own Starts listener on the simulator from the first write on."""
    async with link(profile="start-toggles", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        starts = Starts(sim)
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            timeline = fitted_stage(tmp_path, Connection(connection.link, guard))
            session = Session(guard, timeline, on_fault="pause")
            events = Recorder()
            session.subscribe(events)
            run = asyncio.create_task(session.run())
            await events.first(lambda e: isinstance(e, SegmentStarted) and e.index == 1)
            await running_at(events, sim, 1, 8.5)
            yield Running(sim, starts, session, events, run)


async def resumed_and_followed(r: Running) -> None:
    """Resumed, then the belt seen at its setpoint again (a setpoint confirmed after it)."""
    await r.events.first(lambda e: isinstance(e, Resumed))
    mark = len(r.events)
    await r.events.first(lambda e: isinstance(e, SetpointConfirmed) and r.events.index(e) >= mark)


@fake_time
@pytest.mark.parametrize("resume_after_s", [20.0, 1.0], ids=["at_rest", "still_slowing"])
async def test_pause_and_resume_never_toggle_the_belt(
    tmp_path: Path, resume_after_s: float
) -> None:
    async with running_the_run_segment(tmp_path) as r:
        assert r.session.pause("the runner's p")
        await r.events.first(lambda e: isinstance(e, Paused))
        await asyncio.sleep(resume_after_s)
        assert r.session.resume()
        await resumed_and_followed(r)
        assert r.sim.belt_speed_kmh == pytest.approx(8.5, abs=0.05)  # running, not paused
        r.session.quit("the test is done")
        await r.run
    assert r.starts.while_running and not any(r.starts.while_running)
    assert not [e for e in r.events if isinstance(e, Fault) and e.latched]
    assert r.sim.belt_speed_kmh == 0.0


@fake_time
async def test_a_fault_acknowledged_and_resumed_never_toggles_the_belt(tmp_path: Path) -> None:
    async with running_the_run_segment(tmp_path) as r:
        r.session.emergency_stop("a stop key")
        await r.events.first(lambda e: isinstance(e, BeltStopped))
        assert r.sim.belt_speed_kmh == 0.0
        assert r.session.acknowledge()
        await r.events.first(lambda e: isinstance(e, Acknowledged))
        assert r.session.resume()
        await resumed_and_followed(r)
        assert r.sim.belt_speed_kmh == pytest.approx(8.5, abs=0.05)  # eased back in, running
        r.session.quit("the test is done")
        await r.run
    assert len(r.starts.while_running) == 2 and not any(r.starts.while_running)
    assert r.sim.belt_speed_kmh == 0.0
