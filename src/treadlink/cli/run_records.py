"""What `treadlink run` adds for the programme: the next stage of a plan, pain before and after,
and the session's record in the history. Kept apart from run.py so the run loop stays small.

    args.stage = next_stage_of_plan(args) or args.stage  # before anything is loaded or opened
    before = pain_before(args.pain_before)               # at the terminal, before the loop runs
    args.pain_felt = PainFelt(args.pain_during)          # the screen's pain keys add to it
    with recording_for(args, timeline, profile.running_threshold) as recording:
        asyncio.run(...)  # drive(): session.subscribe(recording.listen) when recording is set
    after_session(recording, before, args.pain_after, pain_during=args.pain_felt.worst)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from datetime import date

from treadlink.cli.next import describe
from treadlink.cli.records_common import Refused, pain_score
from treadlink.plans import Timeline
from treadlink.records.model import PainMoment, SessionStart
from treadlink.records.pain_gate import next_morning_opens
from treadlink.records.programme import NotDue, advise, due_stage, is_plan_file
from treadlink.records.session_record import SessionRecording, open_recording, session_start
from treadlink.records.store import Store, StoreError

Ask = Callable[[str], str]


def add_record_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pain-before", type=pain_score, metavar="N", help="pain now, 0–10 (else asked)"
    )
    p.add_argument(
        "--pain-during",
        type=pain_score,
        metavar="N",
        help="pain felt during the session, 0–10, for scripts (on the screen: press 1–9)",
    )
    p.add_argument(
        "--pain-after", type=pain_score, metavar="N", help="pain after the session, 0–10"
    )


def next_stage_of_plan(args: argparse.Namespace, today: date | None = None) -> int | None:
    """For a plan file run without --stage: the stage its rules give, announced; else None.

    Raises Refused when the rules say not to run now (rest, a missing pain score, the programme
    complete): the runner can still choose a stage with --stage."""
    if args.stage is not None or not is_plan_file(args.file):
        return None
    today = today or date.today()
    try:
        with Store.open() as store:
            programme, advice = advise(
                store, args.file, simulated=args.sim is not None, today=today
            )
    except StoreError as e:
        raise Refused(f"{e}; choose a stage with --stage N") from None
    for line in describe(programme, advice, today):
        print(line)
    try:
        return due_stage(advice, today)
    except NotDue as e:
        anyway = "N" if advice.stage is None else str(advice.stage)
        raise Refused(f"{e}; to run a stage anyway, give --stage {anyway}") from None


def pain_before(given: int | None, ask: Ask | None = None) -> int | None:
    """Pain before the session, given or asked; a warning if there is any."""
    score = ask_pain("Pain now?", given, ask)
    if score:
        print(
            f"pain {score}/10 before running: the programme runs pain-free, so this session "
            "will not count towards the next stage. Resting today may be wiser; with pain of "
            "3/10 or more, see a clinician before running."
        )
    return score


def ask_pain(question: str, given: int | None, ask: Ask | None = None) -> int | None:
    """`given` if there is one; else ask at a terminal (Enter skips); None without one."""
    if given is not None:
        return given
    if ask is None:
        if not sys.stdin.isatty():
            return None
        ask = input
    while True:
        try:
            answer = ask(f"{question} 0–10 (Enter to skip): ").strip()
        except EOFError:
            return None
        if not answer:
            return None
        try:
            return pain_score(answer)
        except argparse.ArgumentTypeError as e:
            print(e)


@contextlib.contextmanager
def recording_for(
    args: argparse.Namespace, timeline: Timeline, running_threshold_kmh: float
) -> Iterator[SessionRecording | None]:
    """The session's recording, or None (and a warning) if the history cannot be used: the run
    goes on unrecorded rather than not at all. Open it before the event loop starts."""
    start = session_start(
        timeline,
        plan_file=args.file if args.stage is not None else None,
        stage=args.stage,
        simulated=args.sim is not None,
        speedup=args.speedup,
    )
    recording = open_recording(start, running_threshold_kmh=running_threshold_kmh, warn=_warn_run)
    with contextlib.closing(recording) if recording is not None else contextlib.nullcontext():
        yield recording


def _warn_run(message: str) -> None:
    print(f"treadlink run: {message}", file=sys.stderr)


def after_session(
    recording: SessionRecording | None,
    pain_before: int | None,
    pain_after: int | None,
    ask: Ask | None = None,
    *,
    pain_during: int | None = None,
) -> None:
    """Once the recording is closed: pain after (given, or asked at a terminal), the scores
    stored, where the session was recorded and how to give the scores still missing. Nothing
    for a session that never began."""
    if recording is None or recording.session_id is None:
        return
    pain_after = ask_pain("Pain after the session?", pain_after, ask)
    scores: dict[PainMoment, int | None] = {
        "before": pain_before,
        "during": pain_during,
        "after": pain_after,
    }
    for moment, score in scores.items():
        if score is not None:
            recording.set_pain(moment, score)
    print(f"recorded as session {recording.session_id} (treadlink history)")
    if pain_during:
        print(
            f"pain during it: {pain_during}/10. The programme runs pain-free: this stage will "
            "be repeated (treadlink next says when)."
        )
    for line in still_to_give(recording.start, after_given=pain_after is not None):
        print(line)


def still_to_give(start: SessionStart, *, after_given: bool) -> list[str]:
    """The `treadlink pain` commands the runner has left to type for this session (a simulator
    session's with --sim, so that they reach it and not the runner's latest)."""
    pain = "treadlink pain --sim N" if start.simulated else "treadlink pain N"
    lines = [] if after_given else [f"pain after it: {pain} --moment after"]
    opens = next_morning_opens(start)
    lines.append(f"the next morning's pain, from {opens:%a %d %b %H:%M}: {pain}")
    return lines
