"""`start` with `"next"`: the stage the programme advises, by the rules `treadlink next` applies.

    chosen = next_stage(workouts, simulated=False, today=date.today())   # or StageRefused
    chosen.path, chosen.plan_file, chosen.stage

The plan is the one of the latest session run from a plan file (as `treadlink next` without a
PLAN) when it is in the workouts directory, else the only plan file with progression rules
there; sessions count for it by their stage files, however they were started. Nobody at the
treadmill can be asked anything, so `next` is refused, with the reason, whenever the rules want
the runner: after pain (a repeat or a step back), while a pain score is missing (recorded at the
treadmill with `treadlink pain`), while rest is owed, once the programme is complete, and when
there is no history or plan to go by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from treadlink.mqtt.stages import StageRefused, inside
from treadlink.plans.errors import PlanError
from treadlink.records.programme import (
    NotDue,
    Programme,
    advise,
    due_stage,
    is_plan_file,
    last_plan,
)
from treadlink.records.progression import Advice
from treadlink.records.store import Store, StoreError


@dataclass(frozen=True, slots=True)
class Chosen:
    """A stage file inside the workouts directory, and where it came from in the plan."""

    path: Path
    plan_file: Path | None = None
    stage: int | None = None  # 1-based, in plan_file


def next_stage(
    workouts: Path | None, *, simulated: bool, today: date, store_path: Path | None = None
) -> Chosen:
    """The advised stage, or StageRefused saying why not (blocking: it reads the history)."""
    programme, advice = _advice(workouts, simulated=simulated, today=today, store_path=store_path)
    assert workouts is not None
    return _startable(workouts, programme, advice, today)


def advised(
    workouts: Path | None, *, simulated: bool, today: date, store_path: Path | None = None
) -> dict[str, Any] | None:
    """The programme's next stage as the state document's `next` says it (Home Assistant's
    "Next stage"): the stage, from when, why, and why `start next` would be refused now, if it
    would. None without a workouts directory (blocking: it reads the history and the plan)."""
    if workouts is None:
        return None
    try:
        programme, advice = _advice(
            workouts, simulated=simulated, today=today, store_path=store_path
        )
    except StageRefused as e:
        return {"plan": None, "stage": None, "due": None, "said": None, "reason": str(e),
                "start_next": str(e)}  # fmt: skip
    try:
        _startable(workouts, programme, advice, today)
        refusal = None
    except StageRefused as e:
        refusal = str(e)
    count = len(programme.stage_files)
    if advice.stage is None:
        said, due, file = f"{programme.name}: complete", None, None
    else:
        file = Path(programme.stage_files[advice.stage - 1]).name
        when = "today" if advice.earliest <= today else f"from {advice.earliest:%a %d %b}"
        said, due = f"stage {advice.stage} of {count} ({file}), {when}", advice.earliest
    return {
        "plan": programme.name,
        "stage": advice.stage,
        "stages": count,
        "file": file,
        "due": None if due is None else due.isoformat(),
        "decision": advice.decision,
        "reason": advice.reason,
        "said": said,
        "start_next": refusal,
    }


def _advice(
    workouts: Path | None, *, simulated: bool, today: date, store_path: Path | None
) -> tuple[Programme, Advice]:
    if workouts is None:
        raise StageRefused("no workouts directory is configured (mqtt.workouts)")
    try:
        with Store.open(store_path) as store:
            plan = find_plan(workouts, last_plan(store, simulated=simulated))
            return advise(store, plan, simulated=simulated, today=today)
    except StoreError as e:
        raise StageRefused(f"`next`: {e}") from None
    except PlanError as e:
        raise StageRefused(f"`next`: {e.problems[0]}") from None


def _startable(workouts: Path, programme: Programme, advice: Advice, today: date) -> Chosen:
    """The stage `start next` runs now, or StageRefused: whenever the rules want the runner."""
    if advice.decision == "start":
        first = Path(programme.stage_files[0]).stem
        raise StageRefused(
            f"`next`: no session of {programme.name} is recorded yet, so there is no history "
            f"to go by: name its first stage ({first!r}) to begin"
        )
    if advice.pain > programme.rules.pain_free:
        clinician = f" {advice.clinician}" if advice.clinician else ""
        raise StageRefused(
            f"`next`: {advice.reason}.{clinician} After pain, the runner decides at the "
            "treadmill (treadlink next): not started remotely"
        )
    try:
        number = due_stage(advice, today)
    except NotDue as e:
        raise StageRefused(f"`next`: {e} (why: {advice.reason})") from None
    path = Path(programme.stage_files[number - 1])
    try:
        path = inside(workouts, path)
    except StageRefused:
        raise StageRefused(
            f"`next`: stage {number} of {programme.name} ({path}) is not inside the workouts "
            f"directory {workouts} (mqtt.workouts)"
        ) from None
    return Chosen(path, programme.file, number)


def find_plan(workouts: Path, latest: Path | None) -> Path:
    """The plan to follow: the one of the latest session run from a plan, if it is in the
    workouts directory; else the only plan file with progression rules there."""
    root = workouts.resolve()
    if latest is not None:
        latest = latest.resolve()
        if latest.is_relative_to(root) and is_plan_file(latest):
            return latest  # the usual case: no need to read every file in the directory
    plans = sorted(p.resolve() for p in root.rglob("*") if is_plan_file(p))
    plans = [p for p in plans if p.is_relative_to(root)]
    if len(plans) == 1:
        return plans[0]
    if not plans:
        raise StageRefused(
            f"`next`: no plan file with progression rules in the workouts directory {workouts}"
        )
    raise StageRefused(
        f"`next`: {len(plans)} plans in {workouts} and none run from yet: run one at the "
        "treadmill (treadlink run PLAN) so that the history names it, or name a stage"
    )
