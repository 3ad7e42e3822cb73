"""`Outlet`: hands events to a listener that does I/O, on a thread of its own, through a bounded
queue, so a slow terminal or pipe never holds up the event loop (the guard's timers, the stop
loop, the plan's deadlines).

    with Outlet(LinePrinter(sys.stdout)) as printer:
        session.subscribe(printer)

When the queue is full the oldest event that `droppable` allows to lose (telemetry) goes first;
every other event is kept, so a fault or a stop is never dropped for lack of room. A listener
that fails (a closed pipe) is said once; the events after it are still offered to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Self

from treadlink.drain import AfterFailure, Drain

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
        self._drain = Drain(
            self._show,
            name=name,
            capacity=maxsize,
            droppable=droppable,
            after_failure=AfterFailure.GO_ON,
            on_failure=self._failed,
        )

    @property
    def dropped(self) -> int:
        return self._drain.dropped

    @property
    def failed(self) -> bool:
        """The sink raised (a closed pipe, a full disk): said once."""
        return self._drain.failure is not None

    def __enter__(self) -> Self:
        self._drain.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Deliver what is queued, then stop the thread."""
        self._drain.close()

    def __call__(self, event: E) -> None:
        self._drain.put(event)

    def _show(self, events: list[E]) -> None:
        for event in events:
            self._sink(event)

    def _failed(self, error: Exception) -> None:
        log.warning("%s cannot show events any more: %s", self._sink, error)
