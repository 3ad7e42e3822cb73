"""How big a workout may be once expanded (docs/plans.md, "Limits", says why each number)."""

from __future__ import annotations

from typing import Final

MAX_SESSION_S: Final = 8 * 3600.0
"""A session, and so any one segment: a marathon walked at 5.5 km/h takes 7 h 40 min."""

MAX_DISTANCE_M: Final = 50_000.0
"""One segment's distance: past an ultra's 50 km nobody is on a treadmill in one go."""

MAX_STEPS: Final = 2_000
"""Steps of one stage after every repeat is expanded: a change every 15 s for 8 hours is 1,920."""

MAX_PLAN_STAGES: Final = 60
"""Stages in one plan: the shipped programme has 15; plans name stage files, never plans."""
