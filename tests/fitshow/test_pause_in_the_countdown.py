"""A pause during the console's countdown (the runner presses pause as the belt is about to
start): the console ends the countdown and the belt never moves. That is the pause taken, judged
by the status after it (the belt not running), not a command the treadmill failed to answer;
a pause the console ignores is still a fault (test_ignored_commands_are_never_taken). Judged by
the simulator's belt."""

from __future__ import annotations

import asyncio

from tests.support.events import Recorder
from tests.support.simulated import fake_time, link
from treadlink.fitshow.protocol import BeltState
from treadlink.safety.events import Fault
from treadlink.safety.guard import SafetyGuard


@fake_time
async def test_a_pause_in_the_countdown_keeps_the_belt_at_rest_and_is_no_fault() -> None:
    async with link(profile="fitshow-f15", telemetry_hz=4.0) as connection:  # 5 s countdown
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            release = guard.hold_plan()
            assert await guard.wait_belt_reported()
            await guard.start()
            await sim.wait_for(lambda s: s.console_state == BeltState.COUNTDOWN, timeout=5)
            await asyncio.sleep(0.5)  # the polls have read it counting down
            await guard.pause()
            await asyncio.sleep(8)  # past the countdown's end
            assert sim.belt_speed_kmh == 0.0  # the simulator's word: it never started
            assert guard.latched is None, [e for e in events if isinstance(e, Fault)]
            release()
