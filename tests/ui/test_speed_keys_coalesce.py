"""`+`/`-` pressed faster than the treadmill answers coalesce: the latest wins, none is refused,
and the ones in between are never sent. A refused key's message clears at the next change. On a
real simulated stage (the simulator answering late), in fake time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.screen import short_stage
from tests.support.screen_rig import screen_over, speeds_sent, text
from tests.support.simulated import fake_time
from treadlink.session.events import Refused, SegmentStarted, SetpointSent
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_plus_pressed_fast_three_times_sends_the_latest_and_refuses_none(
    tmp_path: Path,
) -> None:
    async with screen_over(short_stage(tmp_path)) as rig:
        await rig.at(10.5)
        await rig.simulator.set_fault(SimFault.LATE_ANSWERS, late_s=1.0)  # a slow treadmill
        mark, writes = len(rig.events), len(rig.writes)
        await rig.pilot.press("plus", "plus", "plus")
        assert rig.app.message == "faster"
        assert not rig.events.of(Refused)[mark:]
        await rig.events.next(SetpointSent, lambda e: e.speed_kmh == 7.0, after=mark)
        await asyncio.sleep(3)  # both writes answered
        # The first press went out at once; the latest of the others replaced the one between.
        assert speeds_sent(rig.writes[writes:]) == [6.0, 7.0]
        await rig.simulator.clear_fault(SimFault.LATE_ANSWERS)
        assert rig.simulator.target_speed_kmh == 7.0
        assert "till the segment ends" in text(rig.app, "keys")


@fake_time
async def test_a_refused_keys_message_clears_at_the_next_change(tmp_path: Path) -> None:
    async with screen_over(short_stage(tmp_path)) as rig:
        running = await rig.events.next(SegmentStarted, lambda e: e.index == 1)
        await rig.at(5.5, running)
        await rig.pilot.press("plus")  # 9.0: the runner's cap
        await rig.pilot.press("plus")  # 9.5: above it
        assert rig.app.message.startswith("faster: REFUSED — ") and "cap" in rig.app.message
        await asyncio.sleep(5)
        assert "REFUSED" in text(rig.app, "message")  # it stays while the segment lasts
        await rig.events.next(SegmentStarted, lambda e: e.index == 2)
        await asyncio.sleep(0.25)  # a frame or two
        assert rig.app.message == "" and text(rig.app, "message") == ""
