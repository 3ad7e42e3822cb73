"""What a remote `start` may name: a stage file inside the configured workouts directory.

    find_stage(workouts, "stage-03")                   -> workouts/return-to-run/stage-03.yaml
    find_stage(workouts, "return-to-run/stage-03.yaml") -> the same file

Nothing outside that directory can be named (no `..`, no absolute paths, no symlinks out), so a
broker client cannot make treadlink read arbitrary files. `next` is not a file: the service asks
the programme (treadlink.mqtt.programme) which stage file it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from treadlink.config import RunnerProfile
from treadlink.plans.errors import PlanError
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_workout
from treadlink.plans.timeline import Timeline

SUFFIXES: Final = (".yaml", ".yml", ".zwo")


class StageRefused(ValueError):
    """The stage cannot be started; the message is the answer's reason."""


def find_stage(workouts: Path | None, name: str) -> Path:
    if workouts is None:
        raise StageRefused("no workouts directory is configured (mqtt.workouts)")
    if name == "next":
        raise StageRefused("`next` is chosen from the session history, not by a file name")
    root = workouts.resolve()
    wanted = Path(name)
    if wanted.is_absolute() or ".." in wanted.parts:
        raise StageRefused(f"{name!r}: name a stage file inside the workouts directory")
    candidates = [root / wanted] if wanted.suffix in SUFFIXES else []
    candidates += [root / f"{name}{suffix}" for suffix in SUFFIXES]
    candidates += sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.stem == name)
    for path in candidates:
        resolved = path.resolve()
        if resolved.is_file() and resolved.is_relative_to(root):
            return resolved
    raise StageRefused(f"unknown stage {name!r} in {workouts}")


def inside(workouts: Path, path: Path) -> Path:
    """`path`, resolved, if it is a stage file inside `workouts`; else StageRefused."""
    resolved = path.resolve()
    if not (resolved.is_file() and resolved.is_relative_to(workouts.resolve())):
        raise StageRefused(f"{path.name} is not a stage file inside the workouts directory")
    return resolved


def load_remote_stage(
    workouts: Path | None, name: str, profile: RunnerProfile, limits: TreadmillLimits
) -> Timeline:
    """The compiled stage, checked against the runner's profile and this treadmill's ranges."""
    return load_stage_file(find_stage(workouts, name), profile, limits)


def load_stage_file(path: Path, profile: RunnerProfile, limits: TreadmillLimits) -> Timeline:
    """A stage file already found inside the workouts directory, compiled and checked."""
    try:
        loaded = load_workout(path, profile, limits)
    except PlanError as e:
        raise StageRefused(f"{path.name}: {e.problems[0]}") from None
    if not isinstance(loaded, Timeline):
        raise StageRefused(f"{path.name} is a plan of stages: name one stage file")
    return loaded
