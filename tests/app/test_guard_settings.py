"""The composition root speeds the guard up only for the in-process simulator, whose belt runs
on the session's scaled time."""

from __future__ import annotations

from treadlink.app.connection import IN_PROCESS, Target
from treadlink.config import RunnerProfile
from treadlink.safety.guard import GuardSettings


def test_only_the_in_process_simulator_gets_a_sped_up_guard() -> None:
    """`run --sim tcp-client:… --speedup 30` (the standalone simulator has no time scale; a
    transport may reach a real controller) and hardware keep the guard's real-time watches."""
    profile = RunnerProfile()
    plain = GuardSettings(cap_kmh=profile.max_speed, cap_incline_pct=profile.max_incline)
    for sim in ("tcp-client:127.0.0.1:9100", None):
        assert Target(sim=sim, speedup=30.0).guard_settings(profile) == plain
    assert Target(sim=IN_PROCESS, speedup=30.0).guard_settings(profile) == plain.sped_up(30.0)
