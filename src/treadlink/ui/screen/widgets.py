"""The screen's own drawings: the stage's walk/run shape with the runner's place, the key bar."""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Sequence

from rich.text import Text

from treadlink.plans.timeline import Step
from treadlink.ui.commands import KEYS, SPEED_LASTS
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


def key_bar(width: int, *, all_keys: bool = True) -> Text:
    """The keys, the stop key first and loudest, then q: always on screen. Wrapped to `width`
    (an item is never split); without `all_keys`, only how to stop and to finish."""
    items = _key_items() if all_keys else _key_items()[:2]
    lines: list[Text] = [Text()]
    for item in items:
        if lines[-1].cell_len and lines[-1].cell_len + item.cell_len > width:
            lines.append(Text())
        lines[-1].append_text(item)
    return Text("\n").join(lines)


def key_rows(width: int) -> int:
    return len(key_bar(width).plain.splitlines())


@functools.cache
def _key_items() -> tuple[Text, ...]:
    items: list[Text] = []
    for k in KEYS:
        if k.action == "stop":
            items.append(Text(f" {k.shown.upper()} = {k.label} ", style="bold white on red"))
        elif k.action == "faster":
            continue  # shown with slower, as one item
        elif k.action == "slower":
            faster = next(f for f in KEYS if f.action == "faster")
            items.append(_key(f"{k.shown}/{faster.shown}", f"slower/faster {SPEED_LASTS}"))
        else:
            items.append(_key(k.shown, k.label))
    return tuple(items)


def _key(shown: str, label: str) -> Text:
    item = Text()
    item.append(f"  {shown} ", style="yellow")
    item.append(label, style="grey70")
    return item
