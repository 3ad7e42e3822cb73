"""A virtual-clock event loop: when nothing is ready, time jumps to the next timer instead of
sleeping, so the in-process simulator runs hours of sessions in seconds.

    loop = VirtualClockLoop()
    loop.run_until_complete(main())

The tests use the looptime plugin for the same thing; the bench and the property-based and soak
tests use this loop because looptime's bookkeeping per loop iteration (weak sets, idle cycles)
costs more than the Bluetooth stack itself over 100 000 notifications (docs/decisions/0003).
It is only sound with no real I/O in flight: the in-process simulator has none.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

# While callbacks are ready, real I/O is polled only every this many loop turns: a poll is a
# system call, and at one per turn it was a tenth of the fake-time programme's CPU. Nothing in the
# in-process simulator does real I/O; a thread's call_soon_threadsafe queues its callback without
# one. The clock never jumps without a poll first.
BUSY_TURNS_PER_POLL = 64


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        self._busy_turns = 0
        self._real_select = self._selector.select  # type: ignore[attr-defined]
        self._selector.select = self._select  # type: ignore[attr-defined]

    def time(self) -> float:
        return self._virtual_now

    def _select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, Any]]:
        if timeout == 0:  # callbacks are ready: run them, looking for I/O now and then
            self._busy_turns += 1
            if self._busy_turns < BUSY_TURNS_PER_POLL:
                return []
        self._busy_turns = 0
        ready: list[tuple[selectors.SelectorKey, Any]] = self._real_select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only real I/O can wake the loop
            return self._real_select(None)  # type: ignore[no-any-return]
        self._virtual_now += timeout
        return []
