"""`treadlink run` speeds the guard up only for the in-process simulator, whose belt runs on the
session's scaled time."""

from __future__ import annotations


def test_only_the_in_process_simulator_gets_a_sped_up_guard() -> None:
    """Only the in-process simulator, whose belt runs on the session's scaled time, gets the scaled
    watches: `run --sim tcp-client:… --speedup 30` (the standalone simulator has no time scale; a
    transport may reach a real controller) and hardware keep the guard's real-time watches."""
    import argparse

    from treadlink.cli.run import guard_settings
    from treadlink.cli.target import IN_PROCESS
    from treadlink.config import RunnerProfile
    from treadlink.safety.guard import GuardSettings

    profile = RunnerProfile()
    plain = GuardSettings(cap_kmh=profile.max_speed, cap_incline_pct=profile.max_incline)
    for sim in ("tcp-client:127.0.0.1:9100", None):
        args = argparse.Namespace(sim=sim, speedup=30.0)
        assert guard_settings(args, profile) == plain
    args = argparse.Namespace(sim=IN_PROCESS, speedup=30.0)
    assert guard_settings(args, profile) == plain.sped_up(30.0)
