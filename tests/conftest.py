"""Shared fixtures: the in-process simulator reached through the production bleak path.

Tests in fake time (`@pytest.mark.looptime`) must build the rig inside the test with `link()`:
looptime starts the clock at 0 when the test body starts, so a simulator started by a fixture
would find its clock running backwards.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import settings

from treadlink.ble.bumble.radio import SimulatedLink, simulated_link
from treadlink.treadmill.base import Commands, Treadmill
from treadlink_sim.treadmill import TreadmillSimulator

# Hypothesis: CI runs a fixed, derandomized profile (the same examples every run, failures
# reproducible); `make soak` runs a long random one. Sequences found are pinned with @example.
settings.register_profile("ci", derandomize=True, max_examples=40, print_blob=True)
settings.register_profile("soak", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# looptime spins 42 idle loop cycles before each jump of the clock, to let coroutines settle; every
# step here is scheduled with call_soon, which keeps the loop busy anyway, so one is enough and a
# 30-minute session runs in a third of the time.
fake_time = pytest.mark.looptime(noop_cycles=1)

Link = SimulatedLink
link = simulated_link


@pytest.fixture(autouse=True)
def _history_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `treadlink run` records a session: in a test (and its subprocesses) it goes to a
    folder of the test's own, never to the developer's history."""
    monkeypatch.setenv("TREADLINK_DATA_DIR", str(tmp_path_factory.mktemp("history")))


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


@pytest.fixture
async def connected() -> AsyncIterator[Link]:
    async with link() as connection:
        yield connection


@pytest.fixture
def sim(connected: Link) -> TreadmillSimulator:
    return connected.simulator


@pytest.fixture
def treadmill(connected: Link) -> Treadmill:
    return connected.treadmill


@pytest.fixture
async def controlled(treadmill: Treadmill) -> Any:
    """A connected treadmill that has granted us control (held by the test, no guard)."""
    c = commanded(treadmill)
    await c.request_control()
    return c
