"""Whether the belt follows a setpoint the treadmill took.

A control point's "success" is only the treadmill's answer: some units answer success and ignore
the speed (Xterra T85 and FS-BT-T4 modules), put their own speed back a few seconds after a start
(FS 465D50) or take no target during their countdown (WalkFit). So a setpoint is done only once
the belt has been seen at it, by the treadmill's own telemetry (docs/decisions/0020).

`watch(kmh)` reads the belt frame by frame. The belt follows when it comes within
`tolerance_kmh` of the setpoint and is still there `hold_s` later (a console that takes its own
speed back does so within seconds of the start). It does not follow when, for `progress_s`, it
has neither come closer by `tolerance_kmh` nor stayed at the setpoint, or when the time a belt
ramping at `slowest_kmh_s` from where it was would need, plus `progress_s`, has passed. A lone
stray frame (some units send 0 km/h while the belt runs) changes neither judgement.

The rates are real time; `speedup` shortens them for the in-process simulator's scaled belt, as
the guard's own watches are (safety.settings.GuardSettings.sped_up).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Final, Literal

from treadlink.treadmill.base import Treadmill
from treadlink.treadmill.state import Telemetry, TreadmillEvent

Outcome = Literal["followed", "slower", "faster"]


@dataclass(frozen=True, slots=True)
class FollowRules:
    # The slowest belt ramp the sources show: CITYSPORTS's stop ramp falls 0.1–0.2 km/h per
    # 0.48 s frame (0.2–0.4 km/h/s; hughesjs/FitnessMachine CS-WP8 logs). Slower than the
    # guard's 1 km/h/s on purpose: here a belt judged too slow to follow is told of or stopped.
    slowest_kmh_s: float = 0.2
    # A frame every 0.25–1 s (reference §3 item 13), an answer 0.1–0.2 s later: a belt that
    # follows comes closer within this, or holds the setpoint.
    progress_s: float = 3.0
    # How far the belt may read from its setpoint and be at it: FitShow and most FTMS units
    # report 0.1 of their unit (0.16 km/h on an mph console); CITYSPORTS reads exact values.
    tolerance_kmh: float = 0.2
    # A console that puts its own speed back does so about 3 s after the start (QZ #2630,
    # FS 465D50); HomeTro re-sends its target 5 times at 0.75 s. Held this long, it stays.
    hold_s: float = 5.0
    # A setpoint the belt did not follow, slower, is written again this many times.
    resends: int = 2


FOLLOW: Final = FollowRules()
_SPED_UP_FLOOR_S: Final = 0.5  # a few frames of the sped-up simulator's telemetry, real time


@dataclass(frozen=True, slots=True)
class Judged:
    outcome: Outcome
    belt_kmh: float  # what the belt read when it was judged
    waited_s: float  # session seconds from the setpoint to the judgement


class FollowWatch:
    """Watches one treadmill's belt against setpoints, one at a time."""

    def __init__(
        self, treadmill: Treadmill, rules: FollowRules = FOLLOW, speedup: float = 1.0
    ) -> None:
        self._treadmill = treadmill
        self.rules = rules
        self._speedup = speedup

    def _loop_s(self, session_s: float) -> float:
        if self._speedup == 1.0:
            return session_s
        return max(session_s / self._speedup, _SPED_UP_FLOOR_S)

    async def watch(self, kmh: float, *, hold: bool = True) -> Judged:
        """Read the belt until it has followed `kmh` or has shown it does not (`hold`: and
        stays at it for `hold_s`)."""
        loop = asyncio.get_running_loop()
        rules = self.rules
        frames: asyncio.Queue[float] = asyncio.Queue()

        def on_event(event: TreadmillEvent) -> None:
            if isinstance(event, Telemetry) and event.state.speed_kmh is not None:
                frames.put_nowait(event.state.speed_kmh)

        start = loop.time()
        from_kmh = self._treadmill.state.speed_kmh or 0.0
        ramp_s = abs(kmh - from_kmh) / rules.slowest_kmh_s + rules.progress_s
        give_up_at = start + self._loop_s(ramp_s)
        best = abs(kmh - from_kmh)
        progress_at = start
        reached_at: float | None = None
        recent: deque[float] = deque([from_kmh], maxlen=3)

        def judged(followed: bool) -> Judged:
            waited = (loop.time() - start) * self._speedup
            # A lone stray 0 km/h frame must not hide a belt running faster than asked.
            fastest = max(recent)
            if followed:
                return Judged("followed", recent[-1], waited)
            if fastest > kmh + rules.tolerance_kmh:
                return Judged("faster", fastest, waited)
            return Judged("slower", recent[-1], waited)

        unsubscribe = self._treadmill.subscribe(on_event)
        try:
            while True:
                # Once at the setpoint the ramp is over: only leaving it counts from then on.
                deadline = progress_at + self._loop_s(rules.progress_s)
                if reached_at is None:
                    deadline = min(deadline, give_up_at)
                try:
                    async with asyncio.timeout_at(deadline):
                        speed = await frames.get()
                except TimeoutError:
                    return judged(followed=False)
                recent.append(speed)
                now, gap = loop.time(), abs(kmh - speed)
                if gap <= rules.tolerance_kmh:
                    best, progress_at = min(best, gap), now
                    if reached_at is None:
                        reached_at = now
                    if not hold or now - reached_at >= self._loop_s(rules.hold_s):
                        return judged(followed=True)
                elif gap <= best - rules.tolerance_kmh:
                    best, progress_at = gap, now
        finally:
            unsubscribe()


def not_followed_text(kmh: float, judged: Judged, resent: int) -> str:
    """The runner's line for a setpoint the belt did not follow."""
    again = f", sent {resent + 1} times" if resent else ""
    return (
        f"the belt runs at {judged.belt_kmh:.1f} km/h, {judged.outcome} than the {kmh:.1f} km/h "
        f"asked{again}: the treadmill answered success but does not follow"
    )
