"""`treadlink run` with a stdout it cannot write, through the real processes (standalone simulator
+ `treadlink run`): the warning that the belt may be running still reaches the runner."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.early_start import tell, waiting_treadlink, writer_once_waiting

pytestmark = pytest.mark.blackbox

SIM = [sys.executable, "-m", "treadlink_sim.cli"]


def test_a_broken_stdout_hides_the_belt_may_be_running_warning_and_exit_3(tmp_path: Path) -> None:
    """stdout that cannot be written (a full disk, a closed pipe `| head`, a dropped ssh terminal):
    after the runner's SIGTERMs with the Stop refused, the last and loud warning that the belt may
    be running still reaches stderr, and the exit status is 3."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("- {at: 8, do: set_fault, fault: control_failing}\n", encoding="utf-8")
    stage = tmp_path / "stage.yaml"
    stage.write_text("name: t\nitems:\n  - walk: 0:12\n  - run: 0:30\n", encoding="utf-8")
    config = tmp_path / "runner.yaml"
    config.write_text("max_speed: 10.0\n", encoding="utf-8")
    report = tmp_path / "report.jsonl"
    env = dict(os.environ, TREADLINK_CONFIG=str(config))
    # treadlink first: its imports are done before the scenario's clock starts with the
    # simulator, so a loaded machine does not make it miss the belt's start before the fault.
    fifo = tmp_path / "simulator-spec"
    with open("/dev/full", "w") as full:
        run = subprocess.Popen(
            waiting_treadlink(fifo, "run", str(stage)),
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    sim: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 60
        while (writer := writer_once_waiting(fifo)) is None:
            assert run.poll() is None and time.monotonic() < deadline, "treadlink did not start"
            time.sleep(0.05)  # polling for another process to open a FIFO; bounded
        sim = subprocess.Popen(
            [
                *SIM,
                "--link",
                "tcp-server:127.0.0.1:0",
                "--scenario",
                str(scenario),
                "--report",
                str(report),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert sim.stdout is not None
        spec = re.search(r"link=(\S+)", sim.stdout.readline())
        assert spec
        tell(writer, spec.group(1))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the run setpoint at ~12 s fails: a fault, unconfirmed
            lines = report.read_text().splitlines() if report.exists() else []
            if any("operation failed" in line and "08 01" in line for line in lines):
                break
            time.sleep(0.2)  # polling a file another process writes; not a timing assertion
        run.send_signal(signal.SIGTERM)  # stop and wait for the belt...
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.wait(2)  # (a bound, not a timing assertion: it must still be waiting)
        assert run.returncode is None, "one SIGTERM after a fault gave up on the belt"
        run.send_signal(signal.SIGTERM)  # ...and, again, leave anyway
        _, err = run.communicate(timeout=30)
        final = json.loads(report.read_text().splitlines()[-1])
        assert final["belt_speed_kmh"] > 0, "the belt was expected to be running"
        assert "THE BELT MAY STILL BE RUNNING" in err, err[-2000:]
        assert run.returncode == 3, (run.returncode, err[-2000:])
    finally:
        if run.poll() is None:
            run.kill()  # a failed check must not leave a bridge waiting for its belt
            run.wait(10)
        if sim is not None:
            sim.send_signal(signal.SIGTERM)
            sim.wait(10)
