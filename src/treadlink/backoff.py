"""`Backoff`: the delays between attempts to reach something that is away (a treadmill, a broker).

    backoff = Backoff(0.5, 5.0)
    while not connected:
        try_once()
        await asyncio.sleep(backoff.next_delay())   # 0.5, 1, 2, 4, 5, 5, ...
    backoff.reset()                                 # the next outage starts short again

Doubling up to a cap, so a treadmill that sleeps for an hour is not asked a thousand times, and
one that blinks is found again at once. `jitter` spreads many clients (ten bridges, one broker)
so they do not all come back in the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    def __init__(
        self,
        first: float,
        longest: float,
        *,
        jitter: float = 0.0,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        if not 0 < first <= longest:
            raise ValueError(f"backoff needs 0 < first <= longest, got {first}, {longest}")
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter is a fraction below 1, got {jitter}")
        self.first = first
        self.longest = longest
        self.jitter = jitter
        self._uniform = uniform
        self._next = first

    def next_delay(self) -> float:
        """The delay before the next attempt; the one after it is twice as long, up to the cap."""
        delay = self._next
        self._next = min(delay * 2, self.longest)
        if self.jitter:
            delay *= self._uniform(1 - self.jitter, 1 + self.jitter)
        return delay

    def reset(self) -> None:
        """Reached: the next outage starts again from the first delay."""
        self._next = self.first
