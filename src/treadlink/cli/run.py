"""`treadlink run FILE`: take the runner through one stage on the treadmill."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from bleak.exc import BleakError

from treadlink.ble.link import Link
from treadlink.cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_BELT_MAY_BE_RUNNING,
    EXIT_FAILED,
    EXIT_OK,
)
from treadlink.cli.target import IN_PROCESS, add_target_arguments, radio_for
from treadlink.cli.validate import add_config_argument, profile_or_report
from treadlink.config import RunnerProfile
from treadlink.ftms.control import ControlPointError
from treadlink.mqtt import run_hook as mqtt
from treadlink.plans import (
    NOBLEPRO_ELITE,
    PlanError,
    Problem,
    Timeline,
    TreadmillLimits,
    load_workout,
)
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Finished
from treadlink.session.recorder import EventLog
from treadlink.ui.keys import HELP as KEYS_HELP
from treadlink.ui.keys import RunnerKeys
from treadlink.ui.lines import LinePrinter


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run a stage on the treadmill",
        description="Run one stage (a stage .yaml or a Zwift .zwo file) on the treadmill: "
        "speed and incline change by themselves at every segment, and the belt is stopped at "
        "the end, on Ctrl-C and on SIGTERM. The file is checked completely, against the runner "
        "profile and then against the treadmill's own ranges, before anything is sent.",
    )
    p.add_argument(
        "file", type=Path, metavar="FILE", help="stage .yaml, plan .yaml (with --stage) or .zwo"
    )
    p.add_argument(
        "--stage", type=int, metavar="N", help="with a plan file: run its N-th stage (from 1)"
    )
    add_target_arguments(p)
    add_config_argument(p)
    p.add_argument(
        "--speedup",
        type=float,
        default=1.0,
        metavar="N",
        help="run the plan N times faster (only with --sim; refused on a real treadmill)",
    )
    p.add_argument(
        "--events", type=Path, metavar="FILE", help="append every event to FILE as JSON lines"
    )
    p.add_argument(
        "--at-end",
        choices=("stop", "pause"),
        default="stop",
        help="what the belt does when the plan ends (default: %(default)s)",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="scan timeout in seconds")
    mqtt.add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.speedup != 1.0 and args.sim is None:
        print("treadlink run: --speedup is only for the simulator (--sim)", file=sys.stderr)
        return EXIT_BAD_INPUT
    profile = profile_or_report(args.config)
    if profile is None or not mqtt.check(args):
        return EXIT_BAD_INPUT
    try:
        timeline = load_session(args, profile)  # checked before any radio is opened
    except PlanError as e:
        report(e)
        return EXIT_BAD_INPUT
    with contextlib.ExitStack() as stack:
        events: EventLog | None = None
        if args.events is not None:
            try:  # opened and checked before any radio is opened, too
                events = stack.enter_context(EventLog(args.events, on_problem=_warn))
            except OSError as e:
                print(
                    f"treadlink run: cannot write the events file {args.events}: "
                    f"{e.strerror or e}; nothing was sent to the treadmill",
                    file=sys.stderr,
                )
                return EXIT_BAD_INPUT
        code, finished = asyncio.run(run_session(args, profile, timeline, events))
    if finished is not None and finished.belt == "may be running":
        # Last, and loud: nothing printed after this may hide it.
        print(BELT_MAY_BE_RUNNING, file=sys.stderr, flush=True)
    return code


BELT_MAY_BE_RUNNING = (
    "\n!!! THE TREADMILL DID NOT CONFIRM THE STOP: THE BELT MAY STILL BE RUNNING. !!!\n"
    "!!! STOP IT WITH THE TREADMILL'S STOP BUTTON OR PULL THE SAFETY KEY NOW.     !!!"
)


def _warn(message: str) -> None:
    print(f"treadlink run: {message}", file=sys.stderr, flush=True)


def load_session(
    args: argparse.Namespace, profile: RunnerProfile, limits: TreadmillLimits = NOBLEPRO_ELITE
) -> Timeline:
    """The stage to run: the file itself, or stage --stage N of a plan file."""
    loaded = load_workout(args.file, profile, limits)
    if isinstance(loaded, Timeline):
        if args.stage is not None:
            raise PlanError([Problem(str(args.file), None, "", "--stage is for plan files")])
        return loaded
    count = len(loaded.stages)
    number: int | None = args.stage
    if number is None or not 1 <= number <= count:
        message = f"is a plan of {count} stages: choose one with --stage 1…{count}"
        raise PlanError([Problem(str(args.file), None, "", message)])
    return loaded.stages[number - 1]


def report(error: PlanError) -> None:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    print("nothing was sent to the treadmill", file=sys.stderr)


def simulator_options(args: argparse.Namespace) -> dict[str, Any]:
    """A sped-up plan on the in-process simulator gets a belt that is sped up alike."""
    if args.sim != IN_PROCESS or args.speedup == 1.0:
        return {}
    from treadlink_sim.profile import load_profile as load_machine

    machine = load_machine(args.profile)
    n = args.speedup
    faster = load_machine(
        args.profile,
        acceleration_up_kmh_per_s=machine.acceleration_up_kmh_per_s * n,
        acceleration_down_kmh_per_s=machine.acceleration_down_kmh_per_s * n,
        incline_rate_pct_per_s=machine.incline_rate_pct_per_s * n,
    )
    return {"profile": faster}


async def run_session(
    args: argparse.Namespace, profile: RunnerProfile, timeline: Timeline, events: EventLog | None
) -> tuple[int, Finished | None]:
    """The link, the guard over it for its whole life, and the session under the guard."""
    try:
        async with radio_for(args, **simulator_options(args)) as radio:
            device = await radio.find_treadmill(args.device, timeout=args.timeout)
            async with Link(device, backend=radio.client_backend) as link:
                treadmill = link.treadmill
                assert treadmill.speed_range is not None
                limits = TreadmillLimits(
                    treadmill.speed_range, treadmill.incline_range or TreadmillLimits().incline
                )
                try:  # the same file, against what this treadmill really accepts
                    timeline = load_session(args, profile, limits)
                except PlanError as e:
                    report(e)
                    return EXIT_BAD_INPUT, None
                settings = GuardSettings(
                    cap_kmh=profile.max_speed, cap_incline_pct=profile.max_incline
                )
                async with SafetyGuard(link, settings=settings) as guard:
                    return await drive(args, guard, timeline, events)
    except (BleakError, ControlPointError, OSError, TimeoutError) as e:
        print(f"treadlink run: {e}", file=sys.stderr)
        return EXIT_FAILED, None


async def drive(
    args: argparse.Namespace, guard: SafetyGuard, timeline: Timeline, events: EventLog | None
) -> tuple[int, Finished]:
    # A fault holds the plan for the runner to acknowledge, if there is a keyboard to do it
    # with; otherwise the session ends there. Stopping is the same either way.
    interactive = sys.stdin.isatty()
    session = Session(
        guard,
        timeline,
        speedup=args.speedup,
        at_end=args.at_end,
        on_fault="pause" if interactive else "end",
    )
    loop = asyncio.get_running_loop()
    for signum, reason in ((signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")):
        loop.add_signal_handler(signum, session.quit, reason)
    with contextlib.ExitStack() as stack:
        keys = stack.enter_context(RunnerKeys(session))
        session.subscribe(LinePrinter(sys.stdout, keys=keys.active))
        if events is not None:
            session.subscribe(events.write)
        if keys.active:
            print(KEYS_HELP)
        try:
            async with mqtt.published(args, session):
                finished = await session.run()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
    if finished.belt == "may be running":
        return EXIT_BELT_MAY_BE_RUNNING, finished
    return (EXIT_OK if finished.completed else EXIT_FAILED), finished
