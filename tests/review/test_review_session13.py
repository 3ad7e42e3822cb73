"""Review of session 13 (idle rules, the radio's reopen): each test is a finding and fails on
the code as reviewed (branch `review2`). Real simulator through the production bleak path."""

from __future__ import annotations

import asyncio
import contextlib

from tests.conftest import fake_time
from tests.safety.test_guard_units import faults, rig, walk_from_the_console
from tests.sim.test_standalone import simulator
from treadlink.ble.bumble.radio import BumbleRadio
from treadlink.safety.events import Fault, LinkDown
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink_sim.faults import Fault as SimFault


def link_dropped(event: object) -> bool:
    return isinstance(event, Fault) and event.fault == "link_dropped"


@fake_time
async def test_a_console_belt_whose_frames_read_zero_is_not_idle_at_rest() -> None:
    """`idle_at_rest` trusts the last frame alone. A belt walked from the console that reports
    0 km/h (the zero-speed firmware quirk, docs/simulator.md `stray_zero_speed`, which the guard
    debounces everywhere else) makes a drop "the treadmill going to sleep": no fault, no
    reconnect, no Stop, and the belt runs on. docs/safety.md: a drop with the belt moving, the
    console's too, is a fault."""
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
    """Idle with the belt at rest, telemetry goes silent (no stale watch runs for a belt at
    rest), and someone starts the belt on the console: the treadmill says so (status 04,
    started by user) but the guard ignores it and still believes its last frame (0 km/h). A
    drop now is judged idle at rest: no fault, no reconnect, and a belt running unwatched."""
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


async def test_closing_the_radio_during_a_reopen_leaves_no_central_behind() -> None:
    """`close()` does not take `_reopening` and `live_central()` does not look at `_is_open`
    again after letting the dead central go: a close while a reopen is under way returns, then
    the reopen powers a fresh central on over a new transport that nobody will ever close. The
    simulator (one bridge per treadmill) then refuses the next bridge."""
    quick = ("--telemetry-hz", "10")
    async with asyncio.timeout(60), simulator(*quick) as first:
        radio = BumbleRadio(first.spec)
        await radio.__aenter__()
        try:
            transport = radio._transport
            assert transport is not None
            await first.kill()
            await transport.source.terminated  # bumble has seen the transport lost
            async with simulator(*quick, port=first.port) as second:
                reopen = asyncio.get_running_loop().create_task(radio.live_central())
                await asyncio.sleep(0)  # the reopen has begun: the dead central is let go
                assert radio._reopening.locked()
                await radio.close()
                with contextlib.suppress(Exception):  # refusing is fine: the radio is closed
                    await reopen
                leaked = radio._central
                try:
                    async with BumbleRadio(second.spec):
                        pass
                except Exception as e:
                    raise AssertionError(
                        f"after close() a central is still connected ({leaked}): {e!r}"
                    ) from e
                assert leaked is None, "a central powered on after the radio was closed"
        finally:
            await radio.close()


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
