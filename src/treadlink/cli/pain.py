"""`treadlink pain N`: record a pain score (0–10) against a session, by default the next
morning's pain against the latest session. The next morning's is taken only from the next
morning (treadlink.records.pain_gate); earlier, the refusal says from when, and how to record
the pain felt now as pain after the session instead."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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
from treadlink.records.model import PainMoment, SessionRecord
from treadlink.records.pain_gate import TooEarly, check_moment
from treadlink.records.programme import advise, plan_of

MOMENTS: dict[str, PainMoment] = {
    "before": "before",
    "during": "during",
    "after": "after",
    "next-morning": "next_morning",
}
Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "pain",
        help="record a pain score (0–10), by default the next morning's for the last session",
        description="Record pain on the 0–10 scale against a session: the next morning's pain "
        "against the latest session unless told otherwise. `treadlink next` needs it before "
        "moving on a stage. The next morning's pain is taken from the calendar day after the "
        "session, from 04:00 (or the hour the plan's progression.next_morning_from sets); "
        "pain felt just after the session is --moment after. A new score for the same moment "
        "replaces the old one.",
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


def run(args: argparse.Namespace, now: Clock = wall_clock) -> int:
    moment = MOMENTS[args.moment]
    at = now()
    try:
        store = open_store()
        with store:
            record = find_session(store, args.session, simulated=args.sim)
            try:
                check_moment(record.start, moment, at)
            except TooEarly as e:
                raise Refused(too_early(args, record, e)) from None
            store.set_pain(record.id, moment, args.score, at)
    except Refused as e:
        return report("pain", e)
    said = args.moment.replace("-", " ")
    print(
        f"recorded pain {args.score}/10 ({said}) for session {record.id}: "
        f"{record.start.stage_name}, {when(record.start.started_at)}"
    )
    plan = plan_of(record.start)
    if plan is not None:
        show_next(plan, simulated=record.start.simulated, now=at)
    return EXIT_OK


def too_early(args: argparse.Namespace, record: SessionRecord, early: TooEarly) -> str:
    """The refusal: from when the next morning's pain can be given, and the command that
    records the pain felt now as pain after the session."""
    session = "" if args.session == "last" else f" --session {record.id}"
    sim = " --sim" if args.sim else ""
    taken = "taken" if "after" not in record.pain else f"replacing {record.pain['after']}/10"
    return (
        f"too early for the next morning's pain of session {record.id} "
        f"({record.start.stage_name}, {when(record.start.started_at)}): it can be given from "
        f"{when(early.opens)}.\n"
        f"  Pain now, after the session ({taken}): "
        f"treadlink pain {args.score} --moment after{session}{sim}"
    )


def show_next(plan: Path, *, simulated: bool, now: datetime) -> None:
    """What the new score means for the programme, as `treadlink next` would say it."""
    today = now.astimezone().date()
    try:
        with open_store() as store:
            programme, advice = advise(store, plan, simulated=simulated, today=today)
    except (Refused, PlanError):
        print("see `treadlink next` for what it means for the programme")
        return
    print("\n".join(describe(programme, advice, today)))
