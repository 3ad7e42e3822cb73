"""`Fanout`: synchronous event delivery to any number of listeners, in subscription order.

Synchronous on purpose: the safety guard and the recorder must see an event the moment it
happens, not after a queue. A listener that raises is logged and skipped; it never breaks the
producer (the Bluetooth link or the session engine).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Fanout[E]:
    def __init__(self) -> None:
        self._listeners: list[Callable[[E], None]] = []

    def subscribe(self, listener: Callable[[E], None]) -> Callable[[], None]:
        """Call `listener` with every event from now on; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, event: E) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("listener %r failed on %r", listener, event)
