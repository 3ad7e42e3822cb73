"""`treadlink export SESSION --tcx FILE --fit FILE --png FILE`: a recorded session as files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from treadlink.cli.records_common import (
    EXIT_FAILED,
    EXIT_OK,
    Refused,
    find_session,
    open_store,
    report,
    which_session,
)
from treadlink.records.export.activity import NothingToExport, activity


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="write a recorded session as TCX, FIT and/or a PNG chart",
        description="Write a session from `treadlink history` as a TCX and/or FIT activity "
        "(one lap per segment, per-second time, distance, speed, incline and heart rate, for "
        "Strava or Garmin Connect) and/or a PNG of target against actual speed and incline.",
    )
    p.add_argument("session", metavar="SESSION", help="a session id from history, or last")
    p.add_argument("--tcx", type=Path, metavar="FILE", help="write a TCX activity")
    p.add_argument("--fit", type=Path, metavar="FILE", help="write a FIT activity")
    p.add_argument("--png", type=Path, metavar="FILE", help="draw a chart (needs matplotlib)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.tcx is None and args.fit is None and args.png is None:
        return report("export", Refused("say what to write: --tcx FILE, --fit FILE, --png FILE"))
    try:
        store = open_store()
        with store:
            record = find_session(store, args.session)
        print(f"exporting {which_session(record)}")  # `last` may not be the one meant
        ride = activity(record) if args.tcx or args.fit else None
    except Refused as e:
        return report("export", e)
    except NothingToExport as e:
        return report("export", Refused(str(e)))
    try:
        if ride is not None and args.tcx is not None:
            from treadlink.records.export.tcx import write_tcx

            write_tcx(ride, args.tcx)
            print(f"wrote {args.tcx}")
        if ride is not None and args.fit is not None:
            from treadlink.records.export.fit import write_fit

            write_fit(ride, args.fit)
            print(f"wrote {args.fit}")
        if args.png is not None:
            from treadlink.plans.plot import PlotUnavailableError
            from treadlink.records.export.png import write_png

            try:
                write_png(record, args.png)
            except PlotUnavailableError as e:
                print(e, file=sys.stderr)
                return EXIT_FAILED
            print(f"wrote {args.png}")
    except OSError as e:
        print(f"treadlink export: cannot write {e.filename}: {e.strerror}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
