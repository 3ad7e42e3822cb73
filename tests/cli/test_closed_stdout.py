"""`treadlink history | head`: a reader that goes away early is no error of treadlink's. Every
command that prints a lot ends quietly (no traceback, no "Exception ignored") with 141, the
status a shell reports for a program ended by a closed pipe (128 + SIGPIPE)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from treadlink.cli.exit_codes import EXIT_READER_GONE
from treadlink.records.model import SessionEnd, SessionStart
from treadlink.records.store import DATA_DIR_ENV, Store

WORKOUTS = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run"


def history(data: Path, sessions: int) -> None:
    started = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)
    with Store.open(data / "history.sqlite3") as store:
        for n in range(sessions):
            at = started + timedelta(days=n)
            sid = store.begin(SessionStart("Stage 1", str(WORKOUTS / "stage-01.yaml"), 1800.0, at))
            end = SessionEnd(
                at + timedelta(minutes=30), "completed", None, "NoblePro", 1800.0, 0.0,
                1620.0, 2475.0, 180.0, 425.0, 2900.0, 13, 0,
            )  # fmt: skip
            store.write(sid, [end])
            store.set_pain(sid, "after", 0, at)


def with_reader_gone(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `treadlink ARGS` with its standard output a pipe whose reader has already left."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "treadlink.cli", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["history"], id="history"),
        pytest.param(["history", "--json"], id="history-json"),
        pytest.param(["plan", str(WORKOUTS / "stage-01.yaml")], id="plan"),
        pytest.param(["validate", *map(str, sorted(WORKOUTS.glob("*.yaml")))], id="validate"),
        pytest.param(["next", str(WORKOUTS / "plan.yaml")], id="next"),
        pytest.param(["probe", "--sim", "--seconds", "30"], id="probe"),
    ],
)
def test_a_reader_that_leaves_early_ends_the_command_quietly(
    tmp_path: Path, args: list[str]
) -> None:
    history(tmp_path, 300)
    env = {**os.environ, DATA_DIR_ENV: str(tmp_path)}
    done = with_reader_gone(args, env)
    assert "Traceback" not in done.stderr, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    assert "Broken pipe" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == EXIT_READER_GONE, done.stderr
