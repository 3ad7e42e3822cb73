"""The in-process simulator reached through the production bleak path, and fake time.

Tests in fake time (`@fake_time`, looptime) must build the rig inside the test with `link()`:
looptime starts the clock at 0 when the test body starts, so a simulator started by a fixture
would find its clock running backwards."""

from __future__ import annotations

from typing import Any

import pytest

from treadlink.ble.bumble.radio import SimulatedLink, simulated_link
from treadlink.treadmill.base import Commands, Treadmill

# looptime spins 42 idle loop cycles before each jump of the clock, to let coroutines settle; every
# step here is scheduled with call_soon, which keeps the loop busy anyway, so one is enough and a
# 30-minute session runs in a third of the time.
fake_time = pytest.mark.looptime(noop_cycles=1)

Link = SimulatedLink
link = simulated_link


class Controlled:
    """A treadmill whose control point the test itself holds, with no guard: for tests of the
    FTMS layer only. Commands and the treadmill's own attributes both answer."""

    def __init__(self, treadmill: Treadmill) -> None:
        self.treadmill = treadmill
        self.commands: Commands = treadmill.take_control(lambda _event: None)

    def __getattr__(self, name: str) -> Any:
        if hasattr(self.commands, name):
            return getattr(self.commands, name)
        return getattr(self.treadmill, name)


def commanded(treadmill: Treadmill) -> Any:
    return Controlled(treadmill)
