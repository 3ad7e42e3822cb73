"""Shared fixtures: the in-process simulator reached through the production bleak path.

Tests in fake time (`@pytest.mark.looptime`) must build the rig inside the test with `link()`:
looptime starts the clock at 0 when the test body starts, so a simulator started by a fixture
would find its clock running backwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from treadlink.ble.bumble.radio import BumbleRadio
from treadlink.ftms.treadmill import Treadmill
from treadlink_sim.treadmill import TreadmillSimulator


@dataclass(frozen=True, slots=True)
class Link:
    radio: BumbleRadio
    sim: TreadmillSimulator
    treadmill: Treadmill


@asynccontextmanager
async def link(*, control: bool = True, **simulator_options: Any) -> AsyncIterator[Link]:
    """An in-process simulator, found by scanning and connected through bleak."""
    async with BumbleRadio(**simulator_options) as radio:
        assert radio.simulator is not None
        device = await radio.find_treadmill(timeout=2)
        async with Treadmill(device, backend=radio.client_backend) as treadmill:
            if control:
                await treadmill.request_control()
            yield Link(radio, radio.simulator, treadmill)


@pytest.fixture
async def connected() -> AsyncIterator[Link]:
    async with link(control=False) as connection:
        yield connection


@pytest.fixture
def sim(connected: Link) -> TreadmillSimulator:
    return connected.sim


@pytest.fixture
def treadmill(connected: Link) -> Treadmill:
    return connected.treadmill


@pytest.fixture
async def controlled(treadmill: Treadmill) -> Treadmill:
    """A connected treadmill that has granted us control."""
    await treadmill.request_control()
    return treadmill
