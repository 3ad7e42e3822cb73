"""What each FitShow command did is judged by the status after it, each time: a Start never goes
to a belt that runs (some consoles take READY as a new workout), and once our STOP has been
seen taken, a later stop on the console while treadlink drives is the console's, a fault
(docs/safety.md, the same contract on both protocols). Judged by what the simulated console
heard and did."""

from __future__ import annotations

import asyncio

from tests.support.events import Recorder
from tests.support.fitshow_driven import guard_runs_the_belt
from tests.support.simulated import fake_time, link
from treadlink.fitshow.protocol import BeltState
from treadlink.fitshow.requests import ready_request
from treadlink.safety.events import Fault
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard


@fake_time
async def test_no_start_is_written_to_a_belt_that_runs() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            assert await guard.wait_belt_reported()
            await sim.console_start()
            await sim.wait_for(lambda s: s.console_state == BeltState.RUNNING, timeout=30)
            await asyncio.sleep(1)  # the polls have read it running
            heard = len(sim.control_point_log)
            await guard.start()
            await asyncio.sleep(1)
            ready = ready_request()[:3]
            written = [r.data for r in sim.control_point_log[heard:]]
            assert not any(data[:3] == ready for data in written), written
            guard.stop("done")
            assert await guard.wait_belt_stopped(timeout=60)


@fake_time
async def test_a_console_stop_after_an_earlier_stop_of_ours_is_still_a_fault() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            await guard.request_control()
            await guard_runs_the_belt(connection.simulator, guard, 5.0, take_control=False)
            guard.stop("a pause in the plan, by a stop")
            assert await guard.wait_belt_stopped(timeout=60)
            await asyncio.sleep(3)  # our own stop's echoes are long past
            await guard_runs_the_belt(connection.simulator, guard, 5.0, take_control=False)

            await sim.console_stop()
            tripped = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=30)
            assert isinstance(tripped, Fault) and tripped.fault == FaultKind.CONSOLE_STOP.value
            assert await guard.wait_belt_stopped(timeout=60)
            release()
