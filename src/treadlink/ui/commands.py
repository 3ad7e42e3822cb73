"""The runner's key commands at the laptop, one table for the screen and the plain key reader.

Each command calls one Session entry point and returns its Verdict, so a front end can show a
refusal's reason. `acknowledge` is here because this is a local input: never wire it to a remote
one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from treadlink.safety.faults import FaultKind, Verdict
from treadlink.session.engine import Session

Action = Literal["stop", "pause", "skip", "acknowledge", "slower", "faster", "quit"]
SPEED_STEP_KMH = 0.5


@dataclass(frozen=True, slots=True)
class KeyCommand:
    action: Action
    shown: str  # the key as the runner reads it
    keys: tuple[str, ...]  # textual's key names
    chars: bytes  # what a terminal in cbreak mode sends for them
    label: str  # what it does, for the key bar and the help line


# The stop key first and `q` next: a key bar cut short by a narrow terminal keeps both.
KEYS: tuple[KeyCommand, ...] = (
    KeyCommand("stop", "space/Esc", ("space", "escape"), b" \x1b", "STOP"),
    KeyCommand("quit", "q", ("q",), b"qQ", "stop and quit"),  # again: leave anyway
    KeyCommand("pause", "p", ("p",), b"pP", "pause/resume"),
    KeyCommand("skip", "s", ("s",), b"sS", "skip"),
    KeyCommand("acknowledge", "a", ("a",), b"aA", "acknowledge fault"),
    KeyCommand("slower", "-", ("minus",), b"-", "slower"),
    KeyCommand("faster", "+", ("plus", "equals_sign"), b"+=", "faster"),
)
STOP_KEYS = frozenset(KEYS[0].keys)
_BY_CHAR = {char: k.action for k in KEYS for char in k.chars}
SPEED_LASTS = "till the segment ends"  # what a - or + changes: this segment's speed only

HELP = (
    "keys: "
    + " · ".join(f"{k.shown} {k.label}" for k in KEYS)
    + f" ({SPEED_STEP_KMH:g} km/h, {SPEED_LASTS}; also Ctrl-C)"
)


def action_for_char(char: int) -> Action | None:
    return _BY_CHAR.get(char)


class RunnerCommands:
    """The runner's commands on a session; each answers at once with the session's Verdict."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def run(self, action: Action) -> Verdict:
        s = self.session
        match action:
            case "stop":
                return s.emergency_stop("runner's key")
            case "pause":
                if s.guard.latched is FaultKind.STOP_INPUT:
                    # The runner's own stop is no fault: p, pressed here at the laptop, is the
                    # acknowledgement (refused, with its reason, until the belt is stopped).
                    verdict = s.acknowledge()
                    return s.resume() if verdict else verdict
                return s.resume() if s.paused else s.pause("runner's key")
            case "skip":
                return s.skip()
            case "acknowledge":
                return s.acknowledge()
            case "slower":
                return s.change_speed(-SPEED_STEP_KMH)
            case "faster":
                return s.change_speed(SPEED_STEP_KMH)
            case "quit":
                # Pressed again while the stop is unconfirmed: stop waiting for it, and say that
                # the belt may still be running.
                return s.quit("runner quit")
