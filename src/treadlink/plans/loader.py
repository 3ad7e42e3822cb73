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
from treadlink.plans.yaml_loader import SourceMap, load_yaml
from treadlink.plans.zwo import load_zwo

YAML_SUFFIXES = (".yaml", ".yml")


def load_workout(
    path: Path | str, profile: RunnerProfile, limits: TreadmillLimits = NOBLEPRO_ELITE
) -> Timeline | Programme:
    """A stage or .zwo file as a Timeline, a plan file as a Programme; or PlanError."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".zwo":
        return load_zwo(file, profile, limits)
    if suffix not in YAML_SUFFIXES:
        raise PlanError(
            [Problem(str(file), None, "", "unknown file type: expected .yaml, .yml or .zwo")]
        )
    data, source = load_yaml(file)
    if isinstance(data, dict) and "stages" in data:
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
        if not stage_file.is_file():
            problems.append(
                source.problem(("stages", i), f"no such stage file {str(stage_file)!r}")
            )
            continue
        try:
            stages.append(load_stage(stage_file, profile, limits))
        except PlanError as e:
            problems.extend(e.problems)
    if problems:
        raise PlanError(problems)
    return Programme(plan.name or file.stem, plan.description, str(file), tuple(stages))
