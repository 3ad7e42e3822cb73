"""Every shipped simulator profile (the NoblePro Elite, the generic unit and the seven real units,
FTMS and FitShow) runs a stage end to end through `treadlink run`'s own composition, in fake time:
the belt ran the plan's speeds in true km/h and ended at rest, by the simulator's report; and a
sample of faults (the safety key, a link drop, silent telemetry) stops the belt on each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.real_units import RUNNER, run_stage
from tests.support.simulated import fake_time, link
from treadlink.cli.exit_codes import EXIT_OK
from treadlink.safety.events import BeltStopped, Fault, StopAccepted
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink_sim.faults import Fault as SimFault
from treadlink_sim.profile import shipped_profiles

PROFILES = shipped_profiles()
MILES = {"fitshow-mph", "start-toggles"}  # they count mph under a km/h label
FLAT = {"fitshow-f15", "citysports-wp8", "fitshow-mph"}  # no incline motor
NEAR = 0.09  # km/h: the nearest 0.1 mph is within 0.08 km/h of a plan's speed


def test_every_real_unit_is_covered() -> None:
    real = {"noblepro-e8i", "noblepro-e10i", "fitshow-f15", "citysports-wp8"}
    real |= {"fitshow-mph", "start-toggles", "ignores-speed"}
    assert real | {"noblepro-elite"} <= set(PROFILES)


@fake_time
@pytest.mark.timeout(120)
@pytest.mark.parametrize("profile", PROFILES)
async def test_a_stage_runs_the_plans_speeds_in_true_kmh(profile: str, tmp_path: Path) -> None:
    run = await run_stage(tmp_path, profile)
    belt = [line["belt_speed_kmh"] for line in run.report]
    assert run.report[-1]["event"] == "final" and run.report[-1]["belt_speed_kmh"] == 0.0
    assert run.finished.belt == "stopped"
    if profile == "ignores-speed":
        # It answers success and keeps its lowest speed: told, never counted as done.
        assert run.of("setpoint_not_followed") and not run.finished.completed
        assert max(belt) < RUNNER.walk_speed
        return
    assert run.code == EXIT_OK and run.finished.completed, run.of("fault")
    for kmh in (RUNNER.walk_speed, RUNNER.run_speed):
        assert any(abs(b - kmh) <= NEAR for b in belt), (kmh, sorted(set(belt)))
    assert max(belt) <= RUNNER.run_speed + NEAR  # never the 1.6 times of an mph belt
    assert [e["index"] for e in run.of("setpoint_confirmed")] == [0, 1, 2]
    assert ("mph" in " ".join(run.notes)) == (profile in MILES)
    assert ("runs flat" in " ".join(run.notes)) == (profile in FLAT)


@fake_time
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "fault", [SimFault.SAFETY_KEY, SimFault.LINK_LOST, SimFault.TELEMETRY_SILENT]
)
@pytest.mark.parametrize("profile", PROFILES)
async def test_a_fault_stops_the_belt(profile: str, fault: SimFault) -> None:
    kinds = {
        SimFault.SAFETY_KEY: FaultKind.SAFETY_KEY,
        SimFault.LINK_LOST: FaultKind.LINK_DROPPED,
        SimFault.TELEMETRY_SILENT: FaultKind.STALE_TELEMETRY,
    }
    async with link(profile=profile, telemetry_hz=4.0) as connection:
        sim = connection.simulator
        treadmill = connection.treadmill
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            await guard.request_control()
            await guard.start()
            await sim.wait_for(lambda s: s.running, timeout=30)
            kmh = treadmill.nearest_speed(4.0)  # on its own grid (0.5 km/h, 0.1 mph)
            await guard.set_speed(kmh)
            if profile != "ignores-speed":
                await sim.wait_for(lambda s: abs(s.belt_speed_kmh - kmh) < 0.01, timeout=60)
            await sim.set_fault(fault)
            tripped = await events.first(lambda e: isinstance(e, Fault) and e.latched, timeout=30)
            assert isinstance(tripped, Fault) and tripped.fault == kinds[fault].value
            if fault is not SimFault.SAFETY_KEY:
                await asyncio.sleep(1)
                await sim.clear_fault(fault)  # the stop can be seen taken and the belt at rest
            await events.first(lambda e: isinstance(e, StopAccepted), timeout=60)
            stopped = await events.first(lambda e: isinstance(e, BeltStopped), timeout=90)
            assert stopped and sim.belt_speed_kmh == 0.0  # the simulator's word
            release()
