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


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        self._real_select = self._selector.select  # type: ignore[attr-defined]
        self._selector.select = self._select  # type: ignore[attr-defined]

    def time(self) -> float:
        return self._virtual_now

    def _select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, Any]]:
        ready: list[tuple[selectors.SelectorKey, Any]] = self._real_select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only real I/O can wake the loop
            return self._real_select(None)  # type: ignore[no-any-return]
        self._virtual_now += timeout
        return []
