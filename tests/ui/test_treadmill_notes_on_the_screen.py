"""What the runner must know about how the treadmill takes the plan is on the screen: how the
plan was fitted to it (mph, flat), while the belt starts; a speed the belt does not follow, until
it follows one again or the segment ends."""

from __future__ import annotations

from pathlib import Path

from tests.support.screen import short_stage
from treadlink.session.events import (
    PlanAdapted,
    SegmentStarted,
    SessionStarted,
    SetpointConfirmed,
    SetpointNotFollowed,
)
from treadlink.session.view import ViewTracker
from treadlink.ui.screen.face import face

NOTE = (
    "the treadmill has no incline: this stage runs flat (--flat); its inclines of 1 % are left out"
)


def test_how_the_plan_was_fitted_is_shown_while_the_belt_starts(tmp_path: Path) -> None:
    timeline = short_stage(tmp_path)
    tracker = ViewTracker(timeline)
    tracker(SessionStarted.of(timeline, None, "FS-46CEE4"))
    tracker(PlanAdapted(at=0.0, message=NOTE))
    assert face(tracker, 0.0).cue == f"Starting the belt… {NOTE[0].upper()}{NOTE[1:]}."


def test_a_speed_not_followed_is_shown_until_one_is(tmp_path: Path) -> None:
    timeline = short_stage(tmp_path)
    tracker = ViewTracker(timeline)
    tracker(SessionStarted.of(timeline, None, "XTERRA T85"))
    tracker(SegmentStarted.for_step(timeline.steps[0], at=1.0, start_distance_m=0))
    message = "the belt runs at 0.8 km/h, slower than the 5.5 km/h asked, sent 3 times: …"
    told = SetpointNotFollowed(
        at=10.0, index=0, speed_kmh=5.5, belt_kmh=0.8, outcome="slower", resent=2,
        waited_s=3.0, message=message,
    )  # fmt: skip
    tracker(told)
    assert face(tracker, 10.0).cue == f"SPEED NOT FOLLOWED: {message}"
    tracker(SetpointConfirmed(at=20.0, index=0, speed_kmh=5.5, incline_pct=1.0))
    assert "NOT FOLLOWED" not in face(tracker, 20.0).cue
    tracker(told)
    tracker(SegmentStarted.for_step(timeline.steps[1], at=40.0, start_distance_m=50))
    assert "NOT FOLLOWED" not in face(tracker, 40.0).cue
