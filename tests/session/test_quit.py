"""Every way out waits for the belt: the runner's first quit (q, Ctrl-C, SIGTERM) after a fault
still waits for it; a second quit while the stop is unconfirmed leaves, saying the belt may be
running."""

from __future__ import annotations

import asyncio

from tests.support.session import stage
from tests.support.simulated import fake_time, link
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_one_quit_after_a_fault_still_waits_for_the_belt() -> None:
    """With no terminal (on_fault="end") a fault ends the session and the guard keeps stopping. The
    runner's (or the service manager's) first SIGTERM/q keeps waiting for the belt, as README
    promises ("Ctrl-C and SIGTERM stop the belt and wait for it (again: leave anyway)"): the
    treadmill, healed two seconds later, stops it."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, stage(1), on_fault="end")
        loop = asyncio.get_running_loop()

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh > 3.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)  # the Stop is answered 04...
            guard.trip(FaultKind.STOP_INPUT, "test fault")
            await asyncio.sleep(1.0)
            session.quit("SIGTERM")  # ...and the runner's first SIGTERM arrives
            await asyncio.sleep(2.0)
            await sim.clear_fault(SimFault.CONTROL_FAILING)  # the treadmill obeys again

        task = loop.create_task(scenario())
        finished = await session.run()
        await task
    assert finished.belt == "stopped", "the first quit after a fault gave up waiting for the belt"


@fake_time
async def test_a_second_quit_leaves_while_the_stop_is_unconfirmed() -> None:
    """With every Stop refused, the runner's second q/Ctrl-C ends run() with belt="may be running"
    (exit 3)."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, stage(1), on_fault="pause")

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 3.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)
            assert session.quit("q")
            await asyncio.sleep(5.0)
            assert session.quit("q")

        task = asyncio.get_running_loop().create_task(scenario())
        async with asyncio.timeout(120):
            finished = await session.run()
        await task
        await sim.clear_fault(SimFault.CONTROL_FAILING)
        guard.stop("end of test")
        await guard.wait_belt_stopped(timeout=30)
    assert finished.belt == "may be running"
