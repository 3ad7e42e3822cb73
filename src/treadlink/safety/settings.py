"""`GuardSettings`: how closely the guard watches, and the runner's caps it holds the belt to.

The defaults are for a real treadmill in real time; `sped_up` shortens the watches for the
in-process simulator's belt on scaled time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

STILL_KMH = 0.005  # below the 0.01 km/h wire resolution: a belt this slow is at rest


@dataclass(frozen=True, slots=True)
class GuardSettings:
    cap_kmh: float | None = None  # the runner's speed cap; the belt above it is a fault
    cap_incline_pct: float | None = None  # the runner's incline cap; above it is refused
    stale_after_s: float = 3.0  # no Treadmill Data this long while the belt moves: fault
    overspeed_tolerance_kmh: float = 0.5  # belt above target by more than this...
    overspeed_grace_s: float = 2.0  # ...for this long without slowing down: fault
    zero_debounce_s: float = 1.0  # speed 0 while running: a stop only if it lasts this long
    stop_retry_s: float = 0.25  # one Stop write per this, each attempt bounded by it
    confirm_within_s: float = 3.0  # then, and again every so long, the runner is told to act
    own_status_window_s: float = 2.0  # status 02/05 this soon after our own command is ours
    still_window_s: float = 1.0  # belt stopped: 0 km/h and no distance gained for this long...
    still_frames: int = 3  # ...over at least this many frames
    # The belt counts as stopped no sooner than the slowest belt could stop from the last speed
    # it was seen at (see _watch_stopping).
    slowest_deceleration_kmh_s: float = 1.0
    # Idle, with no stop of ours to go by, the belt is at rest only after frames at 0 km/h
    # with the distance unchanged for this long: a belt at 1 km/h (the slowest) whose frames
    # read 0 covers 2 m in 7.2 s, and the distance is reported in whole metres.
    idle_rest_window_s: float = 8.0
    reconnect_backoff_s: tuple[float, float] = (0.5, 5.0)
    # Each reconnect attempt (connect, discover, read, subscribe) is given up after this: one
    # that hangs (its transport dead under it) must not hold up the next. Generous for a real
    # adapter's connect and discovery; link time, so never sped up.
    connect_attempt_s: float = 15.0
    # After a fault the belt comes back from its own speed in steps of this, each reached first.
    ease_step_kmh: float = 0.5

    def sped_up(self, n: float) -> GuardSettings:
        """For a simulated belt on time sped up `n` times (`run --sim --speedup`): every
        watching period is that much shorter and the slowest deceleration that much faster.
        The Stop cadence is a property of the link, not of the belt: it stays."""
        if n == 1:
            return self

        def shorter(seconds: float, floor: float) -> float:
            # Not below a few frames and link round trips of real time: a sped-up belt does
            # not make the link faster, and a watch shorter than that trips on jitter.
            return max(seconds / n, floor)

        return dataclasses.replace(
            self,
            stale_after_s=shorter(self.stale_after_s, 0.5),
            overspeed_grace_s=shorter(self.overspeed_grace_s, 0.3),
            zero_debounce_s=shorter(self.zero_debounce_s, 0.3),
            confirm_within_s=shorter(self.confirm_within_s, 1.0),
            own_status_window_s=shorter(self.own_status_window_s, 0.5),
            still_window_s=shorter(self.still_window_s, 0.2),
            idle_rest_window_s=shorter(self.idle_rest_window_s, 1.0),
            slowest_deceleration_kmh_s=self.slowest_deceleration_kmh_s * n,
        )


DEFAULT_SETTINGS = GuardSettings()
