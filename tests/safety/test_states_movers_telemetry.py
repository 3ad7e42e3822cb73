"""States × movers × telemetry, tried as a hostile tester would: in every state a session can be in
(running, paused, latched, easing in after a fault, winding down), the console moves the belt,
while the telemetry is normal, silent, or contradicts itself (0 km/h while the distance grows).
What the belt did is the simulator's word.

The promises: with telemetry silent or contradicting, a fault and the belt stopped, whatever the
state; with normal telemetry, a belt the console moves while a fault holds it is stopped again
at once, the console wins while the plan runs or waits (the plan pauses, the belt keeps the
console's speed), and a session winding down still ends with the belt at rest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.session import write_stage
from tests.support.simulated import fake_time, link
from treadlink.safety.events import Acknowledged, BeltStopped, Fault
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Finished, Paused, Resumed, SegmentStarted
from treadlink_sim.faults import Fault as SimFault

STAGE = 'name: "Run"\nitems:\n  - walk: 0:30\n  - run: 20:00\n'
STATES = ["running", "paused", "latched", "easing_in", "winding_down"]
TELEMETRY = {
    "normal": None,
    "silent": SimFault.TELEMETRY_SILENT,
    "contradicting": SimFault.ZERO_SPEED_FRAMES,
}
CONSOLE_KMH = 9.0  # under the runner's cap of 10


async def into(state: str, session: Session, events: Recorder) -> None:
    """Bring the session into `state`, the belt running at 8.5 km/h first."""
    await events.first(lambda e: isinstance(e, SegmentStarted) and e.index == 1, timeout=120)
    if state == "paused":
        assert session.pause("p")
        await events.first(lambda e: isinstance(e, Paused), timeout=30)
    elif state in ("latched", "easing_in"):
        session.emergency_stop("space bar")
        await events.first(lambda e: isinstance(e, BeltStopped), timeout=60)
        if state == "easing_in":
            assert session.acknowledge()
            await events.first(lambda e: isinstance(e, Acknowledged), timeout=5)
            assert session.resume()
    elif state == "winding_down":
        session.stop("the runner's q")


@fake_time
@pytest.mark.parametrize("telemetry", list(TELEMETRY))
@pytest.mark.parametrize("state", STATES)
async def test_the_console_moves_the_belt(state: str, telemetry: str, tmp_path: Path) -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        settings = GuardSettings(cap_kmh=10.0)
        async with SafetyGuard(connection.link, settings=settings) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="pause")
            events = Recorder()
            session.subscribe(events)
            run = asyncio.get_running_loop().create_task(session.run())
            await sim.wait_for(lambda s: s.belt_speed_kmh == 8.5, timeout=120)
            await into(state, session, events)
            if state == "paused":
                await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
            if state == "easing_in":
                await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=60)
            loop = asyncio.get_running_loop()
            moved_at = loop.time()
            fault = TELEMETRY[telemetry]
            if fault is not None:
                await sim.set_fault(fault)
            if sim.belt_speed_kmh == 0.0:
                await sim.console_start()
            await sim.console_set_speed(CONSOLE_KMH)
            if state == "winding_down":
                # Whatever the console and the frames do, the way out ends with the belt at
                # rest, seen so (the frames back once the faulty ones have had their say).
                if fault is not None:
                    await asyncio.sleep(8)
                    await sim.clear_fault(fault)
                finished = await asyncio.wait_for(run, timeout=120)
                assert finished.belt == "stopped"
            elif telemetry != "normal" or state == "latched":
                # A fault (a new one, or held means held) and the belt stopped again.
                tripped = await events.first(
                    lambda e: isinstance(e, Fault) and e.latched and e.at > moved_at - 1e-9,
                    timeout=30,
                )
                assert isinstance(tripped, Fault)
                if fault is not None:
                    await asyncio.sleep(1)
                    await sim.clear_fault(fault)  # frames again: the rest can be seen
                await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=60)
                await events.first(lambda e: isinstance(e, BeltStopped) and e.at > moved_at, 60)
            else:
                # The console wins: the plan waits, the belt keeps the console's speed.
                await sim.wait_for(lambda s: s.belt_speed_kmh == CONSOLE_KMH, timeout=60)
                await asyncio.sleep(10)
                assert guard.latched is None, [e for e in events if isinstance(e, Fault)]
                assert session.paused
                assert sim.belt_speed_kmh == CONSOLE_KMH
                assert not [e for e in events if isinstance(e, Resumed) and e.at > moved_at]
            session.quit("test over")
            finished = await asyncio.wait_for(run, timeout=120)
            assert isinstance(finished, Finished)
            assert finished.belt == "stopped"
            assert sim.belt_speed_kmh == 0.0  # every way out leaves the belt at rest


@fake_time
async def test_a_quit_just_after_the_belt_was_seen_stopped_is_no_false_alarm(
    tmp_path: Path,
) -> None:
    """The plan ends, the belt is seen stopped, and the runner presses q in that instant: the
    way out must not start a new stop and then report the belt as possibly running."""
    async with link(telemetry_hz=4.0) as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, write_stage(tmp_path, 'name: "s"\nitems:\n  - walk: 0:20\n'))

        def quit_on_rest(event: object) -> None:
            if isinstance(event, BeltStopped):
                session.quit("q")

        session.subscribe(quit_on_rest)
        finished = await session.run()
        assert finished.belt == "stopped"
        assert connection.simulator.belt_speed_kmh == 0.0
