"""The belt eased back in after the runner's acknowledgement: a console speed change during it is
not fought, and a fault during it (a refused Start too) holds the plan again for the runner."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.session import write_stage
from tests.support.simulated import fake_time, link
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_console_speed_change_during_the_ease_in_is_not_fought(tmp_path: Path) -> None:
    """The console wins after an acknowledgement too: the runner lowers the speed on the console
    while the belt eases back in, and no speed is written after that."""
    timeline = write_stage(tmp_path, "name: t\nitems:\n  - walk: 10:00\n")
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline, on_fault="pause")
        loop = asyncio.get_running_loop()
        console_at: list[float] = []

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            assert session.emergency_stop("test")
            await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0)
            await asyncio.sleep(5.0)
            assert session.acknowledge()
            assert session.resume()
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 2.5)  # easing in
            await sim.console_set_speed(2.0)  # the runner: slower, please
            console_at.append(loop.time())
            await asyncio.sleep(15.0)
            session.stop("end of test")

        task = loop.create_task(scenario())
        await session.run()
        await task
        later = [
            r
            for r in sim.control_point_log
            if r.at > console_at[0] and r.data[:1] == b"\x02"  # Set Target Speed
        ]
    assert not later, f"speed written after the console change: {[r.data.hex() for r in later]}"


@fake_time
async def test_a_fault_during_the_ease_in_holds_the_plan_again(tmp_path: Path) -> None:
    """With a terminal (on_fault="pause") a fault holds the plan for the runner. A second fault
    while the belt eases back in after the first acknowledgement holds it again: the session does
    not end, and the runner can acknowledge and go on."""
    timeline = write_stage(tmp_path, "name: t\nitems:\n  - walk: 10:00\n")
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline, on_fault="pause")
        loop = asyncio.get_running_loop()
        run = loop.create_task(session.run())

        async def fault_and_acknowledge() -> None:
            assert session.emergency_stop("test")
            await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0)
            await guard.wait_belt_stopped()
            assert session.acknowledge()
            assert session.resume()

        async with asyncio.timeout(300):  # session seconds (fake time)
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            await fault_and_acknowledge()
            await sim.wait_for(lambda s: 0.0 < s.belt_speed_kmh < 5.0)  # easing in
            await fault_and_acknowledge()  # the second fault, during the ease-in
            assert not run.done(), "a fault during the ease-in ended the session"
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)  # eased in again
            session.stop("end of test")
            finished = await run
    assert finished.belt == "stopped"


@fake_time
async def test_a_start_refused_after_the_acknowledgement_holds_the_plan_again(
    tmp_path: Path,
) -> None:
    """The treadmill answers the resume's Start with "operation failed": the guard latches (command
    failed) and the Start raises ProcedureFailed, a CommandError. With a terminal the plan
    holds again for the runner; the session does not end."""
    timeline = write_stage(tmp_path, "name: t\nitems:\n  - walk: 10:00\n")
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline, on_fault="pause")
        run = asyncio.get_running_loop().create_task(session.run())
        async with asyncio.timeout(300):
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            assert session.emergency_stop("test")
            await guard.wait_belt_stopped()
            assert session.acknowledge()
            await sim.set_fault(SimFault.CONTROL_FAILING)  # the Start is answered 04
            assert session.resume()
            await asyncio.sleep(5)
            assert not run.done(), "a refused Start after the acknowledgement ended the session"
            assert session.paused and guard.latched is not None
            assert sim.belt_speed_kmh == 0.0
            await sim.clear_fault(SimFault.CONTROL_FAILING)
            await guard.wait_belt_stopped()
            await asyncio.sleep(1)
            assert not run.done(), "the session ended on the refused Start (CommandError)"
            assert session.acknowledge() and session.resume()
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)  # eased in again
            session.stop("end of test")
            finished = await run
    assert finished.belt == "stopped"
