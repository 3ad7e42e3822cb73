"""FitShow: e-stop trigger → STOP frame at the simulated treadmill, and the status-poll cadence.

Both drive a simulated NoblePro E8i (`noblepro-e8i`: FitShow on NoblePro's 0xAE00, no FTMS)
through the production path, as the FTMS steps drive theirs: `simulated_link(profile=...)`
scans, connects and builds the treadmill the bridge chooses for what it found (the FitShow
driver, `treadlink.fitshow.driver`); a `SafetyGuard` over that link is the only way to the belt.
A bridge without a FitShow driver finds no treadmill there; these steps are then skipped, saying
so, rather than failed.

* E-stop: the same trials as the FTMS `estop` step (`benchmarks.estop.ours`): idle, with a
  command pending that the treadmill takes and never answers (a start: READY), and with the line
  display and the events file listening; the time from `guard.trip()` to the STOP frame
  (`02 53 03 50 03`) reaching the simulator, seen by its control-write listeners before it acts
  on it.
* Poll cadence: the belt walking at 3 km/h, every status poll (`02 51 51 03`) the simulator
  hears (`sim.fitshow.polls`) over a window in real time; the intervals between them. Real
  consoles never push a status: the driver must poll every 200–500 ms (docs/fitshow.md).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from benchmarks.estop import PROCEDURE_TIMEOUT_S, ours
from benchmarks.skip import Skipped
from treadlink.ble.bumble.radio import SimulatedLink, simulated_link
from treadlink.ble.radio import TreadmillNotFound
from treadlink.fitshow.requests import stop_request
from treadlink.safety.guard import SafetyGuard

PROFILE = "noblepro-e8i"
TELEMETRY_HZ = 10.0
STOP_FRAME = stop_request()
WALK_KMH = 3.0


def _start(guard: SafetyGuard) -> Coroutine[Any, Any, Any]:
    # FitShow sets speed and incline together, and after an acknowledgement no speed above the
    # standing belt's goes through: the command left pending is a start (READY, never answered).
    return guard.start()


def is_stop_frame(data: bytes) -> bool:
    return data == STOP_FRAME


@asynccontextmanager
async def fitshow_link(**options: Any) -> AsyncIterator[SimulatedLink]:
    """The bridge's link to a simulated FitShow unit, or Skipped if the bridge looks for FTMS
    only; any other failure to connect is the step's failure."""
    try:
        async with simulated_link(profile=PROFILE, **options) as link:
            yield link
    except TreadmillNotFound as e:
        if "FTMS" not in str(e):
            raise
        said = str(e).split(". ")[0]
        raise Skipped(f"no FitShow driver (simulated {PROFILE}: {said})") from None


async def _estop(trials: int) -> dict[str, Any]:
    async with fitshow_link(
        telemetry_hz=TELEMETRY_HZ, procedure_timeout=PROCEDURE_TIMEOUT_S
    ) as link:
        return await ours(trials, link, is_stop_frame, _start)


async def _polls(window_s: float) -> dict[str, Any]:
    async with fitshow_link(telemetry_hz=TELEMETRY_HZ) as link, SafetyGuard(link.link) as guard:
        sim = link.simulator
        await guard.request_control()
        await guard.start()
        await guard.set_speed(WALK_KMH)
        await sim.wait_for(lambda s: s.belt_speed_kmh == WALK_KMH, timeout=30)
        first = len(sim.fitshow.polls)
        await asyncio.sleep(window_s)
        polls = sim.fitshow.polls[first:]
        guard.stop("bench over")
        await guard.wait_belt_stopped(30)
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    if len(gaps) < 2:
        raise RuntimeError(f"{len(polls)} status polls in {window_s:g} s: the driver does not poll")
    return {
        "window_s": window_s,
        "polls": len(polls),
        "interval_s": {
            "n": len(gaps),
            "median": statistics.median(gaps),
            "min": min(gaps),
            "max": max(gaps),
        },
    }


def estop(trials: int = 300) -> dict[str, Any]:
    return {"treadlink": asyncio.run(_estop(trials)), "telemetry_hz": TELEMETRY_HZ}


def poll_cadence(window_s: float = 10.0) -> dict[str, Any]:
    return asyncio.run(_polls(window_s))
