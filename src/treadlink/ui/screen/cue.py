"""The countdown cue: three short beeps before each change, at 3, 2 and 1 s left."""

from __future__ import annotations

import math

BEEPS = 3


class CountdownCue:
    """Says when a beep is due; at most one per second left, each second once per segment.

    Polled once a frame: with a sped-up plan a frame can span several seconds, and then fewer
    beeps sound rather than a burst of them.
    """

    def __init__(self) -> None:
        self._last: tuple[int, int] | None = None  # (segment index, second) of the last beep

    def due(self, segment: int, remaining_s: float | None) -> bool:
        if remaining_s is None or remaining_s <= 0:
            return False
        second = math.ceil(remaining_s)
        if second > BEEPS:
            return False
        if self._last is not None and self._last[0] == segment and self._last[1] <= second:
            return False
        self._last = (segment, second)
        return True
