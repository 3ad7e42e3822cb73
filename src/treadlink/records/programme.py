"""A plan's programme: its progression rules (from the plan file) and its sessions in the history.

A session belongs to a plan when the stage file it ran is one of the plan's stages, whether it was
started from the plan file or from the stage file itself. Sessions on the simulator form a
programme of their own and never move the runner's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from treadlink.plans.errors import PlanError, Problem
from treadlink.plans.model import PlanFile, Progression
from treadlink.plans.validation import validate
from treadlink.records.model import SessionRecord, SessionStart
from treadlink.records.progression import Advice, Attempt, next_stage
from treadlink.records.store import Store
from treadlink.sources import InputError, load_yaml, reported_as


@dataclass(frozen=True, slots=True)
class Programme:
    """A plan file's stage files (resolved, in order) and its rules."""

    file: Path
    name: str
    stage_files: tuple[str, ...]
    rules: Progression

    def stage_of(self, stage_file: str) -> int | None:
        """The 1-based stage a recorded stage file is, if it is one of this plan's."""
        try:
            return self.stage_files.index(stage_file) + 1
        except ValueError:
            return None

    def attempts(self, sessions: Iterable[SessionRecord]) -> list[Attempt]:
        out = []
        for record in sessions:
            stage = self.stage_of(record.start.stage_file)
            if stage is not None:
                out.append(attempt(record, stage))
        return out

    def next(self, sessions: Iterable[SessionRecord], today: date) -> Advice:
        return next_stage(self.attempts(sessions), self.rules, len(self.stage_files), today)


def load_programme(plan_file: Path) -> Programme:
    """The plan's stages and progression rules, or PlanError (file:line) if it has none."""
    with reported_as(PlanError):
        data, source = load_yaml(plan_file)
    if not isinstance(data, dict) or "stages" not in data:
        raise PlanError([Problem(str(plan_file), None, "", "is not a plan file (no stages)")])
    plan = validate(PlanFile, "plan", data, source)
    if plan.progression is None:
        raise PlanError([source.problem((), "has no progression rules (a `progression:` section)")])
    stages = tuple(stage_path(plan_file.parent / name) for name in plan.stages)
    return Programme(plan_file, plan.name or plan_file.stem, stages, plan.progression)


def is_plan_file(file: Path) -> bool:
    """A plan file with progression rules (a quick look: the loader reports problems)."""
    if file.suffix.lower() not in (".yaml", ".yml"):
        return False
    try:
        data, _ = load_yaml(file)
    except InputError:
        return False
    return isinstance(data, dict) and "stages" in data and "progression" in data


def stage_path(file: Path) -> str:
    """How a stage file is recorded and matched: its resolved absolute path."""
    return str(file.resolve())


def attempt(record: SessionRecord, stage: int) -> Attempt:
    end = record.end
    day = record.start.started_at.astimezone().date()  # the runner's own calendar day
    if end is None:  # never finished: treadlink or the laptop stopped mid-session
        return Attempt(stage, day, False, True, record.pain, record.id, "its end was not recorded")
    completed = end.outcome == "completed" and end.segments_skipped == 0
    ended = end.reason
    if end.outcome == "completed" and end.segments_skipped:
        ended = f"{end.segments_skipped} segment(s) skipped"
    return Attempt(stage, day, completed, end.run_s > 0, record.pain, record.id, ended)


def advise(
    store: Store, plan_file: Path, *, simulated: bool, today: date
) -> tuple[Programme, Advice]:
    """The plan's next stage from the history (real sessions, or the simulator's own)."""
    programme = load_programme(plan_file)
    return programme, programme.next(store.sessions(simulated=simulated), today)


class NotDue(Exception):
    """The rules say not to run the advised stage now; the message says why."""


def due_stage(advice: Advice, today: date) -> int:
    """The stage to run today, or NotDue: the programme is complete, a pain score is missing, or
    rest is still owed. What `run PLAN` and `serve`'s `start next` share."""
    if advice.stage is None:
        raise NotDue("the programme is complete")
    if advice.decision == "record_pain":
        raise NotDue("record the missing pain score first (treadlink pain N)")
    if advice.earliest > today:
        due = f"{advice.earliest:%a %d %b}"
        raise NotDue(f"stage {advice.stage} is due from {due}: rest until then")
    return advice.stage


def last_plan(store: Store, *, simulated: bool) -> Path | None:
    """The plan of the latest session that has one (`plan_of`), if any."""
    found: dict[str, Path | None] = {}  # by stage file: a folder is searched once
    for record in reversed(store.sessions(simulated=simulated)):
        if record.start.plan_file is not None:
            return Path(record.start.plan_file)
        stage_file = record.start.stage_file
        if stage_file not in found:
            found[stage_file] = plan_for_stage(Path(stage_file))
        if found[stage_file] is not None:
            return found[stage_file]
    return None


def plan_of(start: SessionStart) -> Path | None:
    """The plan a session belongs to: the plan file it was run from, else the one plan with
    progression rules beside its stage file that lists it (`run stage-03.yaml` in a plan's
    folder)."""
    if start.plan_file is not None:
        return Path(start.plan_file)
    return plan_for_stage(Path(start.stage_file))


def plan_for_stage(stage_file: Path) -> Path | None:
    """The one plan file with progression rules in the stage file's folder that lists it; None
    if there is none, or more than one (then the runner names the plan)."""
    try:
        candidates = sorted(stage_file.parent.iterdir())
    except OSError:
        return None
    recorded = stage_path(stage_file)
    found = []
    for candidate in candidates:
        if candidate == stage_file or not is_plan_file(candidate):
            continue
        try:
            programme = load_programme(candidate)
        except PlanError:
            continue
        if recorded in programme.stage_files:
            found.append(candidate)
    return found[0] if len(found) == 1 else None
