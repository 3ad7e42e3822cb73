"""`treadlink validate FILE…`: check stage, plan and .zwo files against the runner profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from treadlink.config import ConfigError, RunnerProfile, load_profile
from treadlink.plans import NOBLEPRO_ELITE, PlanError, Programme, load_workout
from treadlink.plans.report import total


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="check stage, plan and Zwift (.zwo) files",
        description="Load and check each file against the runner profile and the default "
        "treadmill limits (NoblePro Elite). Exit 2 if any file is bad.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_config_argument(p)
    p.set_defaults(handler=run)


def add_config_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="runner profile (default: $TREADLINK_CONFIG or ~/.config/treadlink/config.yaml)",
    )


def profile_or_report(config: Path | None) -> RunnerProfile | None:
    """The runner profile, or None after printing why it cannot be loaded."""
    try:
        return load_profile(config)
    except ConfigError as e:
        print("bad runner profile:", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    profile = profile_or_report(args.config)
    if profile is None:
        return EXIT_BAD_INPUT
    bad = 0
    for file in args.files:
        try:
            workout = load_workout(file, profile, NOBLEPRO_ELITE)
        except PlanError as e:
            bad += 1
            print(f"BAD {file} ({len(e.problems)} problem(s))", file=sys.stderr)
            for problem in e.problems:
                print(f"  {problem}", file=sys.stderr)
            continue
        size = total(workout.totals)
        if isinstance(workout, Programme):
            print(f"OK {file} ({len(workout.stages)} stages, {size})")
        else:
            print(f"OK {file} ({len(workout.steps)} steps, {size})")
    return EXIT_BAD_INPUT if bad else EXIT_OK
