"""When a pain score can be given for a session: the next morning's only from the next morning.

    opens = next_morning_opens(start)              # aware, in the runner's time zone
    check_moment(start, "next_morning", now)       # TooEarly(opens) minutes after the session

The programme's rule is pain 0/10 the next morning, so a "next-morning" score typed minutes after
the session would move the runner up a stage on a score that says nothing about the night. It is
taken from the calendar day after the session started (the runner's local time), from the hour
the plan's rules set (`progression.next_morning_from`, 04:00 if the plan sets none or the session
has no plan). `now` is always the caller's: nothing here reads a clock.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from treadlink.plans.errors import PlanError
from treadlink.records.model import PainMoment, SessionStart
from treadlink.records.programme import load_programme, plan_of

DEFAULT_NEXT_MORNING = time(4, 0)


class TooEarly(Exception):
    """A next-morning score given before the next morning; `opens` is when it can be."""

    def __init__(self, opens: datetime) -> None:
        super().__init__(f"the next morning's pain can be given from {opens:%a %d %b %Y %H:%M}")
        self.opens = opens


def morning_of(start: SessionStart) -> time:
    """The hour the session's plan takes next-morning scores from (blocking: reads the plan)."""
    plan = plan_of(start)
    if plan is None:
        return DEFAULT_NEXT_MORNING
    try:
        return load_programme(Path(plan)).rules.next_morning_from
    except PlanError:  # moved or broken since: the usual morning
        return DEFAULT_NEXT_MORNING


def next_morning_opens(start: SessionStart, morning: time | None = None) -> datetime:
    """The first moment a next-morning score counts: `morning` (else the plan's) on the calendar
    day after the session started, in the local time zone."""
    morning = morning_of(start) if morning is None else morning
    day = start.started_at.astimezone().date() + timedelta(days=1)
    return datetime.combine(day, morning).astimezone()  # naive local time made aware


def check_moment(
    start: SessionStart, moment: PainMoment, now: datetime, morning: time | None = None
) -> None:
    """TooEarly if a score for `moment` cannot be given at `now`."""
    if moment != "next_morning":
        return
    opens = next_morning_opens(start, morning)
    if now < opens:
        raise TooEarly(opens)
