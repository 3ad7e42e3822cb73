"""How the runner's screen fills a terminal of a given size: a pure function, tested at sizes.

The large type (what to do now, the countdown, the next change) grows with the terminal, in
whole blocks. What the runner needs while running always shows, even at 60×18: what now, the
time left, what next, how to stop. The rest comes in as rows allow, most useful first: the cue,
a refused key's reason, the title, every key, the speeds and distance, the stage's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from treadlink.ui import bigtext

# The widest words drawn large at the top left, and the widest countdown (mm:ss).
WORD_COLUMNS = max(bigtext.width(w) for w in ("PAUSED", "READY", "WALK", "RUN", "DONE")) + 2
CLOCK_COLUMNS = bigtext.width("88:88") + 2
PADDING = 2  # the screen's left and right padding


@dataclass(frozen=True, slots=True)
class Layout:
    scale: int  # size of the large type's blocks (1: five rows tall)
    title: bool
    cue_rows: int
    message: bool
    all_keys: bool  # every key on the bar, not only how to stop
    stats: bool
    bar: bool  # the stage's walk/run shape
    gap: bool  # a blank row before the stats

    @property
    def big_rows(self) -> int:
        return bigtext.ROWS * self.scale

    @property
    def word_columns(self) -> int:
        return WORD_COLUMNS * self.scale


def scale_for(width: int, height: int) -> int:
    """The largest block size whose screen fits, with every key and the stats."""
    for scale in (3, 2):
        fits_width = (WORD_COLUMNS + CLOCK_COLUMNS) * scale + PADDING <= width
        if fits_width and _rows(scale, key_rows=2) + 5 <= height:
            return scale
    return 1


def layout_for(width: int, height: int, key_rows: int) -> Layout:
    """`key_rows`: how many rows the whole key bar takes at this width."""
    scale = scale_for(width, height)
    left = height - _rows(scale, key_rows=1)
    wanted = {"cue": 1, "message": 1, "title": 1, "keys": key_rows - 1, "stats": 2, "bar": 3}
    wanted |= {"gap": 1, "cue_2": 1}
    shown: set[str] = set()
    for name, rows in wanted.items():
        if rows <= left:
            shown.add(name)
            left -= rows
    return Layout(
        scale=scale,
        title="title" in shown,
        cue_rows=("cue" in shown) + ("cue_2" in shown),
        message="message" in shown,
        all_keys="keys" in shown,
        stats="stats" in shown,
        bar="bar" in shown,
        gap="gap" in shown and "stats" in shown,
    )


def _rows(scale: int, *, key_rows: int) -> int:
    """The rows that always show: now (label and large type), then (a line and large type),
    and the key bar."""
    big = bigtext.ROWS * scale
    return (big + 1) + (1 + big) + key_rows
