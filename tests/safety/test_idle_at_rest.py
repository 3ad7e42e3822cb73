"""Idle at rest, the one case where a link drop is no fault: the belt seen at rest over a window
(frames at 0 km/h with the distance unchanged, the last of them recent, no console start since).
Frames that read 0 km/h from a moving belt, a console start unseen for silent telemetry, or rest
seen long ago are not rest. Real simulator through the production bleak path, in fake time."""

from __future__ import annotations

import asyncio

from tests.support.guard import (
    faults,
    rig,
    walk_from_the_console,
)
from tests.support.simulated import fake_time
from treadlink.safety.events import Fault, LinkDown
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink_sim.faults import Fault as SimFault


def link_dropped(event: object) -> bool:
    return isinstance(event, Fault) and event.fault == "link_dropped"


@fake_time
async def test_a_console_belt_whose_frames_read_zero_is_not_idle_at_rest() -> None:
    """A belt walked from the console that reports 0 km/h (the zero-speed firmware quirk) is not at
    rest: a drop now is a fault, not the treadmill going to sleep (docs/safety.md: a drop with the
    belt moving, the console's too, is a fault)."""
    async with rig() as r:
        await walk_from_the_console(r)
        await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
        zero = asyncio.Event()

        def on_frame(event: TreadmillEvent) -> None:
            if isinstance(event, Telemetry) and event.state.speed_kmh == 0.0:
                zero.set()

        unsubscribe = r.guard.treadmill.subscribe(on_frame)
        async with asyncio.timeout(10):
            await zero.wait()  # one frame is enough
        unsubscribe()
        assert r.sim.belt_speed_kmh > 0.5, "the belt runs: only its frames say 0"
        await r.sim.drop_link()
        await r.events.first(lambda e: isinstance(e, LinkDown), timeout=30)
        await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
        assert r.guard.latched is not None, (
            f"a drop with the console's belt at {r.sim.belt_speed_kmh:g} km/h was judged idle "
            f"at rest (faults: {faults(r)})"
        )


@fake_time
async def test_a_console_start_unseen_for_silent_telemetry_is_not_idle_at_rest() -> None:
    """Idle with the belt at rest, telemetry goes silent, and someone starts the belt on the
    console: the treadmill says so (status 04, started by user), so a drop now is a fault, not idle
    at rest."""
    async with rig() as r:
        await asyncio.sleep(10)  # idle frames: the belt at rest (the idle window is 8 s)
        assert r.guard.idle_at_rest
        await r.sim.set_fault(SimFault.TELEMETRY_SILENT)
        await r.sim.console_start()
        await r.sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=30)
        await r.sim.drop_link()
        await r.events.first(lambda e: isinstance(e, LinkDown), timeout=30)
        await r.sim.clear_fault(SimFault.TELEMETRY_SILENT)
        assert r.guard.latched is not None, (
            f"a drop with the belt at {r.sim.belt_speed_kmh:g} km/h (started on the console, "
            "status 04) was judged idle at rest"
        )


@fake_time
async def test_a_slow_console_belt_reading_zero_is_a_contradiction_even_idle() -> None:
    """A console belt at the slowest speed (1 km/h) whose frames read 0 km/h gains a metre only
    every 3.6 s, and the idle window alone would need 8 s to doubt it. The frames contradict
    themselves (the time and the distance go on at 0 km/h): a fault in every state, idle too,
    and the belt is stopped; it is never judged at rest."""
    async with rig() as r:
        await walk_from_the_console(r)
        await r.sim.console_set_speed(1.0)
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 1.0, timeout=30)
        t0 = asyncio.get_running_loop().time()
        await r.sim.set_fault(SimFault.ZERO_SPEED_FRAMES)
        fault = await r.events.first(
            lambda e: isinstance(e, Fault) and e.fault == "contradicting_telemetry", timeout=30
        )
        assert fault.at - t0 < 8.0  # sooner than the idle window could have told
        assert not r.guard.idle_at_rest
        await r.sim.clear_fault(SimFault.ZERO_SPEED_FRAMES)
        await r.stopped()


@fake_time
async def test_rest_seen_long_ago_is_not_rest_now() -> None:
    """At rest over the window, then the telemetry goes silent: the belt may have been started
    since (a treadmill that does not send status 04), so a drop is no longer judged asleep."""
    async with rig() as r:
        await asyncio.sleep(10)
        assert r.guard.idle_at_rest
        await r.sim.set_fault(SimFault.TELEMETRY_SILENT)
        await asyncio.sleep(5)  # longer than stale_after_s (3 s)
        assert not r.guard.idle_at_rest
        await r.sim.clear_fault(SimFault.TELEMETRY_SILENT)
