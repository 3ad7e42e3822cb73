"""The countdown cue: three short beeps before each change, never twice for a second."""

from __future__ import annotations

from treadlink.ui.screen.cue import CountdownCue


def test_three_beeps_per_change_polled_at_any_rate() -> None:
    cue = CountdownCue()
    frames = [5.0, 3.4, 3.0, 2.95, 2.5, 1.9, 1.0, 0.4, 0.0]
    assert [t for t in frames if cue.due(0, t)] == [3.0, 1.9, 1.0]
    # The next segment's countdown beeps again; a sped-up frame that skips seconds beeps less.
    assert [t for t in [30.0, 2.2, 0.1] if cue.due(1, t)] == [2.2, 0.1]


def test_no_beep_for_a_segment_without_a_time() -> None:
    assert not CountdownCue().due(0, None)
