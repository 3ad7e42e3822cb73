"""A stage that needs an incline, on a treadmill without one (the F15), is never run with the
incline silently left out: refused before the belt moves, with how to run it flat; or, asked
for flat (`run --flat`), run flat with a line that says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.real_units import RUNNER, STAGE, run_stage
from tests.support.simulated import fake_time, link
from treadlink.app.connection import IN_PROCESS, Target, connect, radio_for
from treadlink.fitshow.protocol import Command
from treadlink.plans import PlanError, TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Event, Fault
from treadlink.ui.lines import describe

SYS_CONTROL = Command.SYS_CONTROL  # FitShow's start, target, stop


@fake_time
async def test_checked_against_the_treadmill_it_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    (tmp_path / "stage.yaml").write_text(STAGE)
    target = Target(sim=IN_PROCESS, profile="fitshow-f15")
    async with radio_for(target) as radio, connect(radio, target, RUNNER) as connection:
        assert radio.simulator is not None
        with pytest.raises(PlanError) as caught:
            load_stage(tmp_path / "stage.yaml", RUNNER, connection.limits)
        await asyncio.sleep(2)
        written = [r.data for r in radio.simulator.control_point_log]
        assert not [w for w in written if w[1] == SYS_CONTROL]  # its ranges asked, nothing sent
        assert radio.simulator.belt_speed_kmh == 0.0
    assert "--flat" in str(caught.value.problems[0])


@fake_time
async def test_a_session_given_it_anyway_refuses_it_before_the_belt_moves(tmp_path: Path) -> None:
    (tmp_path / "stage.yaml").write_text(STAGE)
    timeline = load_stage(tmp_path / "stage.yaml", RUNNER, TreadmillLimits())  # with inclines
    async with link(profile="fitshow-f15", telemetry_hz=4.0) as connection:
        async with SafetyGuard(connection.link) as guard:
            session = Session(guard, timeline, on_fault="end")
            events: list[Event] = []
            session.subscribe(events.append)
            finished = await session.run()
        written = [r.data for r in connection.simulator.control_point_log]
        assert not [w for w in written if w[1] == SYS_CONTROL]
    assert finished.belt == "not started" and not finished.completed
    [fault] = [e for e in events if isinstance(e, Fault)]
    line = describe(fault)
    assert line is not None and "needs an incline of 1 %" in line and "--flat" in line


@fake_time
async def test_asked_for_flat_it_runs_flat_and_says_so_before_the_belt_moves(
    tmp_path: Path,
) -> None:
    run = await run_stage(tmp_path, "fitshow-f15", flat=True)
    assert run.finished.completed
    [note] = run.notes
    assert "runs flat" in note and "1 %" in note
    order = [e["event"] for e in run.events]
    assert order.index("plan_adapted") < order.index("belt_started")
