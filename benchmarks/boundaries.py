"""Setpoint lag after each scheduled boundary, and drift, in a real-time session with short
segments (the engine's timing on a real clock: no fake time here)."""

from __future__ import annotations

import statistics
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks.stats import summary
from treadlink.ble.bumble.radio import simulated_link
from treadlink.config import RunnerProfile
from treadlink.plans import load_stage
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Event, SetpointSent


def short_segments(seconds: float, segment_s: float) -> str:
    count = int(seconds / segment_s / 2)
    return (
        "name: boundary bench\nitems:\n"
        f"  - repeat: {count}\n    items:\n"
        f"      - walk: {segment_s:g}\n      - run: {segment_s:g}\n"
    )


async def measure(seconds: float = 120.0, segment_s: float = 2.0) -> dict[str, Any]:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(short_segments(seconds, segment_s))
        timeline = load_stage(path, RunnerProfile())
    events: list[Event] = []
    async with simulated_link(telemetry_hz=10.0) as link, SafetyGuard(link.link) as guard:
        session = Session(guard, timeline)
        session.subscribe(events.append)
        await session.run()
    # The first setpoint follows the belt start; every later one has a scheduled boundary.
    sent = [e for e in events if isinstance(e, SetpointSent)][1:]
    # Each lag is measured against an absolute deadline, so drift is how lag grows with time:
    # the slope of a least-squares line through (time, lag), in ms per hour.
    slope = statistics.linear_regression([e.at for e in sent], [e.lag_ms for e in sent]).slope
    return {
        "session_s": timeline.totals.total_time_s,
        "boundaries": len(sent),
        "lag_ms": summary([e.lag_ms for e in sent]),
        "last_boundary_lag_ms": sent[-1].lag_ms,
        "drift_ms_per_hour": slope * 3600,
    }
