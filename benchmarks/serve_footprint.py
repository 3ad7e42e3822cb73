"""`treadlink serve --sim` during a session at 10 Hz telemetry, in real time: CPU (share of one
core, bridge and its in-process simulator together) and resident memory."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.mqtt_stop import broker
from benchmarks.serving import driving, serving, start_walk, write_setup

TELEMETRY_HZ = 10.0


async def _measure(window_s: float) -> dict[str, Any]:
    with broker() as mosquitto, tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        profiles = write_setup(directory, 1, TELEMETRY_HZ)
        async with (
            serving(mosquitto.url, directory, profiles, speedup=1.0) as bridges,
            driving(mosquitto.port) as driver,
        ):
            bridge = bridges[0]
            await start_walk(driver, bridge)
            await asyncio.sleep(2.0)  # past the belt's start; then a steady walk is measured
            ps = bridge.ps
            cpu0, t0 = ps.cpu_times(), time.perf_counter()
            await asyncio.sleep(window_s)
            cpu1, t1 = ps.cpu_times(), time.perf_counter()
            rss = ps.memory_info().rss
            used = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
            bridge.assert_one_connection(mosquitto)
            await driver.client.publish(f"{bridge.base}/command/stop", b"")
    return {
        "cpu_pct_of_one_core": 100 * used / (t1 - t0),
        "rss_mb": rss / 2**20,
        "window_s": window_s,
        "telemetry_hz": TELEMETRY_HZ,
    }


def measure(window_s: float = 30.0) -> dict[str, Any]:
    return asyncio.run(_measure(window_s))
