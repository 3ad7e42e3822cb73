"""mph labelled as km/h never runs the belt 1.6 times the plan: a unit known to do it (by its
Device Information model or its advertised name) or named in the runner's config is driven in
true km/h, on FTMS and on FitShow, and the plan's km/h speeds run at the nearest 0.1 mph, said
before the belt moves. Judged by the simulator's report, which tells the belt's true km/h."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.real_units import RUNNER, run_stage
from tests.support.simulated import fake_time
from treadlink.config import ConfigError, TreadmillSetting, load_profile
from treadlink.treadmill.units import KM_PER_MILE
from treadlink_sim.profile import load_profile as load_machine

NEAR = 0.09  # km/h: the nearest 0.1 mph is within 0.08 km/h of a plan's speed


def fastest(run_report: list[dict[str, object]]) -> float:
    return max(float(line["belt_speed_kmh"]) for line in run_report)  # type: ignore[arg-type]


@fake_time
@pytest.mark.parametrize("protocol", ["ftms", "fitshow"])
async def test_a_known_mph_unit_runs_the_plan_in_true_kmh(protocol: str, tmp_path: Path) -> None:
    """`fitshow-mph` (model FS-BT-T4) speaks both, mph under a km/h label on each."""
    run = await run_stage(tmp_path, "fitshow-mph", protocol=protocol)  # type: ignore[arg-type]
    assert run.finished.completed, run.of("fault")
    assert fastest(run.report) == pytest.approx(RUNNER.run_speed, abs=NEAR)
    assert run.report[-1]["belt_speed_kmh"] == 0.0
    note = next(n for n in run.notes if "mph" in n)
    assert "3 km/h as 1.9 mph (3.06 km/h)" in note and "5 km/h as 3.1 mph (4.99 km/h)" in note


def write_unit(tmp_path: Path, name: str) -> Path:
    """An mph pad the shipped table does not know: its own name and model."""
    unit = load_machine("fitshow-mph").model_dump(mode="json")
    unit.update(local_name=name, model="FS-BT-D2", fitshow=False)
    path = tmp_path / "tx6.yaml"
    path.write_text(yaml.safe_dump(unit))
    return path


@fake_time
async def test_an_unknown_mph_unit_runs_1_6_times_the_plan_unless_the_config_names_it(
    tmp_path: Path,
) -> None:
    unit = write_unit(tmp_path, "FS-TX6M1").as_posix()
    slow = RUNNER.model_copy(update={"walk_speed": 2.0, "run_speed": 3.0})  # in its 0.6–3.8
    believed = await run_stage(tmp_path / "believed", unit, runner=slow)
    # What every such unit did before: its label believed, 3.0 "km/h" is 3.0 mph of belt.
    assert fastest(believed.report) == pytest.approx(3.0 * KM_PER_MILE, abs=0.01)
    named = slow.model_copy(update={"treadmills": {"fs-tx6m1": TreadmillSetting(speed_unit="mph")}})
    told = await run_stage(tmp_path / "told", unit, runner=named)
    assert told.finished.completed, told.of("fault")
    assert fastest(told.report) == pytest.approx(3.0, abs=NEAR)
    assert any("mph" in note for note in told.notes)


def test_the_setting_is_read_from_the_config_file_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("treadmills:\n  FS-TX6M1:\n    speed_unit: mph\n")
    assert load_profile(good).treadmills["FS-TX6M1"].speed_unit == "mph"
    bad = tmp_path / "bad.yaml"
    bad.write_text("treadmills:\n  FS-TX6M1:\n    speed_unit: miles\n")
    with pytest.raises(ConfigError) as error:
        load_profile(bad)
    assert "bad.yaml:3" in str(error.value) and "speed_unit" in str(error.value)
