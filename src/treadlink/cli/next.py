"""`treadlink next [PLAN]`: the stage that comes next in the programme, why, and from when."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from treadlink.cli.records_common import EXIT_OK, Refused, open_store, report
from treadlink.plans import PlanError
from treadlink.records.programme import Programme, advise, last_plan
from treadlink.records.progression import DISCLAIMER, Advice

EXIT_BAD_INPUT = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "next",
        help="say which stage of the programme comes next, why, and when",
        description="Apply the plan's progression rules (its `progression:` section) to the "
        "recorded sessions: the next stage, the reason, and the earliest day for it. PLAN "
        "defaults to the plan of the latest session run from a plan file.",
    )
    p.add_argument("plan", nargs="?", type=Path, metavar="PLAN", help="plan .yaml file")
    p.add_argument(
        "--sim",
        action="store_true",
        help="the simulator's programme (sessions run with --sim) instead of the runner's",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        store = open_store()
    except Refused as e:
        return report("next", e)
    with store:
        plan = args.plan or last_plan(store, simulated=args.sim)
        if plan is None:
            error = Refused(
                "no plan given and no session run from a plan yet: name one, e.g. "
                "treadlink next workouts/return-to-run/plan.yaml"
            )
            return report("next", error)
        try:
            programme, advice = advise(store, plan, simulated=args.sim, today=date.today())
        except PlanError as e:
            for problem in e.problems:
                print(problem, file=sys.stderr)
            return EXIT_BAD_INPUT
    print("\n".join(describe(programme, advice, date.today())))
    return EXIT_OK


def describe(programme: Programme, advice: Advice, today: date) -> list[str]:
    """What the runner is told by `next`, and by `run` before a stage it chose itself."""
    if advice.stage is None:
        lines = [f"{programme.name}: complete"]
    else:
        file = Path(programme.stage_files[advice.stage - 1]).name
        lines = [
            f"Next: stage {advice.stage} of {len(programme.stage_files)} of {programme.name} "
            f"({file})"
        ]
    lines.append(f"Why: {advice.reason}")
    if advice.stage is not None:
        lines.append(f"When: {day(advice.earliest, today)}")
    if advice.clinician:
        lines.append(f"Advice: {advice.clinician}")
    lines.append(DISCLAIMER)
    return lines


def day(earliest: date, today: date) -> str:
    if earliest <= today:
        return "today"
    rest = (earliest - today).days
    return f"from {earliest:%a %d %b %Y} (in {rest} day{'s' if rest != 1 else ''})"
