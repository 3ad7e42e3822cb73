"""`Outlet`: hands events to a listener that does I/O, on a thread of its own, through a bounded
queue, so a slow terminal or pipe never holds up the event loop (the guard's timers, the stop
loop, the plan's deadlines).

    with Outlet(LinePrinter(sys.stdout)) as printer:
        session.subscribe(printer)

When the queue is full the oldest event that `droppable` allows to lose (telemetry) goes first;
every other event is kept, so a fault or a stop is never dropped for lack of room.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)


class Outlet[E]:
    def __init__(
        self,
        sink: Callable[[E], None],
        *,
        maxsize: int = 256,
        droppable: Callable[[E], bool] = lambda _event: False,
        name: str = "treadlink-outlet",
    ) -> None:
        self._sink = sink
        self._maxsize = maxsize
        self._droppable = droppable
        self._queue: deque[E] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.dropped = 0
        self.failed = False  # the sink raised (a closed pipe, a full disk): said once

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Deliver what is queued, then stop the thread."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._thread.join()

    def __call__(self, event: E) -> None:
        with self._ready:
            if len(self._queue) >= self._maxsize:
                self._make_room()
            self._queue.append(event)
            self._ready.notify()

    def _make_room(self) -> None:
        for i, queued in enumerate(self._queue):
            if self._droppable(queued):
                del self._queue[i]
                self.dropped += 1
                return
        # Nothing may be lost: the queue grows past its bound rather than drop a fault.

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closing:
                    self._ready.wait()
                if not self._queue:
                    return
                event = self._queue.popleft()
            try:
                self._sink(event)
            except Exception as e:  # a display failing must not end the delivery of the rest
                if not self.failed:
                    log.warning("%s cannot show events any more: %s", self._sink, e)
                self.failed = True
