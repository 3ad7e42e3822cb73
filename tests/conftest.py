"""Shared fixtures: the in-process simulator reached through the production bleak path
(tests/support/simulated.py), a history of each test's own, and the hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import settings

from tests.support.simulated import Link, commanded, link
from treadlink.ftms.treadmill import Treadmill
from treadlink_sim.treadmill import TreadmillSimulator

# Hypothesis: CI runs a fixed, derandomized profile (the same examples every run, failures
# reproducible); `make soak` runs a long random one. Sequences found are pinned with @example.
settings.register_profile("ci", derandomize=True, max_examples=40, print_blob=True)
settings.register_profile("soak", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _history_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `treadlink run` records a session: in a test (and its subprocesses) it goes to a
    folder of the test's own, never to the developer's history."""
    monkeypatch.setenv("TREADLINK_DATA_DIR", str(tmp_path_factory.mktemp("history")))


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
