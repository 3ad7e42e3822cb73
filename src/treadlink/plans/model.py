"""The stage and plan file formats as pydantic models (docs/plans.md describes them).

A segment is one mapping with one target (`walk`, `run`, `speed` or `pace`) and one end (a time or
a distance); a repeat block is `repeat: N` with its own `items`. Every model forbids unknown keys
so that a typo (`incilne: 2`) is an error, not a silently flat walk.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from treadlink.config import PACE_NAMES, PaceName
from treadlink.plans.bounds import MAX_DISTANCE_M, MAX_PLAN_STAGES, MAX_SESSION_S
from treadlink.plans.durations import (
    format_distance,
    looks_like_distance,
    parse_distance,
    parse_duration,
)
from treadlink.sources import SourceMap, excerpt

Kind = Literal["walk", "run", "custom"]


def _custom(message: str) -> PydanticCustomError:
    # A custom error type keeps pydantic from prefixing "Value error, " to our sentences.
    return PydanticCustomError("plan", message)


def _duration(value: Any) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as e:
        raise _custom(str(e)) from None
    return _within_session(seconds, value)


def _within_session(seconds: float, value: Any) -> float:
    if seconds > MAX_SESSION_S:
        raise _custom(
            f"{excerpt(value, quote=False)} is longer than the longest session treadlink runs "
            f"({MAX_SESSION_S / 3600:g} hours)"
        )
    return seconds


def _offset(value: Any) -> float:
    if value == 0 or value in ("0", "0:00"):
        return 0.0
    try:
        seconds = parse_duration(value)
    except ValueError as e:
        raise _custom(str(e).replace("duration", "cue time")) from None
    return _within_session(seconds, value)


def _distance(value: Any) -> float:
    try:
        metres = parse_distance(value)
    except ValueError as e:
        raise _custom(str(e)) from None
    if metres > MAX_DISTANCE_M:
        raise _custom(
            f"{excerpt(value, quote=False)} is longer than treadlink's longest segment "
            f"({format_distance(MAX_DISTANCE_M)})"
        )
    return metres


def _pace(value: Any) -> Any:
    if isinstance(value, str) and value in PACE_NAMES:
        return value
    raise _custom(f"unknown pace {excerpt(value)} (known: {', '.join(PACE_NAMES)})")


def _nonempty(what: str) -> Any:
    def check(items: list[Any]) -> list[Any]:
        if not items:
            raise _custom(f"{what} is empty")
        return items

    return AfterValidator(check)


def _at_most(limit: int, what: str, why: str) -> Any:
    def check(items: list[Any]) -> list[Any]:
        if len(items) > limit:
            raise _custom(f"{what} has {len(items)} entries; at most {limit} ({why})")
        return items

    return AfterValidator(check)


Duration = Annotated[float, BeforeValidator(_duration)]
Offset = Annotated[float, BeforeValidator(_offset)]
Distance = Annotated[float, BeforeValidator(_distance)]
Pace = Annotated[PaceName, BeforeValidator(_pace)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class End(_Strict):
    """How a segment ends: after `for` (a duration) or after `distance` (metres)."""

    for_: Duration | None = Field(None, alias="for")
    distance: Distance | None = None

    @model_validator(mode="after")
    def _one_end(self) -> End:
        if (self.for_ is None) == (self.distance is None):
            raise _custom("give either a duration (e.g. 3:00) or a distance (e.g. 400m)")
        return self


def _end_shorthand(value: Any) -> Any:
    # `run: 0:30` and `run: 400m` are the everyday forms; `run: {distance: 400}` the long one.
    if isinstance(value, dict | End):
        return value
    if looks_like_distance(value):
        return {"distance": value}
    return {"for": value}


EndSpec = Annotated[End, BeforeValidator(_end_shorthand)]


class TimedCue(_Strict):
    """A text shown `at` this far into its segment."""

    at: Offset
    text: str


class Segment(_Strict):
    """One constant speed and incline until a time or distance has passed."""

    walk: EndSpec | None = None
    run: EndSpec | None = None
    speed: Annotated[float, Field(gt=0)] | None = None
    pace: Pace | None = None
    for_: Duration | None = Field(None, alias="for")
    distance: Distance | None = None
    incline: float | None = None
    name: str | None = None
    cue: str | None = None
    cues: tuple[TimedCue, ...] = ()

    @model_validator(mode="after")
    def _one_target_one_end(self) -> Segment:
        targets = [k for k in ("walk", "run", "speed", "pace") if getattr(self, k) is not None]
        if len(targets) != 1:
            given = f" (has {' and '.join(targets)})" if targets else ""
            raise _custom(f"a segment needs exactly one of walk, run, speed or pace{given}")
        ends = [k for k, v in (("for", self.for_), ("distance", self.distance)) if v is not None]
        if targets[0] in ("walk", "run") and ends:
            raise _custom(
                f"write the end inside {targets[0]} (e.g. `{targets[0]}: 3:00`), not as {ends[0]}"
            )
        if targets[0] in ("speed", "pace") and len(ends) != 1:
            raise _custom(f"a {targets[0]} segment needs exactly one of for or distance")
        return self

    @property
    def kind(self) -> Kind:
        if self.walk is not None:
            return "walk"
        if self.run is not None:
            return "run"
        return "custom"

    @property
    def duration_s(self) -> float | None:
        end = self.walk or self.run
        return end.for_ if end is not None else self.for_

    @property
    def distance_m(self) -> float | None:
        end = self.walk or self.run
        return end.distance if end is not None else self.distance


class Repeat(_Strict):
    """`repeat: N` times the nested `items`."""

    repeat: Annotated[int, Field(ge=1)]
    items: Annotated[list[Item], _nonempty("a repeat block's items")]
    name: str | None = None


def _item_tag(value: Any) -> str:
    # Tags that cannot be keys in a file, so error locations map back to the data unambiguously.
    if isinstance(value, Repeat) or (isinstance(value, dict) and "repeat" in value):
        return "repeat-block"
    return "segment"


Item = Annotated[
    Annotated[Segment, Tag("segment")] | Annotated[Repeat, Tag("repeat-block")],
    Discriminator(_item_tag),
]
Repeat.model_rebuild()


class Stage(_Strict):
    """A stage file: one session. `walk_speed`, `run_speed`, `incline` override the profile."""

    name: str | None = None
    description: str | None = None
    walk_speed: Annotated[float, Field(gt=0)] | None = None
    run_speed: Annotated[float, Field(gt=0)] | None = None
    incline: float | None = None
    items: Annotated[list[Item], _nonempty("a stage's items")]

    _source: SourceMap = PrivateAttr(default_factory=lambda: SourceMap("<stage>"))

    @property
    def source(self) -> SourceMap:
        """Where the stage came from (file and lines), for error messages."""
        return self._source

    def with_source(self, source: SourceMap) -> Stage:
        self._source = source
        return self


PainScore = Annotated[int, Field(ge=0, le=10, strict=True)]
Stages = Annotated[int, Field(ge=1, le=100, strict=True)]
RestDays = Annotated[int, Field(ge=0, le=60, strict=True)]


class AdvanceRule(_Strict):
    """Move up after a completed session that was pain-free before, after (and next morning)."""

    stages: Stages = 1
    next_morning_pain: bool = True  # wait for the next morning's score before moving up


class RepeatRule(_Strict):
    """After any pain or a session that ended early: the same stage, after this much rest."""

    rest_days: RestDays


class StepBackRule(_Strict):
    """Pain at or above `pain`: this many stages back, this much rest, and the advice."""

    pain: Annotated[int, Field(ge=1, le=10, strict=True)]
    stages: Stages
    rest_days: RestDays
    advice: Annotated[str, Field(min_length=1)]


_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})")
LATEST_MORNING = time(12, 0)


def _morning(value: Any) -> time:
    """`next_morning_from`: a time of day as HH:MM, from 00:00 to 12:00 (a morning)."""
    m = _CLOCK_TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise _custom(f"expected a time of day as HH:MM (for example 04:00), got {excerpt(value)}")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if hours > 23 or minutes > 59:
        raise _custom(f"{excerpt(value)} is not a time of day")
    if (hours, minutes) > (LATEST_MORNING.hour, LATEST_MORNING.minute):
        raise _custom(
            f"{excerpt(value)} is past noon: the next morning's pain is given from a time "
            "between 00:00 and 12:00"
        )
    return time(hours, minutes)


MorningTime = Annotated[time, BeforeValidator(_morning)]


class Progression(_Strict):
    """A programme's rules, as data: `treadlink next` applies them to the runner's history."""

    pain_free: PainScore = 0  # the highest score that still counts as pain-free
    rest_days: RestDays  # whole days without running between two running sessions
    # The next morning's pain is taken from this time on the calendar day after the session.
    next_morning_from: MorningTime = time(4, 0)
    advance: AdvanceRule = AdvanceRule()
    repeat: RepeatRule
    step_back: StepBackRule

    @model_validator(mode="after")
    def _consistent(self) -> Progression:
        if self.step_back.pain <= self.pain_free:
            raise _custom(
                f"step_back.pain ({self.step_back.pain}) must be above pain_free "
                f"({self.pain_free}): pain that sends the runner back is never pain-free"
            )
        for rule in ("repeat", "step_back"):
            days = getattr(self, rule).rest_days
            if days < self.rest_days:
                raise _custom(
                    f"{rule}.rest_days ({days}) must be at least rest_days ({self.rest_days}): "
                    "a setback never shortens the rest"
                )
        return self


class PlanFile(_Strict):
    """A plan file: stage files in order, relative to the plan file, and its progression rules."""

    name: str | None = None
    description: str | None = None
    stages: Annotated[
        list[str],
        _nonempty("a plan's stages"),
        _at_most(MAX_PLAN_STAGES, "a plan's stages", "see Limits in docs/plans.md"),
    ]
    progression: Progression | None = None


# What each kind of mapping accepts, for "unknown key" messages.
KEYS: dict[str, tuple[str, ...]] = {
    "segment": tuple(f.alias or n for n, f in Segment.model_fields.items()),
    "repeat-block": tuple(Repeat.model_fields),
    "end": tuple(f.alias or n for n, f in End.model_fields.items()),
    "cue": tuple(TimedCue.model_fields),
    "stage": tuple(Stage.model_fields),
    "plan": tuple(PlanFile.model_fields),
    "progression": tuple(Progression.model_fields),
    "advance": tuple(AdvanceRule.model_fields),
    "repeat": tuple(RepeatRule.model_fields),
    "step_back": tuple(StepBackRule.model_fields),
}
