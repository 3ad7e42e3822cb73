"""`start` with `"next"` over MQTT: the stage the programme advises, by `treadlink next`'s rules,
or a refusal that says why (pain, a missing score, rest, the end, no history or plan)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.support.history import CLEAN, PLAN, RETURN_TO_RUN, ran
from treadlink.mqtt.programme import next_stage
from treadlink.mqtt.stages import StageRefused
from treadlink.records.model import PainMoment

TODAY = date.today()


def stage(n: int) -> Path:
    return RETURN_TO_RUN / f"stage-{n:02d}.yaml"


def refusal(workouts: Path | None = RETURN_TO_RUN, *, simulated: bool = False) -> str:
    with pytest.raises(StageRefused) as refused:
        next_stage(workouts, simulated=simulated, today=TODAY)
    return str(refused.value)


def test_after_a_clean_stage_and_its_rest_the_next_stage_is_chosen() -> None:
    ran(stage(2), days_ago=2, pain=CLEAN)
    chosen = next_stage(RETURN_TO_RUN, simulated=False, today=TODAY)
    assert chosen.path == stage(3).resolve()
    assert chosen.plan_file == PLAN.resolve() and chosen.stage == 3


def test_a_session_that_ended_early_is_repeated_once_rested() -> None:
    ran(stage(4), days_ago=3, pain={"before": 0, "after": 0}, completed=False)
    chosen = next_stage(RETURN_TO_RUN, simulated=False, today=TODAY)
    assert chosen.stage == 4


@pytest.mark.parametrize(
    ("stage_no", "days_ago", "pain", "said"),
    [
        (2, 2, {"before": 0, "after": 0}, "record the missing pain score first (treadlink pain N)"),
        (2, 1, CLEAN, "stage 3 is due from"),
        (2, 4, {"before": 0, "after": 2, "next_morning": 0}, "After pain, the runner decides"),
        (5, 4, {"before": 0, "after": 0, "next_morning": 3}, "see a clinician"),
        (15, 2, CLEAN, "the programme is complete"),
    ],
    ids=["pain missing", "rest owed", "pain: repeat", "pain: step back", "complete"],
)
def test_next_is_refused_whenever_the_rules_want_the_runner(
    stage_no: int, days_ago: int, pain: dict[PainMoment, int], said: str
) -> None:
    ran(stage(stage_no), days_ago=days_ago, pain=pain)
    reason = refusal()
    assert said in reason and reason.startswith("`next`: ")


def test_no_history_no_plan_or_several_plans_are_said() -> None:
    assert "no session of Return to run is recorded yet" in refusal()
    assert "'stage-01'" in refusal()
    assert "mqtt.workouts" in refusal(None)


def test_the_simulators_sessions_never_move_the_runners_programme() -> None:
    ran(stage(6), days_ago=2, pain=CLEAN, simulated=True)
    assert "no session of Return to run" in refusal()
    assert next_stage(RETURN_TO_RUN, simulated=True, today=TODAY).stage == 7


def test_the_plan_is_looked_for_in_the_workouts_directory(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text('name: "One"\nitems:\n  - walk: 1:00\n')
    assert "no plan file with progression rules" in refusal(tmp_path)
    rules = (PLAN.read_text()).split("progression:", 1)[1]
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(f"name: {name}\nstages: [one.yaml]\nprogression:{rules}")
    assert "2 plans in" in refusal(tmp_path)


def test_a_stage_outside_the_workouts_directory_is_never_started(tmp_path: Path) -> None:
    workouts = tmp_path / "workouts"
    workouts.mkdir()
    outside = tmp_path / "outside.yaml"
    outside.write_text('name: "Outside"\nitems:\n  - walk: 1:00\n')
    rules = (PLAN.read_text()).split("progression:", 1)[1]
    (workouts / "plan.yaml").write_text(
        f"name: Escape\nstages: [../outside.yaml, ../outside.yaml]\nprogression:{rules}"
    )
    ran(outside, days_ago=3, pain=CLEAN)
    assert "is not inside the workouts directory" in refusal(workouts)
