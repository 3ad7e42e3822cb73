"""Scenario files: validation errors that name the step, and a run in fake time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.sim_central import connected_rig
from treadlink.ftms.protocol import Characteristic as Char
from treadlink_sim.faults import Fault
from treadlink_sim.profile import load_profile
from treadlink_sim.scenario import ScenarioError, load_scenario, parse_scenario

NOBLEPRO = load_profile("noblepro-elite")

EXAMPLE = """
- {at: 5, do: console_speed, speed_kmh: 9.5}
- {at: 6, do: console_incline, incline_pct: 2.5}
- {at: 10, do: set_fault, fault: speed_runaway, runaway_kmh: 1.5}
- {at: 20, do: clear_fault, fault: speed_runaway}
- {at: 25, do: console_pause}
- {at: 30, do: console_start}
- {at: 40, do: set_fault, fault: safety_key}
"""


def test_example_parses(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(EXAMPLE)
    scenario = load_scenario(file, NOBLEPRO)
    assert [s.do for s in scenario.steps] == [
        "console_speed",
        "console_incline",
        "set_fault",
        "clear_fault",
        "console_pause",
        "console_start",
        "set_fault",
    ]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"at": 1, "do": "console_speed"}], r"step 1 \(do: console_speed\): speed_kmh: Field"),
        ([{"at": 1, "do": "console_speed", "speed_kmh": 25}], "step 1 .*speed 25.0 is not on"),
        ([{"at": 1, "do": "console_incline", "incline_pct": 1.2}], "incline 1.2 is not on"),
        ([{"at": -1, "do": "console_stop"}], "step 1 .*at: Input should be greater"),
        ([{"do": "console_stop"}], "at: Field required"),
        ([{"at": 1, "do": "jump"}], r"step 1 \(do: jump\): 'do' must be one of console_start"),
        ([{"at": 1, "do": "set_fault", "fault": "gremlins"}], "fault: Input should be"),
        ([{"at": 1, "do": "set_fault", "fault": "speed_runaway"}], "runaway_kmh is given with"),
        ([{"at": 1, "do": "set_fault", "fault": "late_answers"}], "late_s is given with"),
        (
            [{"at": 1, "do": "set_fault", "fault": "link_refused", "late_s": 0.2}],
            "late_s is given with, and only with, fault late_answers",
        ),
        ([{"at": 1, "do": "console_stop", "why": 1}], "why: Extra inputs"),
        (
            [{"at": 2, "do": "console_stop"}, {"at": 1, "do": "console_start"}],
            "step 2 .*comes before the previous step",
        ),
        (["stop"], "step 1: Input should be a valid dictionary"),
        ({"at": 1}, "expected a list of steps"),
    ],
)
def test_errors_name_the_step(steps: object, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(steps, profile=NOBLEPRO)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {at: 1, do: [")
    with pytest.raises(ScenarioError, match="YAML syntax error"):
        load_scenario(bad)


def test_empty_file_is_an_empty_scenario(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_scenario(empty).steps == ()


@pytest.mark.looptime
async def test_scenario_runs_on_the_loop_clock() -> None:
    async with connected_rig() as (rig, central):
        sim = rig.simulator
        await central.request(bytes.fromhex("02 20 03"))
        await central.request(b"\x07")
        loop = asyncio.get_running_loop()
        start = loop.time()
        runner = asyncio.create_task(parse_scenario(_yaml(EXAMPLE), profile=NOBLEPRO).run(sim))
        async with asyncio.timeout(10):
            await sim.wait_for(lambda s: s.target_speed_kmh == 9.5)
        assert loop.time() - start == pytest.approx(5.0, abs=0.01)
        async with asyncio.timeout(20):
            await sim.wait_for(lambda s: s.belt_speed_kmh == 11.0)
        async with asyncio.timeout(20):
            await sim.wait_for(lambda s: Fault.SPEED_RUNAWAY not in s.faults)
        async with asyncio.timeout(20):
            await sim.wait_for(lambda s: s.paused)
        async with asyncio.timeout(30):
            await sim.wait_for(lambda s: not s.safety_key_in)
        await runner
        statuses = central.pending(Char.FITNESS_MACHINE_STATUS)
        assert statuses[-5:] == [
            bytes.fromhex("05 b6 03"),
            bytes.fromhex("06 19 00"),
            bytes.fromhex("02 02"),
            b"\x04",
            b"\x03",
        ]


def _yaml(text: str) -> object:
    import yaml

    return yaml.safe_load(text)
