"""From process start to belt started for `treadlink run --sim` (a real subprocess, real time).

The moment is the run's own `belt_started` event in its events file (`--events`): the belt is
confirmed running, whatever the display calls it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.events_file import EventsFile
from benchmarks.stats import summary

STAGE = Path(__file__).resolve().parents[1] / "workouts" / "return-to-run" / "stage-01.yaml"
RUN_TIMEOUT_S = 30.0  # to belt started; the goal is 2 s
EXIT_TIMEOUT_S = 30.0  # SIGTERM stops the belt and waits for it before the run exits


async def once() -> float:
    # A history of its own (not the developer's), and the events file beside it.
    with tempfile.TemporaryDirectory(prefix="treadlink-bench-") as tmp:
        events = EventsFile(Path(tmp) / "events.jsonl")
        t0 = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "treadlink.cli", "run", str(STAGE), "--sim"),
            *("--events", str(events.path), "--plain", "--quiet"),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "TREADLINK_DATA_DIR": tmp},
        )

        def gone() -> str | None:
            code = process.returncode
            return None if code is None else f"treadlink run exited with status {code}"

        try:
            await events.until("belt_started", within_s=RUN_TIMEOUT_S, gone=gone)
            return time.perf_counter() - t0
        finally:
            await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)  # the run stops the belt and exits
    try:
        async with asyncio.timeout(EXIT_TIMEOUT_S):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(
            f"treadlink run did not exit within {EXIT_TIMEOUT_S:g} s of SIGTERM"
        ) from None


async def _measure(runs: int) -> dict[str, Any]:
    # One start not counted: it writes the bytecode caches an installed treadlink has (pip
    # compiles them); after an edit, the first start would otherwise time the compiler.
    await once()
    return {"to_belt_started_s": summary([await once() for _ in range(runs)])}


def measure(runs: int = 5) -> dict[str, Any]:
    return asyncio.run(_measure(runs))
