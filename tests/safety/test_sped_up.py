"""The guard for a sped-up simulated belt (`run --sim --speedup N`): `GuardSettings.sped_up`.

A belt on time sped up N times stops N times faster, so the guard's watches shrink with it; but
never below a few frames and link round trips of real time, and never the Stop cadence."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.simulated import fake_time, link
from treadlink.safety.events import BeltStopped
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard

WATCHES_AND_FLOORS = {
    "stale_after_s": 0.5,
    "overspeed_grace_s": 0.3,
    "zero_debounce_s": 0.3,
    "confirm_within_s": 1.0,
    "own_status_window_s": 0.5,
    "still_window_s": 0.2,
    "idle_rest_window_s": 1.0,
}


def test_not_sped_up_is_the_same_guard() -> None:
    settings = GuardSettings(cap_kmh=12.0)
    assert settings.sped_up(1) is settings


@pytest.mark.parametrize("n", [2.0, 30.0, 1000.0])
def test_watches_shrink_with_the_belt_but_not_below_their_floors(n: float) -> None:
    plain = GuardSettings(cap_kmh=12.0, cap_incline_pct=8.0)
    fast = plain.sped_up(n)
    for name, floor in WATCHES_AND_FLOORS.items():
        assert getattr(fast, name) == pytest.approx(max(getattr(plain, name) / n, floor)), name
    assert fast.slowest_deceleration_kmh_s == pytest.approx(plain.slowest_deceleration_kmh_s * n)
    # The link is no faster for a sped-up belt, and the runner's limits are the runner's.
    for name in ("stop_retry_s", "still_frames", "cap_kmh", "cap_incline_pct"):
        assert getattr(fast, name) == getattr(plain, name), name
    assert fast.reconnect_backoff_s == plain.reconnect_backoff_s


@fake_time
async def test_a_sped_up_guard_says_belt_stopped_only_with_the_belt_at_rest() -> None:
    n = 30.0
    async with (
        link(time_scale=n) as connection,
        SafetyGuard(connection.link, settings=GuardSettings().sped_up(n)) as guard,
    ):
        sim = connection.simulator
        belt_when_said: list[float] = []
        guard.subscribe(
            lambda e: (
                belt_when_said.append(sim.belt_speed_kmh) if isinstance(e, BeltStopped) else None
            )
        )
        await guard.request_control()
        await guard.start()
        await guard.set_speed(10.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 10.0, timeout=60)
        guard.trip(FaultKind.STOP_INPUT, "space bar")
        async with asyncio.timeout(60):
            await guard.wait_belt_stopped()
    assert belt_when_said == [0.0]
