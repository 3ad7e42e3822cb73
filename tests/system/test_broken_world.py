"""A broken world around `treadlink run`: the simulator's link, the disk, the numbers.

Each case runs the real program as a user would meet it and checks the exit status, the one
clear message, and that no traceback reached the runner. Bounded: every process has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.sim_process import simulator_process

pytestmark = pytest.mark.slow

TREADLINK = [sys.executable, "-m", "treadlink.cli"]
SHORT = "name: short\nitems:\n  - walk: 0:20\n  - run: 0:20\n"


def stage(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(SHORT)
    return path


def treadlink(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TREADLINK, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["--sim", "tcp-client:127.0.0.1:1"], 1, "nothing answers at tcp-client:127.0.0.1:1"),
        (["--sim", "bogus:foo"], 2, "is not a transport treadlink can open"),
        (["--profile", "generic"], 2, "--profile is for the simulator in this process"),
        (["--sim", "--profile", "nonexist"], 2, "no profile 'nonexist'"),
        (["--sim", "--speedup", "inf"], 2, "must be a number from 1 to 1000"),
        (["--sim", "--speedup", "1e9"], 2, "must be a number from 1 to 1000"),
        (["--sim", "--speedup", "1e-9"], 2, "must be a number from 1 to 1000"),
        (["--sim", "--timeout", "-1"], 2, "must be a number from 0.5 to 120"),
        (["--sim", "--events", "/"], 2, "cannot write the events file /"),
        (["--sim", "--events", "/proc/version"], 2, "cannot write the events file"),
    ],
)
def test_what_cannot_work_is_said_before_anything_moves(
    tmp_path: Path, args: list[str], status: int, says: str
) -> None:
    done = treadlink("run", str(stage(tmp_path)), *args)
    assert done.returncode == status, done.stderr
    assert says in done.stderr
    no_traceback(done)


def test_a_full_disk_is_said_once_and_the_run_goes_on(tmp_path: Path) -> None:
    """/dev/full takes the open and fails every write: the session runs and stops the belt as
    ever, the runner is told once where the record stops, and nothing else is printed."""
    done = treadlink(
        "run", str(stage(tmp_path)), "--sim", "--speedup", "20", "--events", "/dev/full"
    )
    assert done.returncode == 0, done.stderr
    no_traceback(done)
    assert done.stderr.count("could not be written") == 1, done.stderr
    assert "INCOMPLETE" in done.stderr
    assert "session completed" in done.stdout and "belt stopped" in done.stdout


async def test_a_busy_simulator_and_a_killed_one(tmp_path: Path) -> None:
    spawned: list[asyncio.subprocess.Process] = []
    try:
        await _busy_and_killed(tmp_path, spawned)
    finally:  # a failed check must not leave a bridge waiting for its belt forever
        for process in spawned:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _busy_and_killed(tmp_path: Path, spawned: list[asyncio.subprocess.Process]) -> None:
    """A second bridge on a busy simulator is told so; a bridge whose simulator is killed
    mid-run keeps trying to stop, and a runner who quits is told, last, that the belt may still
    be running (exit 3)."""
    async with simulator_process() as (spec, _):
        events = tmp_path / "events.jsonl"
        first = await asyncio.create_subprocess_exec(
            *TREADLINK,
            "run",
            str(stage(tmp_path)),
            "--sim",
            spec,
            "--events",
            str(events),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        spawned.append(first)
        assert first.stdout is not None and first.stderr is not None
        async with asyncio.timeout(30):
            while b"segment 1:" not in await first.stdout.readline():
                pass
        second = await asyncio.create_subprocess_exec(
            *TREADLINK,
            "run",
            str(stage(tmp_path)),
            "--sim",
            spec,
            "--timeout",
            "3",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        spawned.append(second)
        async with asyncio.timeout(60):
            _, err = await second.communicate()
        assert second.returncode == 1, err
        assert b"Traceback" not in err
    # The context above has stopped the simulator: the first bridge lost its treadmill.
    async with asyncio.timeout(30):
        while b"FAULT" not in await first.stdout.readline():
            pass
    first.send_signal(signal.SIGTERM)  # stop, and wait for a belt nobody can see...
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2):  # a bound, not a timing assertion
            await first.wait()
    assert first.returncode is None, "one SIGTERM gave up on the belt"
    first.send_signal(signal.SIGTERM)  # ...and, again: leave anyway
    async with asyncio.timeout(60):
        _, err = await first.communicate()
    assert first.returncode == 3, err
    assert b"Traceback" not in err
    assert err.decode().strip().splitlines()[-1].startswith("!!! STOP IT WITH")
    record = [json.loads(line) for line in events.read_text().splitlines()]
    assert record[-1]["event"] == "finished" and record[-1]["belt"] == "may be running"
