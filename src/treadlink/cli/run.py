"""`treadlink run FILE`: take the runner through one stage on the treadmill."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from treadlink.ble.link import Link
from treadlink.cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_BELT_MAY_BE_RUNNING,
    EXIT_FAILED,
    EXIT_OK,
)
from treadlink.cli.options import between, bounded
from treadlink.cli.records_common import Refused
from treadlink.cli.run_records import (
    add_record_arguments,
    after_session,
    next_stage_of_plan,
    pain_before,
    recording_for,
)
from treadlink.cli.target import (
    IN_PROCESS,
    LINK_ERRORS,
    add_speedup_argument,
    add_target_arguments,
    link_failure,
    radio_for,
    speedup_problem,
    target_problem,
)
from treadlink.cli.validate import add_config_argument, profile_or_report
from treadlink.config import RunnerProfile
from treadlink.mqtt import run_hook as mqtt
from treadlink.plans import (
    NOBLEPRO_ELITE,
    PlanError,
    Problem,
    Timeline,
    TreadmillLimits,
    load_workout,
)
from treadlink.records.session_record import SessionRecording
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Finished
from treadlink.session.recorder import EventLog
from treadlink.ui.screen import attach as attach_display


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
        "file",
        type=Path,
        metavar="FILE",
        help="stage .yaml, plan .yaml (without --stage: the stage that comes next) or .zwo",
    )
    p.add_argument(
        "--stage",
        type=bounded(int, 1, 60),
        metavar="N",
        help="with a plan file: run its N-th stage (from 1)",
    )
    add_target_arguments(p)
    add_config_argument(p)
    add_speedup_argument(p, "the plan")
    p.add_argument(
        "--events", type=Path, metavar="FILE", help="append every event to FILE as JSON lines"
    )
    p.add_argument(
        "--at-end",
        choices=("stop", "pause"),
        default="stop",
        help="what the belt does when the plan ends (default: %(default)s)",
    )
    p.add_argument(
        "--timeout",
        type=bounded(float, 0.5, 120, "s"),
        default=10.0,
        help=f"how long to look for the treadmill, {between(0.5, 120, 's')} (default: 10)",
    )
    add_record_arguments(p)
    p.add_argument(
        "--plain", action="store_true", help="a line per event, not the full-screen display"
    )
    p.add_argument("--quiet", action="store_true", help="no beeps before each change")
    p.add_argument(
        "--voice",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="speak the changes through espeak-ng (default: the config's `voice` setting)",
    )
    mqtt.add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    problem = speedup_problem(args) or target_problem(args)
    if problem is not None:
        print(f"treadlink run: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    profile = profile_or_report(args.config)
    if profile is None or not mqtt.check(args):
        return EXIT_BAD_INPUT
    args.voice = profile.voice if args.voice is None else args.voice
    try:
        args.stage = next_stage_of_plan(args) or args.stage  # said before anything is opened
        timeline = load_session(args, profile)  # checked before any radio is opened
    except Refused as e:
        print(f"treadlink run: {e}\nnothing was sent to the treadmill", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PlanError as e:
        report(e)
        return EXIT_BAD_INPUT
    # Pain is asked at the terminal, before the loop runs, on a real treadmill; a simulated
    # session (a demo, a developer) records it only when given on the command line.
    ask = None if args.sim is None else _no_answer
    pain = pain_before(args.pain_before, ask)
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
        # The session's row is written now; its events only reach a queue during the run.
        recording = stack.enter_context(recording_for(args, timeline, profile.running_threshold))
        code, finished = asyncio.run(run_session(args, profile, timeline, events, recording))
    try:
        after_session(recording, pain, args.pain_after, ask)
    except OSError as e:  # stdout gone (a closed pipe, a full disk): the record is kept
        _warn(f"cannot write to the terminal: {e.strerror or e}")
    if finished is not None and finished.belt == "may be running":
        # Last, and loud: nothing printed after this may hide it.
        print(BELT_MAY_BE_RUNNING, file=sys.stderr, flush=True)
    return code


BELT_MAY_BE_RUNNING = (
    "\n!!! THE TREADMILL DID NOT CONFIRM THE STOP: THE BELT MAY STILL BE RUNNING. !!!\n"
    "!!! STOP IT WITH THE TREADMILL'S STOP BUTTON OR PULL THE SAFETY KEY NOW.     !!!"
)


def _no_answer(_question: str) -> str:
    return ""


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


def guard_settings(args: argparse.Namespace, profile: RunnerProfile) -> GuardSettings:
    """The runner's caps; on the in-process simulator sped up with the plan, because only its
    belt runs on the session's scaled time (a standalone simulator or a controller behind a
    transport keeps real time, and a guard sped up over it would call a moving belt stopped)."""
    settings = GuardSettings(cap_kmh=profile.max_speed, cap_incline_pct=profile.max_incline)
    return settings.sped_up(args.speedup) if args.sim == IN_PROCESS else settings


MAX_SIM_HZ = 20.0  # Treadmill Data frames a second the in-process virtual link carries easily


def simulator_options(args: argparse.Namespace) -> dict[str, Any]:
    """A sped-up plan on the in-process simulator gets a belt on the same scaled time: it covers
    the distance of the scaled time and accelerates at its own rate per scaled second."""
    if args.sim != IN_PROCESS or args.speedup == 1.0:
        return {}
    # The simulated belt runs on the session's scaled time: distance, elapsed time and
    # acceleration all keep pace with the plan, and the telemetry comes as often per session
    # second as it would (up to what the virtual link carries comfortably).
    return {"time_scale": args.speedup, "telemetry_hz": min(4.0 * args.speedup, MAX_SIM_HZ)}


async def run_session(
    args: argparse.Namespace,
    profile: RunnerProfile,
    timeline: Timeline,
    events: EventLog | None,
    recording: SessionRecording | None = None,
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
                settings = guard_settings(args, profile)
                async with SafetyGuard(link, settings=settings) as guard:
                    return await drive(args, guard, timeline, events, recording)
    except LINK_ERRORS as e:
        return link_failure("run", e), None


async def drive(
    args: argparse.Namespace,
    guard: SafetyGuard,
    timeline: Timeline,
    events: EventLog | None,
    recording: SessionRecording | None = None,
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
    if events is not None:
        session.subscribe(events.write)
    if recording is not None:
        session.subscribe(recording.listen)  # memory and a queue only, never the disk
    try:
        async with (
            attach_display(session, plain=args.plain, quiet=args.quiet, voice=args.voice),
            mqtt.published(args, session),
        ):
            finished = await session.run()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    if finished.belt == "may be running":
        return EXIT_BELT_MAY_BE_RUNNING, finished
    return (EXIT_OK if finished.completed else EXIT_FAILED), finished
