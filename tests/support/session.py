"""Stages for session tests: the return-to-run files, a stage written on the spot, the fault
matrix's stage; and a session's events kept in a list."""

from __future__ import annotations

from pathlib import Path

from treadlink.config import RunnerProfile
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.plans.timeline import Timeline
from treadlink.session.events import (
    SessionEvent,
)

WORKOUTS = Path(__file__).resolve().parents[2] / "workouts"
PROFILE = RunnerProfile(walk_speed=5.5, run_speed=8.5, incline=1.0)


def stage(number: int, profile: RunnerProfile = PROFILE) -> Timeline:
    return load_stage(WORKOUTS / "return-to-run" / f"stage-{number:02d}.yaml", profile)


def write_stage(tmp_path: Path, text: str) -> Timeline:
    path = tmp_path / "stage.yaml"
    path.write_text(text)
    return load_stage(path, PROFILE, TreadmillLimits())


class Events(list[SessionEvent]):
    def of[E: SessionEvent](self, kind: type[E]) -> list[E]:
        return [e for e in self if isinstance(e, kind)]


MATRIX_STAGE = (
    "name: matrix\nitems:\n  - walk: 1:00\n  - run: 2:00\n  - walk: 1:00\n  - run: 2:00\n"
)


def matrix_stage(tmp_path: Path) -> Timeline:
    path = tmp_path / "matrix.yaml"
    path.write_text(MATRIX_STAGE)
    return load_stage(path, RunnerProfile(), TreadmillLimits())
