"""SVG snapshots of the runner's screen (pytest-textual-snapshot): a run segment, a walk segment
and a latched fault of stage 1, from a replayed event stream at a fixed session time.

    .venv/bin/python -m pytest tests/ui/test_screen_snapshots.py --snapshot-update  # after a
    deliberate change; look at the SVGs in __snapshots__/ before committing them
"""

from __future__ import annotations

from tests.support.screen_replay import Compare, replayed, stage_one, stopped_by_the_runner, until

SIZE = (100, 30)


def test_run_segment(snap_compare: Compare) -> None:
    # Stage 1's second run, 12 s in: 18 s to the 4:00 walk.
    assert snap_compare(replayed(until(stage_one(), 462.0), 462.0), terminal_size=SIZE)


def test_walk_segment(snap_compare: Compare) -> None:
    # The warm-up walk, 2:15 in: 45 s to the first run.
    assert snap_compare(replayed(until(stage_one(), 135.0), 135.0), terminal_size=SIZE)


def test_latched_fault(snap_compare: Compare) -> None:
    # Space in the first run: the treadmill has accepted the Stop; the belt is still slowing.
    events = until(stage_one(), 195.0) + stopped_by_the_runner(195.0)
    assert snap_compare(replayed(events, 195.5), terminal_size=SIZE)
