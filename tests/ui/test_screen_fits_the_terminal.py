"""Readable at 2 m, at any terminal size: the countdown and the next change as large as WALK/RUN,
larger on a larger terminal; at 80×24 every key (q included) on screen; at 60×18 the essentials
(what now, time left, what next, how to stop) and nothing cut off. textual's headless pilot over
a real simulated stage, in fake time."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widget import Widget

from tests.support.screen import short_stage
from tests.support.screen_rig import screen_over, text
from tests.support.simulated import fake_time
from treadlink.ui.screen.app import RunnerScreen

ESSENTIAL = ("word", "countdown", "then-big", "keys")


def rows(app: RunnerScreen, widget: str) -> int:
    return len(text(app, widget).splitlines())


def shown(app: RunnerScreen) -> list[Widget]:
    return [w for w in app.screen.walk_children() if w.display and w.id is not None]


def assert_nothing_cut_off(app: RunnerScreen, size: tuple[int, int]) -> None:
    """Every widget on screen lies inside the terminal and shows all its lines."""
    width, height = size
    for widget in shown(app):
        region = widget.region
        assert region.right <= width and region.bottom <= height, (widget.id, region)
    for name in ESSENTIAL:
        widget = app.query_one(f"#{name}")
        assert widget.display and widget.region.height >= rows(app, name), name


@pytest.mark.parametrize(("size", "scale"), [((80, 24), 1), ((100, 30), 1), ((130, 40), 2)])
@fake_time
async def test_the_countdown_and_the_next_change_are_as_large_as_walk(
    tmp_path: Path, size: tuple[int, int], scale: int
) -> None:
    async with screen_over(short_stage(tmp_path), size=size) as rig:
        await rig.at(10.5)
        app = rig.app
        assert rows(app, "word") == rows(app, "countdown") == rows(app, "then-big") == 5 * scale
        assert "█" in text(app, "countdown") and "█" in text(app, "then-big")
        assert app.face is not None and app.face.countdown == "0:30"
        assert app.face.then_big == "RUN 0:30"
        assert_nothing_cut_off(app, size)


@fake_time
async def test_at_80_by_24_every_key_is_on_screen(tmp_path: Path) -> None:
    async with screen_over(short_stage(tmp_path), size=(80, 24)) as rig:
        await rig.at(10.5)
        app = rig.app
        keys = text(app, "keys")
        for shown_key in ("SPACE/ESC = STOP", "q stop and quit", "p pause/resume", "s skip",
                          "a acknowledge fault", "-/+ slower/faster"):  # fmt: skip
            assert shown_key in keys
        assert "till the segment ends" in keys  # what + and - change: this segment only
        for name in ("stats", "bar", "cue", "then", "title"):
            assert app.query_one(f"#{name}").display, name
        assert_nothing_cut_off(app, (80, 24))


@fake_time
async def test_at_60_by_18_the_essentials_show_and_nothing_is_cut_off(tmp_path: Path) -> None:
    async with screen_over(short_stage(tmp_path), size=(60, 18)) as rig:
        await rig.at(10.5)
        app = rig.app
        assert app.face is not None and app.face.word == "WALK"
        assert rows(app, "word") == rows(app, "countdown") == 5  # what now, and the time left
        assert "then: RUN 0:30" in text(app, "then")  # what next
        assert "SPACE/ESC = STOP" in text(app, "keys")  # how to stop
        assert_nothing_cut_off(app, (60, 18))
        await rig.pilot.press("space")  # the stop screen fits too
        await rig.pilot.pause()
        fault = app.query_one("#fault")
        assert fault.display and fault.region.bottom <= app.query_one("#keys").region.y
        assert rows(app, "fault") <= fault.content_region.height  # all its text shows
