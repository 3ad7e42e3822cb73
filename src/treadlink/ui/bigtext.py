"""Words in block letters five rows tall, readable from the treadmill two metres away.

textual's `Digits` draws numbers (the countdown); it has no letters, so the few words the screen
shows large (WALK, RUN, PAUSED, STOP, ...) are drawn with this small font. A word with a letter
the font lacks is not drawn large: `big` returns None and the caller shows it in plain type.
"""

from __future__ import annotations

ROWS = 5
_FONT: dict[str, tuple[str, str, str, str, str]] = {
    "A": (" ███ ", "█   █", "█████", "█   █", "█   █"),
    "D": ("████ ", "█   █", "█   █", "█   █", "████ "),
    "E": ("█████", "█    ", "████ ", "█    ", "█████"),
    "F": ("█████", "█    ", "████ ", "█    ", "█    "),
    "I": ("███", " █ ", " █ ", " █ ", "███"),
    "K": ("█   █", "█  █ ", "███  ", "█  █ ", "█   █"),
    "L": ("█    ", "█    ", "█    ", "█    ", "█████"),
    "N": ("█   █", "██  █", "█ █ █", "█  ██", "█   █"),
    "O": (" ███ ", "█   █", "█   █", "█   █", " ███ "),
    "P": ("████ ", "█   █", "████ ", "█    ", "█    "),
    "R": ("████ ", "█   █", "████ ", "█  █ ", "█   █"),
    "S": (" ████", "█    ", " ███ ", "    █", "████ "),
    "T": ("█████", "  █  ", "  █  ", "  █  ", "  █  "),
    "U": ("█   █", "█   █", "█   █", "█   █", " ███ "),
    "W": ("█   █", "█   █", "█ █ █", "██ ██", "█   █"),
    "Y": ("█   █", " █ █ ", "  █  ", "  █  ", "  █  "),
    " ": ("  ", "  ", "  ", "  ", "  "),
}


def big(word: str) -> str | None:
    """`word` in block letters (ROWS lines), or None if the font cannot draw it."""
    letters = word.upper()
    if not letters or any(c not in _FONT for c in letters):
        return None
    return "\n".join(" ".join(_FONT[c][row] for c in letters) for row in range(ROWS))
