"""A session's or a guard's events as they come, and a way to await the first that matches."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from treadlink.session.events import (
    Event,
)


class Recorder(list[Event]):
    def __init__(self) -> None:
        super().__init__()
        self._waiters: list[tuple[Callable[[Event], bool], asyncio.Future[Event]]] = []

    def __call__(self, event: Event) -> None:
        self.append(event)
        for predicate, future in self._waiters:
            if not future.done() and predicate(event):
                future.set_result(event)

    async def first(self, predicate: Callable[[Event], bool], timeout: float = 300) -> Event:
        """The first event that matches, waiting at most `timeout` (fake) seconds: long enough
        for any stage used here, short enough that a broken guard fails the test fast."""
        for event in self:
            if predicate(event):
                return event
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        async with asyncio.timeout(timeout):
            return await future
