"""`treadlink plan FILE [--png OUT]`: show what a stage, plan or .zwo file will do."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from treadlink.cli.validate import add_config_argument, profile_or_report
from treadlink.plans import NOBLEPRO_ELITE, PlanError, Programme, load_workout
from treadlink.plans.report import programme_report, timeline_report
from treadlink.sources import excerpt


def png_file(text: str) -> Path:
    """An argparse type: a file name ending in .png, so the file written is the one named."""
    path = Path(text)
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"must be a file name ending in .png, got {excerpt(text)}")
    return path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plan",
        help="print the steps of a stage, plan or .zwo file",
        description="Print every step (speed, incline, duration or distance, start time) "
        "with totals; --png also draws the speed/incline profile.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument(
        "--png", type=png_file, metavar="OUT.png", help="draw the profile to this PNG file"
    )
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
            return EXIT_FAILED
        except OSError as e:
            print(f"cannot write {args.png}: {e.strerror}", file=sys.stderr)
            return EXIT_FAILED
        print(f"wrote {args.png}")
    return EXIT_OK
