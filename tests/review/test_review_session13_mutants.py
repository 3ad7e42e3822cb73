"""Tests that kill mutants of session 13's new conditions which survived the suite (review2).
These pass on the reviewed code; each names the hand-made mutant it kills."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import fake_time, link
from tests.session.test_engine import write_stage
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_start_refused_after_the_acknowledgement_holds_the_plan_again(
    tmp_path: Path,
) -> None:
    """Kills `except (CommandError, SessionAborted)` -> `except SessionAborted` in
    `Session._hold`: the treadmill answers the resume's Start with "operation failed", the guard
    latches (command failed) and the Start raises ProcedureFailed, a CommandError. With a
    terminal the plan holds again for the runner; it must not end the session."""
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
