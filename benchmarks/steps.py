"""Every step of `make bench`: what it runs, with `--quick` and without, and its overall bound.

A bound is what the step may take on this 2-core machine under the load of other work, about
three times what it takes there; `python -m benchmarks` stops a step that outlives it (docs/
benchmarks.md). Each step runs in a process of its own (`benchmarks.step`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Result = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    run: Callable[[bool], Result]  # quick -> figures
    bound_s: float
    quick_bound_s: float

    def bound(self, quick: bool) -> float:
        return self.quick_bound_s if quick else self.bound_s


def _round_trip(quick: bool) -> Result:
    from benchmarks import round_trip

    return asyncio.run(round_trip.measure(50 if quick else 300))


def _estop(quick: bool) -> Result:
    from benchmarks import estop

    return estop.measure(100, 20, 2) if quick else estop.measure()


def _cadence(quick: bool) -> Result:
    from benchmarks import cadence

    return asyncio.run(cadence.measure(3.0 if quick else 6.0))


def _boundaries(quick: bool) -> Result:
    from benchmarks import boundaries

    return asyncio.run(boundaries.measure(20 if quick else 180))


def _programme(telemetry_hz: float) -> Callable[[bool], Result]:
    def run(quick: bool) -> Result:
        from benchmarks import programme

        return programme.measure(telemetry_hz)  # the whole programme, quick or not

    return run


def _startup(quick: bool) -> Result:
    from benchmarks import startup

    return startup.measure(2 if quick else 7)


def _recorder(quick: bool) -> Result:
    from benchmarks import recorder

    return recorder.measure()


def _trace(quick: bool) -> Result:
    from benchmarks import trace

    return trace.measure(2_000 if quick else 28_800)


def _screen_keys(quick: bool) -> Result:
    from benchmarks import screen_keys

    return screen_keys.measure(15 if quick else 60)


def _mqtt_stop(quick: bool) -> Result:
    from benchmarks import mqtt_stop

    # 50 trials a mode: each starts a session; 100 outlived the bound on a loaded machine.
    return mqtt_stop.measure(20 if quick else 50)


def _serve_footprint(quick: bool) -> Result:
    from benchmarks import serve_footprint

    return serve_footprint.measure(10 if quick else 60)


def _clinic(quick: bool) -> Result:
    from benchmarks import clinic

    return clinic.measure(10, 3 if quick else 20)


def _fitshow_estop(quick: bool) -> Result:
    from benchmarks import fitshow

    # Fewer trials than FTMS's: each waits for the stop to be seen at rest in the next polls.
    return fitshow.estop(60 if quick else 300)


def _fitshow_polls(quick: bool) -> Result:
    from benchmarks import fitshow

    return fitshow.poll_cadence(4.0 if quick else 20.0)


# In the order they run: the quick in-process ones first, the long real-time ones last.
STEPS: tuple[Step, ...] = (
    Step("set_speed_round_trip", _round_trip, 180, 90),
    Step("estop", _estop, 1200, 300),
    Step("estop_fitshow", _fitshow_estop, 900, 300),
    Step("stop_cadence", _cadence, 90, 60),
    Step("fitshow_poll_cadence", _fitshow_polls, 120, 90),
    Step("boundaries", _boundaries, 600, 120),
    Step("programme_fake_time_4hz", _programme(4.0), 300, 300),
    Step("programme_fake_time_1hz", _programme(1.0), 120, 120),
    Step("run_sim_startup", _startup, 240, 120),
    Step("recorder", _recorder, 120, 120),
    Step("trace", _trace, 300, 120),
    Step("screen_key_stop", _screen_keys, 1500, 600),
    Step("mqtt_stop", _mqtt_stop, 1500, 400),
    Step("serve_footprint", _serve_footprint, 300, 180),
    Step("clinic", _clinic, 1200, 600),
)
BY_NAME: dict[str, Step] = {step.name: step for step in STEPS}
