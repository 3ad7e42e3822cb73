"""What the history commands share: opening the store and finding a session, with clear errors."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from treadlink.records.model import SessionRecord, SessionStart
from treadlink.records.store import NoSuchSession, Store, StoreError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class Refused(Exception):
    """A history command cannot go on; the message says why (exit status 2)."""


def open_store() -> Store:
    try:
        return Store.open()
    except StoreError as e:
        raise Refused(str(e)) from None


def find_session(store: Store, which: str, *, simulated: bool | None = None) -> SessionRecord:
    """`last` or a session id from `treadlink history`."""
    try:
        if which == "last":
            return store.session(store.last(simulated=simulated).id)
        if not which.isdigit():
            raise Refused(
                f"{which!r} is not a session: give an id from `treadlink history` or last"
            )
        return store.session(int(which))
    except NoSuchSession as e:
        hint = " (see `treadlink history`)" if which != "last" else ""
        raise Refused(f"{e}{hint}") from None


def report(command: str, error: Refused) -> int:
    print(f"treadlink {command}: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def when(at: datetime) -> str:
    """A time as the runner reads it: their own time zone, to the minute."""
    return at.astimezone().strftime("%a %d %b %Y %H:%M")


def pain_score(text: str) -> int:
    """argparse type for pain scores: whole numbers 0 to 10."""
    try:
        score = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"pain is a whole number from 0 to 10, not {text!r}"
        ) from None
    if not 0 <= score <= 10:
        raise argparse.ArgumentTypeError(f"pain is a whole number from 0 to 10, not {score}")
    return score


def stage_label(start: SessionStart) -> str:
    """The stage a session ran, its place in a plan, and [sim] for the simulator's."""
    plan = f" ({start.plan_name}, stage {start.stage})" if start.stage is not None else ""
    sim = " [sim]" if start.simulated else ""
    return f"{start.stage_name}{plan}{sim}"


def which_session(record: SessionRecord) -> str:
    """A session as the runner tells it apart: id, stage (and plan), simulator or not, start."""
    return f"session {record.id}: {stage_label(record.start)}, {when(record.start.started_at)}"
