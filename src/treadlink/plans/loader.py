"""Load a stage, plan or Zwift workout file into a compiled Timeline or Programme.

All-or-nothing: either everything in the file (and, for a plan, in every stage it names) is valid
and compiled, or PlanError lists every problem found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from treadlink.config import RunnerProfile
from treadlink.plans.compile import compile_stage
from treadlink.plans.errors import PlanError, Problem
from treadlink.plans.limits import NOBLEPRO_ELITE, TreadmillLimits
from treadlink.plans.model import PlanFile, Stage
from treadlink.plans.timeline import Programme, Timeline
from treadlink.plans.validation import validate
from treadlink.plans.zwo import load_zwo
from treadlink.sources import NO_SUCH_FILE, SourceMap, excerpt, load_yaml, reported_as

YAML_SUFFIXES = (".yaml", ".yml")


class _PlanInPlan(PlanError):
    """A plan's stage file that is itself a plan: refused, so plans never nest (or loop)."""


def load_workout(
    path: Path | str, profile: RunnerProfile, limits: TreadmillLimits = NOBLEPRO_ELITE
) -> Timeline | Programme:
    """A stage or .zwo file as a Timeline, a plan file as a Programme; or PlanError."""
    return _load(Path(path), profile, limits, plan_allowed=True)


def _load(
    file: Path, profile: RunnerProfile, limits: TreadmillLimits, *, plan_allowed: bool
) -> Timeline | Programme:
    suffix = file.suffix.lower()
    if suffix == ".zwo":
        return load_zwo(file, profile, limits)
    if suffix not in YAML_SUFFIXES:
        raise PlanError.of(str(file), "unknown file type: expected .yaml, .yml or .zwo")
    with reported_as(PlanError):
        data, source = load_yaml(file)
    if isinstance(data, dict) and "stages" in data:
        if not plan_allowed:  # so a plan naming itself (or another plan) cannot loop
            raise _PlanInPlan.of(str(file), "is a plan")
        return _plan(file, data, source, profile, limits)
    return _stage(data, source, profile, limits)


def load_stage(
    path: Path | str, profile: RunnerProfile, limits: TreadmillLimits = NOBLEPRO_ELITE
) -> Timeline:
    """One session from a stage (.yaml) or Zwift (.zwo) file; a plan file is refused."""
    result = load_workout(path, profile, limits)
    if isinstance(result, Programme):
        raise PlanError([Problem(str(path), None, "", "is a plan (has stages), not a stage")])
    return result


def load_plan(
    path: Path | str, profile: RunnerProfile, limits: TreadmillLimits = NOBLEPRO_ELITE
) -> Programme:
    result = load_workout(path, profile, limits)
    if isinstance(result, Timeline):
        raise PlanError([Problem(str(path), None, "", "is a stage, not a plan (no stages key)")])
    return result


def _stage(
    data: Any, source: SourceMap, profile: RunnerProfile, limits: TreadmillLimits
) -> Timeline:
    if not isinstance(data, dict):
        raise PlanError(
            [source.problem((), "expected a stage (a mapping with items) or a plan (with stages)")]
        )
    stage = validate(Stage, "stage", data, source).with_source(source)
    return compile_stage(stage, profile, limits)


def _plan(
    file: Path, data: Any, source: SourceMap, profile: RunnerProfile, limits: TreadmillLimits
) -> Programme:
    plan = validate(PlanFile, "plan", data, source)
    problems: list[Problem] = []
    stages: list[Timeline] = []
    for i, name in enumerate(plan.stages):
        stage_file = file.parent / name
        try:
            loaded = _load(stage_file, profile, limits, plan_allowed=False)
        except _PlanInPlan:
            message = f"{excerpt(name)} is a plan; a plan's stages must be stage files"
            problems.append(source.problem(("stages", i), message))
            continue
        except PlanError as e:
            if e.problems == (Problem(str(stage_file), None, "", NO_SUCH_FILE),):
                message = f"no such stage file {excerpt(str(stage_file))}"
                problems.append(source.problem(("stages", i), message))
            else:
                problems.extend(e.problems)
            continue
        assert isinstance(loaded, Timeline)
        stages.append(loaded)
    if problems:
        raise PlanError(problems)
    return Programme(plan.name or file.stem, plan.description, str(file), tuple(stages))
