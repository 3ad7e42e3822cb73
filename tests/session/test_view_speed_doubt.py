"""The screen never shows a speed it has reason to doubt as the belt's: not the last frame's
after the telemetry went silent, nor frames that contradict themselves."""

from __future__ import annotations

from treadlink.safety.events import Fault
from treadlink.session.events import TelemetryUpdate
from treadlink.session.view import ViewTracker
from treadlink.ui.screen.app import fault_text
from treadlink.ui.screen.face import fault_face


def frame(speed: float | None, doubt: str | None = None) -> TelemetryUpdate:
    return TelemetryUpdate(
        at=1.0,
        speed_kmh=speed,
        incline_pct=1.0,
        distance_m=120,
        elapsed_time_s=60,
        heart_rate_bpm=None,
        speed_doubt=doubt,
    )


def test_after_silent_telemetry_the_fault_screen_does_not_show_the_last_speed() -> None:
    tracker = ViewTracker()
    tracker.update(frame(6.0))
    tracker.update(
        Fault(at=4.0, message="no treadmill data", fault="stale_telemetry", latched=True)
    )
    view = tracker.view
    assert view.speed_kmh is None
    face = fault_face(view)
    assert face is not None
    text = fault_text(face, "")
    assert "6.0" not in text
    assert "belt speed unknown" in text


def test_a_doubted_frame_shows_no_speed() -> None:
    tracker = ViewTracker()
    tracker.update(frame(6.0))
    tracker.update(frame(None, "the frames read 0 km/h while the distance grew 5 m"))
    assert tracker.view.speed_kmh is None
    assert tracker.view.speed_doubt is not None
    tracker.update(frame(5.5))
    assert tracker.view.speed_kmh == 5.5 and tracker.view.speed_doubt is None
