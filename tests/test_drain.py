"""The one mechanism behind the screen's lines, the events file and the history: a queue that
never blocks its caller, what it does when full, when delivering fails, and at close."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from treadlink.drain import AfterFailure, Drain


class Stuck:
    """A consumer that takes nothing until `go` is set, then records every batch."""

    def __init__(self, fail_on: set[int] | None = None) -> None:
        self.go = threading.Event()
        self.busy = threading.Event()
        self.batches: list[list[int]] = []
        self.fail_on = fail_on or set()
        self.thread: str | None = None

    def __call__(self, batch: list[int]) -> None:
        self.thread = threading.current_thread().name
        self.busy.set()
        self.go.wait()
        if self.fail_on & set(batch):
            raise OSError(28, "No space left on device")
        self.batches.append(batch)

    @property
    def delivered(self) -> list[int]:
        return [item for batch in self.batches for item in batch]


def fill(drain: Drain[int], consumer: Stuck, items: range) -> None:
    """The first item is taken by the consumer, which waits: the rest wait in the queue."""
    drain.put(items[0])
    consumer.busy.wait()
    for item in items[1:]:
        drain.put(item)


def test_a_full_queue_refuses_the_newest_and_counts_it() -> None:
    consumer = Stuck()
    with Drain(consumer, name="t", capacity=3) as drain:
        fill(drain, consumer, range(10))  # 0 is being delivered; 1-3 wait; 4-9 refused
        consumer.go.set()
    assert consumer.delivered == [0, 1, 2, 3] and drain.dropped == 6


def test_a_full_queue_drops_the_oldest_droppable_and_keeps_the_rest() -> None:
    consumer = Stuck()
    even = Drain(consumer, name="t", capacity=3, droppable=lambda item: item % 2 == 0)
    with even as drain:
        fill(drain, consumer, range(8))
        consumer.go.set()
    # Full at 4: 2 gives way, then 4 and 6; odd items are never lost, past the bound too.
    assert consumer.delivered == [0, 1, 3, 5, 7] and drain.dropped == 3


def test_after_a_failure_the_rest_goes_on_and_it_is_said_once() -> None:
    consumer, told = Stuck(fail_on={1, 2}), []
    consumer.go.set()
    drain = Drain(consumer, name="t", on_failure=told.append)
    with drain:
        for item in range(4):
            drain.put(item)
    assert consumer.delivered == [0, 3] and len(told) == 1 and isinstance(drain.failure, OSError)


def test_a_held_failure_keeps_everything_after_it_for_close() -> None:
    consumer, told = Stuck(fail_on={1}), []
    drain = Drain(consumer, name="t", after_failure=AfterFailure.HOLD, on_failure=told.append)
    drain.start()
    fill(drain, consumer, range(5))
    consumer.go.set()
    assert drain.close() == [1, 2, 3, 4]
    assert consumer.delivered == [0] and len(told) == 1


def test_after_a_discarding_failure_nothing_more_is_delivered() -> None:
    consumer = Stuck(fail_on={1})
    drain = Drain(consumer, name="t", after_failure=AfterFailure.DISCARD)
    drain.start()
    fill(drain, consumer, range(5))
    consumer.go.set()
    assert drain.close() == [] and consumer.delivered == [0]


def test_a_periodic_drain_delivers_what_arrived_in_one_batch() -> None:
    consumer = Stuck()
    consumer.go.set()
    with Drain(consumer, name="t", every_s=3600.0) as drain:  # the period never comes: close does
        for item in range(100):
            drain.put(item)
    assert consumer.batches == [list(range(100))]


def test_what_the_thread_holds_is_its_own_and_a_failure_to_hold_it_is_raised_by_start() -> None:
    consumer, held_by = Stuck(), []
    consumer.go.set()

    @contextmanager
    def holding() -> Iterator[None]:
        held_by.append(threading.current_thread().name)
        yield
        held_by.append(f"released after {len(consumer.delivered)}")

    with Drain(consumer, name="writer", holding=holding) as drain:
        drain.put(1)
    assert held_by == ["writer", "released after 1"] and consumer.thread == "writer"

    @contextmanager
    def unusable() -> Iterator[None]:
        raise PermissionError("cannot open the history")
        yield

    broken = Drain(consumer, name="t", holding=unusable)
    with pytest.raises(PermissionError, match="cannot open the history"):
        broken.start()
    assert broken.close() == []
