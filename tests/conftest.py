"""Shared fixtures: the in-process simulator reached through the production bleak path
(tests/support/simulated.py), a history of each test's own, and the hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import settings

from tests.support.simulated import Link, commanded, link
from treadlink.treadmill.base import Treadmill
from treadlink_sim.treadmill import TreadmillSimulator

# Hypothesis: CI runs a fixed, derandomized profile (the same examples every run, failures
# reproducible); `make soak` runs a long random one. Sequences found are pinned with @example.
settings.register_profile("ci", derandomize=True, max_examples=40, print_blob=True)
settings.register_profile("soak", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On several workers (`make test`: pytest-xdist, one test handed out at a time) the long
    tests go first, black-box ones and those marked `slow(first=True)` before other slow ones:
    started at once they overlap the rest instead of being the last few running. Alone, the suite
    keeps its written order."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return

    def later(item: pytest.Item) -> int:
        slow = item.get_closest_marker("slow")
        if item.get_closest_marker("blackbox") or (slow and slow.kwargs.get("first")):
            return 0
        return 1 if slow else 2

    items.sort(key=later)  # stable: the written order within each group, the same on each worker


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
