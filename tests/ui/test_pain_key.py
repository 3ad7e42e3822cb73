"""The runner presses their pain (1–9) on the screen while running: the worst score is kept for
the session's record, and the screen says to stop running and walk. The belt is the runner's to
stop: the key sends nothing to the treadmill. Fake time, the full stack to the simulator."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

from tests.support.screen import short_stage
from tests.support.screen_rig import screen_over
from tests.support.simulated import fake_time
from treadlink.session.events import SegmentStarted
from treadlink.ui.pain import PainFelt


@fake_time
async def test_a_pain_key_while_running_is_kept_and_says_stop_and_walk(tmp_path: Path) -> None:
    async with screen_over(short_stage(tmp_path), size=(100, 30)) as rig:
        felt = PainFelt()
        rig.app.pain = felt
        running = await rig.events.next(SegmentStarted, lambda e: e.index == 1)
        await rig.at(5, running)
        writes = len(rig.writes)
        await rig.pilot.press("3")
        assert felt.worst == 3
        assert "PAIN 3/10" in rig.app.message and "STOP RUNNING AND WALK" in rig.app.message
        await asyncio.sleep(0.3)  # a few frames
        drawn = html.unescape(rig.app.export_screenshot()).replace("\xa0", " ")
        assert "STOP RUNNING AND WALK" in drawn
        await rig.pilot.press("1")  # a lesser pain later: the worst is what the rules see
        assert felt.worst == 3
        assert rig.writes[writes:] == []  # nothing sent: the runner stops the belt (space)
        assert not rig.run.done()


@fake_time
async def test_pain_during_given_by_a_script_is_kept_as_given(tmp_path: Path) -> None:
    felt = PainFelt(2)
    assert felt.worst == 2
    assert "PAIN 4/10" in felt.press(4) and felt.worst == 4
