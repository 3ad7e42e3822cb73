"""Shared fixtures: the in-process simulator reached through the production bleak path.

Tests in fake time (`@pytest.mark.looptime`) must build the rig inside the test with `link()`:
looptime starts the clock at 0 when the test body starts, so a simulator started by a fixture
would find its clock running backwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from treadlink.ble.bumble.radio import SimulatedLink, simulated_link
from treadlink.ftms.treadmill import Treadmill
from treadlink_sim.treadmill import TreadmillSimulator

# looptime spins 42 idle loop cycles before each jump of the clock, to let coroutines settle; every
# step here is scheduled with call_soon, which keeps the loop busy anyway, so one is enough and a
# 30-minute session runs in a third of the time.
fake_time = pytest.mark.looptime(noop_cycles=1)

Link = SimulatedLink
link = simulated_link


@pytest.fixture
async def connected() -> AsyncIterator[Link]:
    async with link(control=False) as connection:
        yield connection


@pytest.fixture
def sim(connected: Link) -> TreadmillSimulator:
    return connected.simulator


@pytest.fixture
def treadmill(connected: Link) -> Treadmill:
    return connected.treadmill


@pytest.fixture
async def controlled(treadmill: Treadmill) -> Treadmill:
    """A connected treadmill that has granted us control."""
    await treadmill.request_control()
    return treadmill
