"""The screen's own drawings: the stage's walk/run shape with the runner's place, the key bar."""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Sequence

from rich.text import Text

from treadlink.plans.timeline import Step
from treadlink.ui.commands import KEYS
from treadlink.ui.screen.face import clock_text

# A run is drawn tall and a walk low, so the stage's shape reads at a glance.
_GLYPH = {"run": "█", "walk": "▂", "custom": "▅"}
_COLOUR = {"run": "dark_orange", "walk": "green3", "custom": "deep_sky_blue1"}


def stage_bar(steps: Sequence[Step], width: int, position_s: float) -> Text:
    """Three lines: the stage's shape (done part bright), a marker under the runner's place,
    and the planned time done of the total."""
    total = sum(s.estimated_duration_s for s in steps)
    width = max(width, 10)
    if total <= 0:
        return Text("")
    here = min(width - 1, int(position_s / total * width))
    done = f"{clock_text(min(position_s, total))} of {clock_text(total)}"
    return _drawn_bar(tuple(steps), width, here, done).copy()


@functools.lru_cache(maxsize=4)
def _drawn_bar(steps: tuple[Step, ...], width: int, here: int, done: str) -> Text:
    # Drawn once a second at most (when `done` changes), not on every frame: frames stay short.
    total = sum(s.estimated_duration_s for s in steps)
    ends = list(itertools.accumulate(s.estimated_duration_s for s in steps))
    shape = Text()
    for column in range(width):
        middle = (column + 0.5) * total / width  # each column shows the step at its midpoint
        step = steps[min(bisect.bisect_right(ends, middle), len(steps) - 1)]
        style = _COLOUR[step.kind] if column <= here else f"{_COLOUR[step.kind]} dim"
        shape.append(_GLYPH[step.kind], style=style)
    marker = Text(" " * here + "▲", style="bold white")
    legend = Text(f"{done}   ▂ walk  █ run", style="grey70")
    return Text("\n").join([shape, marker, legend])


def key_bar() -> Text:
    """Every key, the stop key first and loudest: always on screen."""
    bar = Text()
    for k in KEYS:
        if k.action == "stop":
            bar.append(f" {k.shown.upper()} = {k.label} ", style="bold white on red")
        else:
            bar.append(f"  {k.shown} ", style="yellow")
            bar.append(k.label, style="grey70")
    return bar
