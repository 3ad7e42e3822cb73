"""Words and numbers in block letters five rows tall, readable from the treadmill two metres away.

The screen draws what the runner must read while running in this font, all at one size: what to
do now (WALK, RUN, PAUSED, STOP, ...), the countdown to the next change, and the next change.
`scale` makes every block larger (each one `scale` columns and rows), so the screen grows with
the terminal. Text with a character the font lacks is not drawn large: `big` returns None and the
caller shows it in plain type.
"""

from __future__ import annotations

ROWS = 5
Glyph = tuple[str, str, str, str, str]
_FONT: dict[str, Glyph] = {
    "A": (" ███ ", "█   █", "█████", "█   █", "█   █"),
    "B": ("████ ", "█   █", "████ ", "█   █", "████ "),
    "C": (" ████", "█    ", "█    ", "█    ", " ████"),
    "D": ("████ ", "█   █", "█   █", "█   █", "████ "),
    "E": ("█████", "█    ", "████ ", "█    ", "█████"),
    "F": ("█████", "█    ", "████ ", "█    ", "█    "),
    "G": (" ████", "█    ", "█  ██", "█   █", " ████"),
    "H": ("█   █", "█   █", "█████", "█   █", "█   █"),
    "I": ("███", " █ ", " █ ", " █ ", "███"),
    "J": ("  ███", "    █", "    █", "█   █", " ███ "),
    "K": ("█   █", "█  █ ", "███  ", "█  █ ", "█   █"),
    "L": ("█    ", "█    ", "█    ", "█    ", "█████"),
    "M": ("█   █", "██ ██", "█ █ █", "█   █", "█   █"),
    "N": ("█   █", "██  █", "█ █ █", "█  ██", "█   █"),
    "O": (" ███ ", "█   █", "█   █", "█   █", " ███ "),
    "P": ("████ ", "█   █", "████ ", "█    ", "█    "),
    "Q": (" ███ ", "█   █", "█ █ █", "█  █ ", " ██ █"),
    "R": ("████ ", "█   █", "████ ", "█  █ ", "█   █"),
    "S": (" ████", "█    ", " ███ ", "    █", "████ "),
    "T": ("█████", "  █  ", "  █  ", "  █  ", "  █  "),
    "U": ("█   █", "█   █", "█   █", "█   █", " ███ "),
    "V": ("█   █", "█   █", "█   █", " █ █ ", "  █  "),
    "W": ("█   █", "█   █", "█ █ █", "██ ██", "█   █"),
    "X": ("█   █", " █ █ ", "  █  ", " █ █ ", "█   █"),
    "Y": ("█   █", " █ █ ", "  █  ", "  █  ", "  █  "),
    "Z": ("█████", "   █ ", "  █  ", " █   ", "█████"),
    "0": (" ██ ", "█  █", "█  █", "█  █", " ██ "),
    "1": (" █  ", "██  ", " █  ", " █  ", "███ "),
    "2": ("███ ", "   █", " ██ ", "█   ", "████"),
    "3": ("███ ", "   █", " ██ ", "   █", "███ "),
    "4": ("█  █", "█  █", "████", "   █", "   █"),
    "5": ("████", "█   ", "███ ", "   █", "███ "),
    "6": (" ██ ", "█   ", "███ ", "█  █", " ██ "),
    "7": ("████", "   █", "  █ ", " █  ", " █  "),
    "8": (" ██ ", "█  █", " ██ ", "█  █", " ██ "),
    "9": (" ██ ", "█  █", " ███", "   █", " ██ "),
    ":": (" ", "█", " ", "█", " "),
    "-": ("   ", "   ", "███", "   ", "   "),
    " ": ("  ", "  ", "  ", "  ", "  "),
}


def big(text: str, scale: int = 1) -> str | None:
    """`text` in block letters (ROWS × `scale` lines), or None if the font cannot draw it."""
    letters = text.upper()
    if not letters or any(c not in _FONT for c in letters):
        return None
    rows = (" ".join(_FONT[c][row] for c in letters) for row in range(ROWS))
    wide = ["".join(ch * scale for ch in row).rstrip() for row in rows]
    return "\n".join(line for line in wide for _ in range(scale))


def width(text: str, scale: int = 1) -> int:
    """Columns `big(text, scale)` takes (0 if it cannot be drawn)."""
    drawn = big(text, scale)
    return 0 if drawn is None else max(len(line) for line in drawn.splitlines())
