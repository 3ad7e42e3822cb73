"""What a remote start may name: stage files inside the workouts directory, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.mqtt import PROFILE
from treadlink.mqtt.stages import StageRefused, find_stage, load_remote_stage
from treadlink.plans.limits import TreadmillLimits

WORKOUTS = Path(__file__).resolve().parents[2] / "workouts"


def test_a_stage_by_name_or_relative_path() -> None:
    by_name = find_stage(WORKOUTS, "stage-03")
    assert by_name == (WORKOUTS / "return-to-run" / "stage-03.yaml").resolve()
    assert find_stage(WORKOUTS, "return-to-run/stage-03.yaml") == by_name
    timeline = load_remote_stage(WORKOUTS, "stage-03", PROFILE, TreadmillLimits())
    assert timeline.steps


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("stage-99", "unknown stage"),
        ("../pyproject.toml", "inside the workouts directory"),
        ("/etc/passwd", "inside the workouts directory"),
        ("next", "history"),
        ("plan", "plan of stages"),
    ],
)
def test_refused(name: str, reason: str) -> None:
    with pytest.raises(StageRefused, match=reason):
        load_remote_stage(WORKOUTS / "return-to-run", name, PROFILE, TreadmillLimits())


def test_a_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("name: x\n")
    workouts = tmp_path / "workouts"
    workouts.mkdir()
    (workouts / "escape.yaml").symlink_to(outside)
    with pytest.raises(StageRefused, match="unknown stage"):
        find_stage(workouts, "escape")


def test_no_workouts_directory() -> None:
    with pytest.raises(StageRefused, match=r"mqtt\.workouts"):
        find_stage(None, "stage-01")
