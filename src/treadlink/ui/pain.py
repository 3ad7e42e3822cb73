"""Pain felt while running: the runner presses its score (1–9) on the screen, or a script gives
`treadlink run --pain-during N`. The worst score is kept for the session's record (written after
the session, as pain `during`), and any pain tells the runner, on the screen, to stop and walk.

    felt = PainFelt(args.pain_during)
    message = felt.press(3)        # "PAIN 3/10 — STOP RUNNING AND WALK …"
    felt.worst                     # 3: recorded with the session

The return-to-run programme runs pain-free: pain during a run is a reason to stop running now,
and the rules treat it like pain after the session (the stage is repeated, or stepped back from
with pain of 3/10 or more). This never stops or slows the belt by itself: the runner decides, with
the stop key at hand.
"""

from __future__ import annotations

from typing import Final

PAIN_KEYS: Final = tuple(str(n) for n in range(1, 10))  # the score itself: one key, no Enter
KEY_HINT: Final = ("1–9", "pain now")  # for a key bar: what to press, what it does


class PainFelt:
    def __init__(self, given: int | None = None) -> None:
        """`given`: `--pain-during N`, for scripts."""
        self.worst = given

    def press(self, score: int) -> str:
        """The runner felt `score`/10: kept if it is the worst so far; what the screen says."""
        self.worst = score if self.worst is None else max(self.worst, score)
        return stop_and_walk(score)


def stop_and_walk(score: int) -> str:
    # One line of an 80-column screen: the runner reads it while running. The rest (the stage
    # will be repeated) is said after the session.
    return f"PAIN {score}/10 NOTED — STOP RUNNING AND WALK. Space stops the belt."
