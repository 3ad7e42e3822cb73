"""`Drain`: a bounded queue that one thread of its own empties into something slow (a terminal,
a file, SQLite), so the event loop only ever appends to memory and never waits for I/O.

    drain = Drain(write_lines, name="treadlink-events", after_failure=AfterFailure.HOLD,
                  on_failure=tell_the_runner)
    with drain:                 # starts the thread
        drain.put(line)         # never blocks
    held = drain.close()        # what a held failure kept back (`with` closes too)

What each user decides:

* When full (`capacity` items wait): the oldest waiting item `droppable` allows to lose gives way
  to the new one, and if none may be lost the queue grows past its bound rather than lose a
  fault or a stop; without `droppable` the new item is refused. Both are counted in `dropped`.
  Without `capacity` the queue is never full.
* How it is emptied: item by item as they come (`every_s=None`), or in one batch per `every_s`
  seconds, so a busy session does not wake the thread, and compete for the GIL, once per item.
* When `deliver` raises (a closed pipe, a full disk): `on_failure` is told once, from the thread,
  and `after_failure` says what happens to the rest (AfterFailure).
* What the thread holds while it runs (`holding`: a database connection belongs to the thread that
  opened it): entered before the first item, exited after the last; if it cannot be entered,
  `start` raises why, so a resource that cannot be used is known before the session starts.

`close` delivers everything still waiting (unless a failure holds it), then ends the thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from enum import Enum
from typing import Self


class AfterFailure(Enum):
    GO_ON = "what failed is lost; the rest is delivered"
    HOLD = "what failed and everything after it wait, undelivered, for `close` to hand back"
    DISCARD = "nothing more is delivered: what comes is taken and dropped"


class Drain[T]:
    def __init__(
        self,
        deliver: Callable[[list[T]], None],
        *,
        name: str,
        capacity: int | None = None,
        droppable: Callable[[T], bool] | None = None,
        every_s: float | None = None,
        after_failure: AfterFailure = AfterFailure.GO_ON,
        on_failure: Callable[[Exception], None] = lambda error: None,
        holding: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        self._deliver = deliver
        self._capacity = capacity
        self._droppable = droppable
        self._every_s = every_s
        self._after_failure = after_failure
        self._on_failure = on_failure
        self._holding = holding
        self._waiting: deque[T] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._held = False  # AfterFailure.HOLD: nothing more is delivered until close
        self._started = threading.Event()
        self._cannot_start: Exception | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.dropped = 0
        self.failure: Exception | None = None  # the first thing that went wrong, if any

    def start(self) -> None:
        """Start the thread and wait until it holds what it needs; raise why if it cannot."""
        self._thread.start()
        self._started.wait()
        if self._cannot_start is not None:
            self._thread.join()
            raise self._cannot_start

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def put(self, item: T) -> None:
        """Queue `item`; never blocks. Safe from any thread."""
        with self._ready:
            if self._capacity is not None and len(self._waiting) >= self._capacity:
                if self._droppable is None:
                    self.dropped += 1
                    return
                self._make_room(self._droppable)
            self._waiting.append(item)
            if self._every_s is None:  # a periodic thread is not woken per item, on purpose
                self._ready.notify()

    def close(self) -> list[T]:
        """Deliver what waits, end the thread, and hand back what a held failure kept.
        Blocking: call it once the session is over."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        if self._thread.ident is not None:
            self._thread.join()
        with self._ready:
            held, self._waiting = list(self._waiting), deque()
        return held

    def _make_room(self, droppable: Callable[[T], bool]) -> None:
        for i, waiting in enumerate(self._waiting):
            if droppable(waiting):
                del self._waiting[i]
                self.dropped += 1
                return

    # --- the thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self._holding())
            except Exception as e:
                self.failure = self._cannot_start = e
                return
            finally:
                self._started.set()
            self._deliver_until_closed()

    def _deliver_until_closed(self) -> None:
        while True:
            with self._ready:
                self._wait()
                closing = self._closing
                batch = self._take()
            if batch:
                self._deliver_batch(batch)
            elif closing:
                return

    def _wait(self) -> None:
        if self._every_s is None:
            while not self._closing and (self._held or not self._waiting):
                self._ready.wait()
        elif not self._closing:
            self._ready.wait(self._every_s)

    def _take(self) -> list[T]:
        if self._held or not self._waiting:
            return []
        if self._every_s is None:
            return [self._waiting.popleft()]
        batch, self._waiting = list(self._waiting), deque()
        return batch

    def _deliver_batch(self, batch: list[T]) -> None:
        if self.failure is not None and self._after_failure is AfterFailure.DISCARD:
            return
        try:
            self._deliver(batch)
        except Exception as e:  # the session must not notice: it is told once, and goes on
            first = self.failure is None
            self.failure = self.failure or e
            if self._after_failure is AfterFailure.HOLD:
                with self._ready:
                    self._waiting.extendleft(reversed(batch))
                    self._held = True
            if first:
                self._on_failure(e)
