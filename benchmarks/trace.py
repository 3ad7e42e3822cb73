"""What a trace costs: the tap's work on the event loop per frame (`TraceRecorder.record`: stamp
and queue), over an hour of a FitShow probe (a poll and its reply every 0.25 s, 28 800 frames),
the writer thread finishing the file, and how fast `probe --replay` decodes it back."""

from __future__ import annotations

import asyncio
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks.stats import summary
from treadlink.ble.trace.decode import FrameDecoder
from treadlink.ble.trace.format import TraceFile
from treadlink.ble.trace.recorder import TraceRecorder

POLL = bytes.fromhex("02 51 51 03")
RUNNING = bytes.fromhex("02 51 03 32 00 21 00 09 00 03 00 00 00 54 00 1f 03")  # 5.0 km/h


async def _record(path: Path, frames: int, *, paced: bool) -> dict[str, Any]:
    """`paced`: the loop yields 1 ms every 100 frames (still 100 000 frames a second, ten
    thousand times a real treadmill's); else one burst, the writer thread left behind."""
    recorder = TraceRecorder(path)
    recorder.attached()
    costs_us = [0.0] * frames
    tracemalloc.start()
    for i in range(0, frames, 2):
        for j, (op, uuid, data) in enumerate(
            (("write", 0xFFF2, POLL), ("notify", 0xFFF1, RUNNING))
        ):
            t0 = time.perf_counter_ns()
            recorder.record(op, uuid, data)  # type: ignore[arg-type]
            costs_us[i + j] = (time.perf_counter_ns() - t0) / 1000
        if paced and i % 100 == 0:
            await asyncio.sleep(0.001)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    closing = time.perf_counter()
    await recorder.close()
    return {
        "record_us": summary(costs_us),
        "peak_kib": peak / 1024,
        "close_ms": (time.perf_counter() - closing) * 1000,
        "dropped": recorder.dropped,
    }


def measure(frames: int = 28_800) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.jsonl"
        result: dict[str, Any] = {"frames": frames}
        result["burst"] = asyncio.run(_record(path, frames, paced=False))
        result["paced"] = asyncio.run(_record(path, frames, paced=True))
        result["file_kib"] = path.stat().st_size / 1024
        started = time.perf_counter()
        trace = TraceFile(path)
        trace.check()
        decoder = FrameDecoder(trace.header)
        decoded = 0
        for frame in trace.frames():
            decoder.decode(frame)
            decoded += 1
        result["replay_frames_per_s"] = decoded / (time.perf_counter() - started)
    return result
