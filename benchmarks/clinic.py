"""A clinic: N `treadlink serve --sim` bridges on one Mosquitto, each with its own simulated
treadmill, each running stages at a speed-up, each stopped over MQTT again and again.

Across processes the Stop bytes cannot be timed at the simulator, so the figure here is the
round trip: the publish of `B/command/stop` to the bridge's `stop_requested` event arriving back
at the client (the guard emits it after the Stop has been handed to the Bluetooth stack). It is
an upper bound of publish → Stop bytes; one bridge alone, timed the same way, is the baseline.
CPU per bridge is over the whole run (simulator included).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.mqtt_stop import broker
from benchmarks.serving import Bridge, Driver, driving, serving, start_walk, write_setup
from benchmarks.stats import summary

SPEEDUP = 10.0
TELEMETRY_HZ = 10.0


async def _stops(driver: Driver, bridge: Bridge, trials: int) -> list[float]:
    loop = asyncio.get_running_loop()
    latencies = []
    for _ in range(trials):
        await start_walk(driver, bridge)
        t0 = loop.time()
        await driver.client.publish(f"{bridge.base}/command/stop", b"PRESS")
        async with asyncio.timeout(60):
            latencies.append((await driver.event(bridge.base, "stop_requested") - t0) * 1000)
            await driver.event(bridge.base, "finished")
    return latencies


async def _clinic(count: int, trials: int) -> dict[str, Any]:
    with broker() as mosquitto, tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        profiles = write_setup(directory, count, TELEMETRY_HZ)
        async with (
            serving(mosquitto.url, directory, profiles, speedup=SPEEDUP) as bridges,
            driving(mosquitto.port) as driver,
        ):
            processes = [b.ps for b in bridges]
            cpu0 = [p.cpu_times() for p in processes]
            t0 = time.perf_counter()
            results = await asyncio.gather(*(_stops(driver, b, trials) for b in bridges))
            wall = time.perf_counter() - t0
            for bridge in bridges:
                bridge.assert_one_connection(mosquitto)
            cpu = [
                100 * ((c1.user - c0.user) + (c1.system - c0.system)) / wall
                for c0, c1 in zip(cpu0, (p.cpu_times() for p in processes), strict=True)
            ]
    return {
        "bridges": count,
        "round_trip_ms": summary([ms for per_bridge in results for ms in per_bridge]),
        "cpu_pct_per_bridge": summary(cpu),
        "speedup": SPEEDUP,
        "telemetry_hz": TELEMETRY_HZ,
    }


def measure(bridges: int = 10, trials: int = 20) -> dict[str, Any]:
    return {
        "one": asyncio.run(_clinic(1, trials)),
        "clinic": asyncio.run(_clinic(bridges, trials)),
    }
