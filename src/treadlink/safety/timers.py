"""`Timers`: the guard's watchdogs, each a named one-shot timer on the event loop clock.

A watchdog is armed when something must happen within a time (a frame while the belt moves, the
stop confirmed), re-armed when it does, and fires its callback only if it does not. Timers are
plain loop callbacks, not tasks: arming one costs nothing on the frame path, and in fake time
they fire at exactly their deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Timers:
    def __init__(self) -> None:
        self._handles: dict[str, asyncio.TimerHandle] = {}

    def arm(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        """Fire `callback` in `delay` seconds, replacing any timer of this name."""
        self.cancel(name)
        self._handles[name] = asyncio.get_running_loop().call_later(
            delay, self._fire, name, callback
        )

    def arm_once(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        """Like `arm`, but a timer of this name already running keeps its own deadline."""
        if name not in self._handles:
            self.arm(name, delay, callback)

    def armed(self, name: str) -> bool:
        return name in self._handles

    def cancel(self, *names: str) -> None:
        for name in names:
            handle = self._handles.pop(name, None)
            if handle is not None:
                handle.cancel()

    def cancel_all(self) -> None:
        self.cancel(*tuple(self._handles))

    def _fire(self, name: str, callback: Callable[[], None]) -> None:
        self._handles.pop(name, None)
        callback()
