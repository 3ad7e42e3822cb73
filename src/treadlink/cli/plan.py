"""`treadlink plan FILE [--png OUT]`: show what a stage, plan or .zwo file will do."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from treadlink.cli.validate import EXIT_BAD_INPUT, EXIT_OK, add_config_argument, profile_or_report
from treadlink.plans import NOBLEPRO_ELITE, PlanError, Programme, load_workout
from treadlink.plans.report import programme_report, timeline_report

EXIT_FAILURE = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plan",
        help="print the steps of a stage, plan or .zwo file",
        description="Print every step (speed, incline, duration or distance, start time) "
        "with totals; --png also draws the speed/incline profile.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--png", type=Path, metavar="OUT", help="draw the profile to this PNG file")
    add_config_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    profile = profile_or_report(args.config)
    if profile is None:
        return EXIT_BAD_INPUT
    try:
        workout = load_workout(args.file, profile, NOBLEPRO_ELITE)
    except PlanError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(workout, Programme):
        print(programme_report(workout))
    else:
        print(timeline_report(workout))
    if args.png is not None:
        from treadlink.plans.plot import PlotUnavailableError, draw

        try:
            draw(workout, args.png)
        except PlotUnavailableError as e:
            print(e, file=sys.stderr)
            return EXIT_FAILURE
        except OSError as e:
            print(f"cannot write {args.png}: {e.strerror}", file=sys.stderr)
            return EXIT_FAILURE
        print(f"wrote {args.png}")
    return EXIT_OK
