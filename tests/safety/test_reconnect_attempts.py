"""Each reconnect attempt is bounded: one that hangs (its transport dead under it, a stack that
never answers) is given up after `connect_attempt_s`, and the next follows the backoff."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.guard import rig
from tests.support.simulated import fake_time
from treadlink.safety.events import Reconnected


@fake_time
async def test_a_hanging_connect_attempt_is_given_up_and_the_next_one_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with rig(connect_attempt_s=4.0) as r:
        await r.run_at(6.0)
        link = r.connection.link
        real_connect = link.connect
        loop = asyncio.get_running_loop()
        attempts: list[float] = []

        async def connect() -> None:
            attempts.append(loop.time())
            if len(attempts) <= 2:
                await asyncio.get_running_loop().create_future()  # hangs until cancelled
            await real_connect()

        monkeypatch.setattr(link, "connect", connect)
        dropped_at = loop.time()
        await r.sim.drop_link()
        back = await r.events.first(lambda e: isinstance(e, Reconnected), timeout=60)
        assert isinstance(back, Reconnected)
        first, _ = r.guard.settings.reconnect_backoff_s
        assert attempts[0] == pytest.approx(dropped_at, abs=0.1)
        # Each hanging attempt given up after its bound, then the next after the backoff.
        assert attempts[1] - attempts[0] == pytest.approx(4.0 + first, abs=0.1)
        assert attempts[2] - attempts[1] == pytest.approx(4.0 + 2 * first, abs=0.1)
        assert back.attempts == 3
        assert r.restart_alarms() == []
        await r.stopped()
