"""Stop cadence with a silent treadmill: Stop written every 0.25 s, each attempt bounded by its
own short timeout, when the treadmill never answers (indications lost) and never reports
(telemetry silent), so the stop can never be confirmed. Real time: what a runner would see.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from typing import Any

from treadlink.ble.bumble.radio import simulated_link
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault

STOP = 0x08


async def measure(seconds: float = 6.0) -> dict[str, Any]:
    writes: list[float] = []
    async with simulated_link(telemetry_hz=10.0) as link, SafetyGuard(link.link) as guard:
        await guard.request_control()
        sim = link.simulator
        sim.add_control_point_listener(
            lambda data: writes.append(time.perf_counter()) if data[:1] == bytes([STOP]) else None
        )
        await sim.set_fault(Fault.INDICATIONS_LOST)
        await sim.set_fault(Fault.TELEMETRY_SILENT)
        guard.trip(FaultKind.STOP_INPUT, "bench")
        await asyncio.sleep(seconds)
        confirmed = guard.belt_stopped
        for fault in (Fault.TELEMETRY_SILENT, Fault.INDICATIONS_LOST):
            await sim.clear_fault(fault)
        await guard.wait_belt_stopped(10)
    gaps = [b - a for a, b in itertools.pairwise(writes)]
    return {
        "writes": len(writes),
        "seconds": seconds,
        "interval_s": {
            "median": statistics.median(gaps),
            "min": min(gaps),
            "max": max(gaps),
            "n": len(gaps),
        },
        "writes_per_s": len(writes) / seconds,
        "confirmed_while_silent": confirmed,
    }
