"""SVG snapshots of the runner's screen at the sizes it must work at (pytest-textual-snapshot):
80×24 with every key, 60×18 with the essentials, 130×40 in larger type; the runner's own stop
and a fault. From a replayed stage 1 at a fixed session time, as tests/ui/test_screen_snapshots.

    .venv/bin/python -m pytest tests/ui/test_screen_snapshots_by_size.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.support.screen_replay import Compare, replayed, stage_one, stopped_by_the_runner, until
from treadlink.session.events import Fault, StopAccepted, StopRequested


@pytest.mark.parametrize("size", [(80, 24), (60, 18), (130, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_segment_at(snap_compare: Compare, size: tuple[int, int]) -> None:
    # Stage 1's second run, 12 s in: 18 s to the 4:00 walk.
    assert snap_compare(replayed(until(stage_one(), 462.0), 462.0), terminal_size=size)


def test_the_runners_own_stop_at_80x24(snap_compare: Compare) -> None:
    events = until(stage_one(), 195.0) + stopped_by_the_runner(195.0)
    assert snap_compare(replayed(events, 195.5), terminal_size=(80, 24))


def test_a_fault_at_80x24(snap_compare: Compare) -> None:
    events = [
        *until(stage_one(), 195.0),
        StopRequested(at=195.0, reason="safety key pulled"),
        Fault(at=195.0, message="safety key pulled", fault="safety_key", latched=True),
        StopAccepted(at=195.1, how="status safety key"),
    ]
    assert snap_compare(replayed(events, 195.5), terminal_size=(80, 24))
