"""A session on the simulator, run from a stage file in a plan's folder: the hint after it names
`treadlink pain --sim N` (the command that reaches it), `next --sim` finds the plan without being
told, the runner's own `next` is untouched, and `export last` says which session it took."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli_process import treadlink as run_treadlink

STAGE_1 = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "stage-01.yaml"


@pytest.mark.timeout(240)
def test_a_simulator_session_run_from_a_plans_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"

    def treadlink(*argv: str) -> subprocess.CompletedProcess[str]:
        return run_treadlink(data, *argv, cwd=tmp_path)

    ran = treadlink("run", str(STAGE_1), "--sim", "--speedup", "600", "--pain-before", "0")
    assert ran.returncode == 0, ran.stderr
    assert "pain after it: treadlink pain --sim N --moment after" in ran.stdout
    assert "the next morning's pain, from " in ran.stdout
    assert "treadlink pain --sim N" in ran.stdout.split("the next morning's pain")[1]

    told = treadlink("next", "--sim")  # no plan named: the stage's folder has it
    assert told.returncode == 0, told.stderr
    assert "Next: stage 1 of 15 of Return to run (stage-01.yaml)" in told.stdout
    assert "the pain after it and the next morning is not recorded" in told.stdout
    runners = treadlink("next")  # the runner's programme has no session: nothing to go by
    assert runners.returncode == 2 and "no plan given" in runners.stderr

    assert treadlink("pain", "--sim", "0", "--moment", "after").returncode == 0
    exported = treadlink("export", "last", "--tcx", str(tmp_path / "a.tcx"))
    assert exported.returncode == 0, exported.stderr
    first = exported.stdout.splitlines()[0]
    assert first.startswith("exporting session 1: Stage 1 [sim], "), first
