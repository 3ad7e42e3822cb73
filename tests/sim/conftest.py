"""Fixtures for simulator tests.

looptime fakes the clock only inside the test function body, not in fixtures: a simulator started
by a fixture would schedule its ticks on the real clock. Tests marked `looptime` therefore start
their rig inside the test with `connected_rig()`. `run` and `write` (tests/support/processes.py)
start `treadlink-sim` as the runner would, held to bounds.
"""

from tests.support.processes import run, write

__all__ = ["run", "write"]
