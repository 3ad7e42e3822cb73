"""`Reconnecting`: after a link drop, bring the link back so the guard can watch and stop.

Never to replay setpoints: once the link is back it asks for control, and the stop under way
(the guard tripped on the drop) goes on writing Stop. Attempts follow the backoff (at once, then
0.5 s doubling up to 5 s), each bounded by `connect_attempt_s`. Supervised like the stop loop:
if it ends before the link is back (cancelled from outside, or an exception a lower layer should
not have let out) it is started again and the runner is told. Only `close()` ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from treadlink.backoff import Backoff
from treadlink.ble.link import Link
from treadlink.safety.events import Fault, GuardEvent, Reconnected
from treadlink.safety.settings import GuardSettings
from treadlink.treadmill.base import Commands
from treadlink.treadmill.errors import CommandError

log = logging.getLogger(__name__)


class Reconnecting:
    def __init__(
        self,
        link: Link,
        commands: Commands,
        settings: GuardSettings,
        emit: Callable[[GuardEvent], None],
    ) -> None:
        self._link = link
        self._commands = commands
        self._settings = settings
        self._emit = emit
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    def start(self) -> None:
        if self._closing or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.get_running_loop().create_task(self._reconnect())
        self._task.add_done_callback(self._ended)

    def close(self) -> asyncio.Task[None] | None:
        """Stop reconnecting; the task still running, if any, cancelled (the caller waits)."""
        self._closing = True
        task = self._task
        if task is None or task.done():
            return None
        task.cancel()
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()  # retrieved, always
        if self._closing or (not task.cancelled() and error is None):
            return  # the link is back (or the guard is closing)
        # Cancelled from outside, or a BaseException got through (a link layer once let a
        # CancelledError out of a refused connect): without a link no Stop can be written.
        why = "cancelled" if task.cancelled() else repr(error)
        log.error("reconnecting ended (%s) before the link was back: restarting it", why)
        now = asyncio.get_running_loop().time()
        self._emit(Fault(at=now, message=f"reconnecting restarted after it ended ({why})"))
        self.start()

    async def _reconnect(self) -> None:
        """Goes on for as long as the guard is open. A drop while control is being asked for
        again is noticed here, not lost (this task is still running then)."""
        backoff = Backoff(*self._settings.reconnect_backoff_s)
        attempts = 0
        while not self._closing:  # checked between attempts too: see Stopping._loop
            if not self._link.is_connected:
                attempts += 1
                try:
                    async with asyncio.timeout(self._settings.connect_attempt_s):
                        await self._link.connect()
                except Exception as e:  # a TimeoutError of the bound above too
                    if self._closing:
                        return  # close()'s cancel, come back as another exception
                    log.info("reconnect attempt %d failed: %s", attempts, e)
                    await asyncio.sleep(backoff.next_delay())
                continue
            now = asyncio.get_running_loop().time()
            self._emit(Reconnected(at=now, attempts=attempts))
            # Control is needed to send the stop; a treadmill that answers "failed" may
            # still obey.
            with contextlib.suppress(CommandError):
                await self._commands.request_control()
            if self._link.is_connected:
                return
