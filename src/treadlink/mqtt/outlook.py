"""`serve` keeps Home Assistant's "Next stage" current (the state document's `next`).

    outlook = Outlook(bridge, settings.workouts, simulated=False)
    task = asyncio.create_task(outlook.run())      # while the service runs
    outlook.stale()                                 # a session has ended: look again now

The programme's advice changes with the history: a session ended here, a pain score typed at the
treadmill (another process), a new day. It is looked up again after every session and every
minute, on a thread of its own: reading the history and the plan never holds up the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Final

from treadlink.mqtt.bridge import MqttBridge
from treadlink.mqtt.programme import advised

log = logging.getLogger(__name__)

LOOK_AGAIN_S: Final = 60.0


class Outlook:
    def __init__(
        self,
        bridge: MqttBridge,
        workouts: Path | None,
        *,
        simulated: bool,
        today: Callable[[], date] = date.today,
        period_s: float = LOOK_AGAIN_S,
    ) -> None:
        self.bridge = bridge
        self.workouts = workouts
        self.simulated = simulated
        self.today = today
        self.period_s = period_s
        self._again = asyncio.Event()

    def stale(self) -> None:
        """Look again now (a session has ended)."""
        self._again.set()

    async def run(self) -> None:
        """Until cancelled."""
        if self.workouts is None:
            return  # no programme to look at: `next` stays null
        while True:
            self._again.clear()
            try:
                found = await asyncio.to_thread(
                    advised, self.workouts, simulated=self.simulated, today=self.today()
                )
            except Exception:  # a bug here must not end the service
                log.exception("the programme's next stage could not be worked out")
            else:
                self.bridge.set_advised(found)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.period_s):
                    await self._again.wait()
