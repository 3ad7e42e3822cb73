"""What the runner's screen says, as plain values: a pure function of the session's view.

The widgets only draw a `Face`; the tests read it too, so what is asserted is what is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from treadlink.plans.durations import format_duration
from treadlink.plans.timeline import Step
from treadlink.session.account import RUNNER_STOP
from treadlink.session.view import SessionView, ViewTracker

WORDS = {"walk": "WALK", "run": "RUN"}
PHASE_WORDS = {"idle": "READY", "starting": "READY", "paused": "PAUSED", "finished": "DONE"}
RUNNER_STOP_TODO = "p resume / q finish"


@dataclass(frozen=True, slots=True)
class FaultFace:
    """A latched fault (or a stop the treadmill has not confirmed) takes over the screen; so does
    the runner's own stop, which is no fault and says so."""

    what: str
    stop_accepted: bool
    belt_stopped: bool
    belt_kmh: float | None  # what the belt last reported, None when not known
    belt_doubt: str | None  # why the belt's speed is not known, if so
    todo: str
    urgent: bool  # the runner must act on the treadmill itself
    runner_stop: bool = False  # the runner pressed stop: not a fault


@dataclass(frozen=True, slots=True)
class Face:
    word: str  # WALK / RUN / PAUSED / ... (large)
    kind: str  # walk | run | custom | paused | idle | finished: the colour
    title: str
    cue: str
    countdown: str  # m:ss to the next change, or metres left
    countdown_label: str
    then: str  # what comes next
    then_big: str  # the next change in large type: its word and time, or END
    then_kind: str  # walk | run | custom | end: its colour
    speed: str
    incline: str
    distance: str
    elapsed: str  # the session's timer: stops and pauses excluded
    heart_rate: str | None  # None when the treadmill does not report it
    position_s: float  # where the runner is in the stage, in planned seconds
    fault: FaultFace | None


def clock_text(seconds: float) -> str:
    return format_duration(math.ceil(seconds)).split(".")[0]


def _kmh(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _span(step: Step) -> str:
    return clock_text(step.duration_s) if step.duration_s is not None else f"{step.distance_m:g} m"


def _step_text(step: Step) -> str:
    return f"{WORDS.get(step.kind, step.name)} {_span(step)} at {step.speed_kmh:.1f} km/h"


def _step_big(step: Step) -> str:
    """The next change as the runner reads it from afar: RUN 0:30 (a distance: RUN 400)."""
    word = WORDS.get(step.kind, step.name.upper())
    span = clock_text(step.duration_s) if step.duration_s is not None else f"{step.distance_m:g}"
    return f"{word} {span}"


def _cue(v: SessionView) -> str:
    """The segment's cue, or what the runner needs to know instead of it."""
    if v.phase == "paused":
        return f"Paused ({v.pause_reason}): press p to resume."
    if v.phase == "finished":
        return "Stage completed. Well done." if v.completed else "The session ended early."
    if v.segment is None:
        notes = "".join(f" {note[0].upper()}{note[1:]}." for note in v.notes)
        return f"Starting the belt…{notes}" if v.phase == "starting" else ""
    if v.not_followed is not None:
        return f"SPEED NOT FOLLOWED: {v.not_followed}"
    return v.segment.cue or v.segment.name


def fault_face(view: SessionView) -> FaultFace | None:
    stop = view.stop
    if view.fault is None and stop.unconfirmed_s is None:
        return None
    what = view.fault.message if view.fault is not None else f"stop ({stop.reason})"
    urgent = stop.unconfirmed_s is not None
    runner_stop = view.fault is not None and view.fault.kind == RUNNER_STOP
    if urgent:
        fact = "BELT NOT SEEN STOPPED" if stop.accepted else "STOP NOT CONFIRMED"
        todo = (
            f"{fact} after {stop.unconfirmed_s:.0f} s: USE THE TREADMILL'S STOP BUTTON OR PULL "
            "THE SAFETY KEY"
        )
    elif not view.link_up:
        todo = "The treadmill is not connected: step off the belt; treadlink is reconnecting."
    elif runner_stop:
        todo = RUNNER_STOP_TODO
    elif not (stop.accepted and stop.belt_stopped):
        todo = "Stopping the belt: hold the side rails and wait for it to stop."
    else:
        todo = "When you are ready: press a to acknowledge, then p to resume (q ends the session)."
    return FaultFace(
        what,
        stop.accepted,
        stop.belt_stopped,
        view.speed_kmh,
        view.speed_doubt,
        todo,
        urgent,
        runner_stop,
    )


def position_s(tracker: ViewTracker, remaining_s: float | None) -> float:
    """Planned seconds from the stage's start to where the runner is now."""
    seg = tracker.view.segment
    if tracker.timeline is None or seg is None:
        return 0.0
    steps = tracker.timeline.steps
    before = sum(s.estimated_duration_s for s in steps[: seg.index])
    current = steps[seg.index].estimated_duration_s
    if remaining_s is not None:
        return before + max(0.0, current - remaining_s)
    left_m = tracker.remaining_m()
    if left_m is not None and seg.distance_m:
        return before + current * (1 - left_m / seg.distance_m)
    return before


def face(tracker: ViewTracker, now: float) -> Face:
    """The screen at session time `now`."""
    v = tracker.view
    seg = v.segment
    remaining_s = tracker.remaining_s(now)
    next_step = tracker.next_step()
    kind: str
    if v.phase in PHASE_WORDS:
        word, kind = PHASE_WORDS[v.phase], v.phase
    elif seg is not None:
        word, kind = WORDS.get(seg.kind, seg.name.upper()), seg.kind
    else:
        word, kind = "READY", "idle"
    if remaining_s is not None:
        countdown, label = clock_text(remaining_s), "next change in"
    elif (left_m := tracker.remaining_m()) is not None:
        countdown, label = f"{left_m:.0f}", "metres to go"
    else:
        countdown, label = "", ""
    if next_step is None:
        then = "then: the end of the stage" if seg is not None else ""
        then_big, then_kind = ("END" if seg is not None else ""), "end"
    else:
        then = f"then: {_step_text(next_step)}"
        then_big, then_kind = _step_big(next_step), next_step.kind
    count = f" · segment {seg.index + 1} of {v.steps}" if seg is not None else ""
    target_incline = v.target_incline_pct
    return Face(
        word=word,
        kind=kind,
        title=f"{v.stage or 'treadlink'}{count} · {v.treadmill or 'no treadmill yet'}"
        + ("" if v.link_up else " · LINK DOWN"),
        cue=_cue(v),
        countdown=countdown,
        countdown_label=label,
        then=then,
        then_big=then_big,
        then_kind=then_kind,
        speed=(
            f"{_kmh(v.speed_kmh)} km/h (target {_kmh(v.target_speed_kmh)})"
            if v.speed_doubt is None
            else f"unknown ({v.speed_doubt})"
        ),
        incline=(
            f"{'—' if v.incline_pct is None else f'{v.incline_pct:.1f}'} % "
            f"(target {'—' if target_incline is None else f'{target_incline:.1f}'})"
        ),
        distance="—" if v.distance_m is None else f"{v.distance_m / 1000:.2f} km",
        elapsed=format_duration(int(tracker.timer_s(now))),
        heart_rate=None if v.heart_rate_bpm is None else f"{v.heart_rate_bpm} bpm",
        position_s=position_s(tracker, remaining_s),
        fault=fault_face(v),
    )
