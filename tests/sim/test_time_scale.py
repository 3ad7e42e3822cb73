"""A sped-up session on the simulator: the belt runs on scaled time, so it covers the distance of
the scaled time, its elapsed time is the scaled one, and it accelerates at its own rate per
scaled second (fake time: the loop clock is what is scaled)."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.sim_central import RawCentral
from treadlink.ftms.layouts import decode_treadmill_data
from treadlink.ftms.protocol import Characteristic as Char
from treadlink_sim.physics import KMH_TO_MS
from treadlink_sim.rig import Rig, sim_rig

pytestmark = [pytest.mark.looptime]

SPEED = 10.0  # km/h; the NoblePro profile accelerates at 1 km/h per second
RAMP_S = SPEED / 1.0


async def belt_set_to_speed(rig: Rig) -> RawCentral:
    """A central in control that has started the belt and set SPEED."""
    central = await RawCentral.on_controller(rig.bridge_controller)
    await central.connect(rig.address)
    await central.subscribe()
    assert await central.request(b"\x00") == b"\x80\x00\x01"
    assert await central.request(b"\x07") == b"\x80\x07\x01"
    units = round(SPEED * 100).to_bytes(2, "little")
    assert await central.request(b"\x02" + units) == b"\x80\x02\x01"
    return central


async def belt_at(time_scale: float, loop_seconds: float) -> tuple[float, float, bytes]:
    """Distance and elapsed time after `loop_seconds` of loop time at SPEED, and the last frame."""
    async with sim_rig(time_scale=time_scale) as rig:
        central = await belt_set_to_speed(rig)
        start = asyncio.get_running_loop().time()
        await asyncio.sleep(loop_seconds)  # fake time: this is the span being measured
        moved = asyncio.get_running_loop().time() - start
        sim = rig.simulator
        await sim.wait_for(lambda s: s.elapsed_s > 0)
        central.pending(Char.TREADMILL_DATA)
        frame = await central.next(Char.TREADMILL_DATA)
        assert moved == pytest.approx(loop_seconds, abs=0.05)
        return sim.distance_m, sim.elapsed_s, frame


def expected_distance_m(belt_seconds: float) -> float:
    return (SPEED * RAMP_S / 2 + SPEED * (belt_seconds - RAMP_S)) * KMH_TO_MS


async def test_thirty_times_faster_covers_the_scaled_distance() -> None:
    distance, elapsed, frame = await belt_at(30.0, 60.0)  # one loop minute = 30 belt minutes
    assert elapsed == pytest.approx(1800, abs=30 * 0.3)
    assert distance == pytest.approx(expected_distance_m(elapsed), rel=0.01)
    assert 4900 < distance < 5100  # about 30 minutes at 10 km/h, less the ten-second ramp
    reported = decode_treadmill_data(frame).values
    assert reported["elapsed_time_s"] == pytest.approx(elapsed, abs=30 * 0.3)
    assert reported["distance_m"] == pytest.approx(distance, abs=30 * 0.3 * SPEED * KMH_TO_MS)


async def test_acceleration_follows_the_scaled_clock() -> None:
    # Ten belt seconds to reach 10 km/h are a third of a loop second at 30×.
    async with sim_rig(time_scale=30.0) as rig:
        await belt_set_to_speed(rig)
        started = asyncio.get_running_loop().time()
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh >= SPEED)
        assert asyncio.get_running_loop().time() - started < RAMP_S / 30 + 0.3


async def test_unscaled_belt_is_unchanged() -> None:
    distance, elapsed, _ = await belt_at(1.0, 60.0)
    assert elapsed == pytest.approx(60, abs=0.3)
    assert distance == pytest.approx(expected_distance_m(elapsed), rel=0.01)


@pytest.mark.parametrize("scale", [0.0, -2.0, float("nan"), float("inf")])
async def test_unusable_time_scales_are_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="time scale must be a positive number"):
        async with sim_rig(time_scale=scale):
            pass
