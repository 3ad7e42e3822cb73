"""From process start to belt moving for `treadlink run --sim` (a real subprocess, real time)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.stats import summary

STAGE = Path(__file__).resolve().parents[1] / "workouts" / "return-to-run" / "stage-01.yaml"


def once(timeout: float = 30.0) -> float:
    with tempfile.TemporaryDirectory(prefix="treadlink-bench-") as history:
        return _once(timeout, history)  # a history of its own: not the developer's


def _once(timeout: float, history: str) -> float:
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "treadlink.cli", "run", str(STAGE), "--sim"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TREADLINK_DATA_DIR": history},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "belt moving" in line:
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > timeout:
                break
        raise RuntimeError("treadlink run --sim never reported the belt moving")
    finally:
        process.send_signal(signal.SIGTERM)  # the run stops the belt and exits
        process.wait(timeout=timeout)


def measure(runs: int = 5) -> dict[str, Any]:
    return {"to_belt_moving_s": summary([once() for _ in range(runs)])}
