"""A pause is a stop that must happen: a Pause the treadmill refuses (the runner's, or the plan's
`--at-end pause`) latches and stops the belt; the session never says "paused" over a running
belt."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.session import stage, write_stage
from tests.support.simulated import fake_time, link
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_at_end_pause_refused_by_the_treadmill_is_not_reported_as_paused(
    tmp_path: Path,
) -> None:
    """`treadlink run --at-end pause`: the treadmill answers the Pause 04 (operation failed). The
    session does not end as "paused" with the belt running: the guard latches and keeps stopping,
    and run() returns once the treadmill takes the Stop, with the belt stopped."""
    timeline = write_stage(tmp_path, "name: t\nitems:\n  - walk: 0:20\n")
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator

        async def fail_late() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)  # every command answered 04 now

        task = asyncio.get_running_loop().create_task(fail_late())
        run = asyncio.get_running_loop().create_task(Session(guard, timeline, at_end="pause").run())
        await task
        await asyncio.sleep(40)  # past the end of the plan and its refused Pause
        assert not run.done(), "the session ended (as 'paused') with the belt running"
        assert guard.latched is not None and guard.stopping
        await sim.clear_fault(SimFault.CONTROL_FAILING)  # the treadmill takes the Stop now
        finished = await run
        moving = sim.belt_speed_kmh
    assert finished.belt == "stopped" and moving == 0.0, (finished, moving)


@fake_time
async def test_a_pause_the_treadmill_refuses_is_not_silently_swallowed() -> None:
    """The runner pauses (key p / MQTT pause); the treadmill refuses the Pause (04). The belt does
    not keep running under a held plan: it is stopped, or the guard latches or is stopping."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, stage(1), on_fault="pause")

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)
            assert session.pause("runner")
            await asyncio.sleep(30.0)
            belt = sim.belt_speed_kmh
            latched, stopping = guard.latched, guard.stopping
            await sim.clear_fault(SimFault.CONTROL_FAILING)
            session.quit()
            assert belt == 0.0 or latched is not None or stopping, (
                f"plan paused for 30 s, belt at {belt} km/h, guard neither latched nor stopping"
            )

        task = asyncio.get_running_loop().create_task(scenario())
        await session.run()
        await task
