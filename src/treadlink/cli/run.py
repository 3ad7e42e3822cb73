"""`treadlink run FILE`: take the runner through one stage on the treadmill."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from treadlink.app.connection import Target, connect, radio_for
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
    LINK_ERRORS,
    add_speedup_argument,
    add_target_arguments,
    link_failure,
    speedup_problem,
    target_of,
    target_problem,
)
from treadlink.cli.validate import add_config_argument, profile_or_report
from treadlink.config import RunnerProfile
from treadlink.mqtt import run_hook as mqtt
from treadlink.mqtt.settings import MqttSettings
from treadlink.plans import (
    NOBLEPRO_ELITE,
    PlanError,
    Problem,
    Timeline,
    TreadmillLimits,
    load_workout,
)
from treadlink.records.session_record import SessionRecording
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import AtEnd, Session
from treadlink.session.events import Finished
from treadlink.session.recorder import EventLog
from treadlink.ui.pain import PainFelt
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
        "--flat",
        action="store_true",
        help="on a treadmill without incline, run a stage that has inclines flat (said before "
        "the belt moves); without it such a stage is refused",
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
    if profile is None:
        return EXIT_BAD_INPUT
    try:
        mqtt_settings = mqtt.settings_of(args)
    except mqtt.BadSettings:
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
    pain_felt = PainFelt(args.pain_during)  # the screen's pain keys add to it
    options = RunOptions(
        target=target_of(args),
        runner=profile,
        at_end=args.at_end,
        plain=args.plain,
        quiet=args.quiet,
        interactive=sys.stdin.isatty(),
        mqtt=mqtt_settings,
        pain=pain_felt,
        voice=args.voice,
    )
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

        def for_treadmill(limits: TreadmillLimits) -> Timeline:
            return load_session(args, profile, dataclasses.replace(limits, flat=args.flat))

        code, finished = asyncio.run(run_session(options, for_treadmill, events, recording))
    try:
        after_session(recording, pain, args.pain_after, ask, pain_during=pain_felt.worst)
    except OSError as e:  # stdout gone (a closed pipe, a full disk): the record is kept
        _warn(f"cannot write to the terminal: {e.strerror or e}")
    if finished is not None and finished.belt == "may be running":
        # Last, and loud: nothing printed after this may hide it.
        print(BELT_MAY_BE_RUNNING, file=sys.stderr, flush=True)
    return code


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What `treadlink run` was asked for, once the command line is checked."""

    target: Target
    runner: RunnerProfile
    at_end: AtEnd = "stop"
    plain: bool = False
    quiet: bool = False
    interactive: bool = False  # a keyboard to acknowledge a fault with
    mqtt: MqttSettings | None = None
    pain: PainFelt | None = None  # pain felt during the run, from the screen's keys
    voice: bool = False  # speak the changes (espeak-ng)


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


async def run_session(
    options: RunOptions,
    for_treadmill: Callable[[TreadmillLimits], Timeline],
    events: EventLog | None,
    recording: SessionRecording | None = None,
) -> tuple[int, Finished | None]:
    """The link, the guard over it for its whole life, and the session under the guard. The
    stage is checked again against what this treadmill really accepts before anything is
    sent (`for_treadmill`)."""
    target = options.target
    try:
        async with (
            radio_for(target) as radio,
            connect(radio, target, options.runner) as connection,
        ):
            try:
                timeline = for_treadmill(connection.limits)
            except PlanError as e:
                report(e)
                return EXIT_BAD_INPUT, None
            return await drive(options, connection.guard, timeline, events, recording)
    except LINK_ERRORS as e:
        return link_failure("run", e), None


async def drive(
    options: RunOptions,
    guard: SafetyGuard,
    timeline: Timeline,
    events: EventLog | None,
    recording: SessionRecording | None = None,
) -> tuple[int, Finished]:
    # A fault holds the plan for the runner to acknowledge, if there is a keyboard to do it
    # with; otherwise the session ends there. Stopping is the same either way.
    session = Session(
        guard,
        timeline,
        speedup=options.target.speedup,
        at_end=options.at_end,
        on_fault="pause" if options.interactive else "end",
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
            attach_display(
                session,
                plain=options.plain,
                quiet=options.quiet,
                pain=options.pain,
                voice=options.voice,
            ),
            mqtt.published(options.mqtt, session),
        ):
            finished = await session.run()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    if finished.belt == "may be running":
        return EXIT_BELT_MAY_BE_RUNNING, finished
    return (EXIT_OK if finished.completed else EXIT_FAILED), finished
