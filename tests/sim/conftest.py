"""Fixtures for simulator tests.

looptime fakes the clock only inside the test function body, not in fixtures: a simulator started
by a fixture would schedule its ticks on the real clock. Tests marked `looptime` therefore start
their rig inside the test with `connected_rig()`.
"""
