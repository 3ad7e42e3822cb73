"""`treadlink pain N`: record a pain score (0–10) against a session, by default the next
morning's pain against the latest session."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast

from treadlink.cli.next import describe
from treadlink.cli.records_common import (
    EXIT_OK,
    Refused,
    find_session,
    open_store,
    pain_score,
    report,
    when,
)
from treadlink.plans import PlanError
from treadlink.records.model import PainMoment
from treadlink.records.programme import advise

MOMENTS = {"next-morning": "next_morning", "before": "before", "after": "after"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "pain",
        help="record a pain score (0–10), by default the next morning's for the last session",
        description="Record pain on the 0–10 scale against a session: the next morning's pain "
        "against the latest session unless told otherwise. `treadlink next` needs it before "
        "moving on a stage. A new score for the same moment replaces the old one.",
    )
    p.add_argument("score", type=pain_score, metavar="N", help="pain from 0 (none) to 10")
    p.add_argument(
        "--session", default="last", metavar="ID", help="a session id from history (default: last)"
    )
    p.add_argument(
        "--moment",
        choices=tuple(MOMENTS),
        default="next-morning",
        help="when the pain was felt (default: %(default)s)",
    )
    p.add_argument(
        "--sim", action="store_true", help="with --session last: the latest simulator session"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    moment = cast(PainMoment, MOMENTS[args.moment])
    try:
        store = open_store()
        with store:
            record = find_session(store, args.session, simulated=args.sim)
            store.set_pain(record.id, moment, args.score, datetime.now(UTC))
    except Refused as e:
        return report("pain", e)
    said = args.moment.replace("-", " ")
    print(
        f"recorded pain {args.score}/10 ({said}) for session {record.id}: "
        f"{record.start.stage_name}, {when(record.start.started_at)}"
    )
    if record.start.plan_file is not None:
        show_next(Path(record.start.plan_file), simulated=record.start.simulated)
    return EXIT_OK


def show_next(plan: Path, *, simulated: bool) -> None:
    """What the new score means for the programme, as `treadlink next` would say it."""
    try:
        with open_store() as store:
            programme, advice = advise(store, plan, simulated=simulated, today=date.today())
    except (Refused, PlanError):
        print("see `treadlink next` for what it means for the programme")
        return
    print("\n".join(describe(programme, advice, date.today())))
