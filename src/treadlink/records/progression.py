"""The programme's rules applied to the runner's history: which stage comes next, why, and when.

A pure function of the attempts at a plan's stages and the plan's `progression:` rules (plan
data, see docs/plans.md): nothing here reads a file, a clock or the database. The decision
follows the latest attempt; the earliest day honours the rest owed after every running session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from treadlink.plans.model import Progression
from treadlink.records.model import PAIN_MOMENTS, PainMoment

DISCLAIMER = (
    "treadlink keeps the programme's rules for you; it is not medical advice. "
    "Your physiotherapist or doctor has the last word."
)

Decision = Literal["start", "advance", "repeat", "step_back", "record_pain", "complete"]

_SAID = {
    "before": "before the session",
    "during": "during it",
    "after": "after it",
    "next_morning": "the next morning",
}
# Asked for before moving on. Pain during a session is recorded when the runner felt some (a key
# on the screen, `--pain-during`, `treadlink pain N --moment during`); it counts like pain after.
_ASKED: tuple[PainMoment, ...] = ("before", "after", "next_morning")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One session at a stage of the plan, as the rules see it."""

    stage: int  # 1-based
    day: date  # the runner's calendar day it started on
    completed: bool  # ran to its end with no segment skipped
    ran: bool  # some running was done: rest days count from it
    pain: Mapping[PainMoment, int] = field(default_factory=dict)
    session_id: int = 0  # orders attempts of one day
    ended: str | None = None  # why it ended early, for the runner


@dataclass(frozen=True, slots=True)
class Advice:
    stage: int | None  # None once the programme is complete
    decision: Decision
    reason: str
    earliest: date
    clinician: str | None = None  # the plan's advice, after a step back
    session_id: int | None = None  # the attempt the decision follows
    pain: int = 0  # the worst pain recorded for that attempt


@dataclass(frozen=True, slots=True)
class _Verdict:
    decision: Decision
    stage: int | None
    reason: str
    rest_days: int
    clinician: str | None = None


def next_stage(attempts: Iterable[Attempt], rules: Progression, stages: int, today: date) -> Advice:
    """The stage the rules give after `attempts` (any order) in a plan of `stages` stages."""
    history = sorted(attempts, key=lambda a: (a.day, a.session_id))
    if not history:
        return Advice(1, "start", "no session of this plan recorded yet: start at stage 1", today)
    earliest = history[0].day
    for attempt in history:
        if attempt.ran:
            rest = _verdict(attempt, rules, stages).rest_days
            earliest = max(earliest, attempt.day + timedelta(days=1 + rest))
    last = history[-1]
    earliest = max(earliest, last.day)
    verdict = _verdict(last, rules, stages)
    return Advice(
        verdict.stage,
        verdict.decision,
        verdict.reason,
        earliest,
        verdict.clinician,
        last.session_id,
        max(last.pain.values(), default=0),
    )


def _verdict(attempt: Attempt, rules: Progression, stages: int) -> _Verdict:
    stage = min(max(attempt.stage, 1), stages)
    worst = max(attempt.pain.values(), default=0)
    where = f"pain {worst}/10 {_when(attempt, worst)} at stage {stage}"
    back = rules.step_back
    if worst >= back.pain:
        to = max(1, stage - back.stages)
        reason = f"{where} (≥ {back.pain}/10): step back to stage {to}"
        return _Verdict("step_back", to, reason, back.rest_days, back.advice)
    if worst > rules.pain_free:
        reason = f"{where}: repeat stage {stage} after extra rest"
        return _Verdict("repeat", stage, reason, rules.repeat.rest_days)
    if not attempt.completed:
        why = f" ({attempt.ended})" if attempt.ended else ""
        reason = f"stage {stage} ended early{why}: repeat it after extra rest"
        return _Verdict("repeat", stage, reason, rules.repeat.rest_days)
    needed = _ASKED
    if not rules.advance.next_morning_pain:
        needed = ("before", "after")
    missing = [m for m in needed if m not in attempt.pain]
    if missing:
        said = " and ".join(_SAID[m] for m in missing)
        reason = (
            f"stage {stage} was completed, but the pain {said} is not recorded: record it "
            f"({_how_to_record(missing, attempt.day, rules)}) before moving on"
        )
        return _Verdict("record_pain", stage, reason, rules.rest_days)
    up = stage + rules.advance.stages
    pain_free = f"pain ≤ {rules.pain_free}/10" if rules.pain_free else "no pain"
    if up > stages:
        reason = f"stage {stage}, the last, completed with {pain_free}: the programme is complete"
        return _Verdict("complete", None, reason, rules.rest_days)
    reason = f"stage {stage} completed with {pain_free} before, after and since: go on to {up}"
    return _Verdict("advance", up, reason, rules.rest_days)


def _when(attempt: Attempt, score: int) -> str:
    moments = [_SAID[m] for m in PAIN_MOMENTS if attempt.pain.get(m) == score]
    return " and ".join(moments)


def _how_to_record(missing: list[PainMoment], day: date, rules: Progression) -> str:
    """The commands that record the missing scores; the next morning's, from when it opens."""
    said = []
    for moment in missing:
        if moment == "next_morning":
            opens = datetime.combine(day + timedelta(days=1), rules.next_morning_from)
            said.append(f"treadlink pain N the next morning, from {opens:%a %d %b %H:%M}")
        else:
            said.append(f"treadlink pain N --moment {moment}")
    return "; ".join(said)
