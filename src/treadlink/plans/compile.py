"""Stage model + runner profile + treadmill limits -> Timeline of checked setpoints.

Every setpoint is checked here, once, against the runner's caps and the treadmill's range and
step; a value that fails is refused with the file and line it came from, never clamped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from treadlink.config import RunnerProfile
from treadlink.plans.bounds import MAX_SESSION_S, MAX_STEPS
from treadlink.plans.durations import format_duration
from treadlink.plans.errors import PlanError, Problem
from treadlink.plans.fitting import Fitting, Refusal
from treadlink.plans.limits import NOBLEPRO_ELITE, TreadmillLimits
from treadlink.plans.model import Item, Repeat, Segment, Stage
from treadlink.plans.timeline import Cue, RepeatInfo, Step, Timeline, Totals
from treadlink.treadmill.units import Range, SetpointError, setpoint_units

PathT = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a setpoint value was written: a path in the stage file, or the runner profile."""

    path: PathT | None  # None: the runner profile
    label: str  # e.g. "run speed" or "pace '5k' (9.5 km/h in the runner profile)"


def compile_stage(
    stage: Stage, profile: RunnerProfile, limits: TreadmillLimits = NOBLEPRO_ELITE
) -> Timeline:
    """Flatten `stage` into steps with checked setpoints, or raise PlanError with every problem."""
    return _Compiler(stage, profile, limits).run()


def _expanded(items: Sequence[Item]) -> int:
    """Steps `items` make once every repeat is expanded (computed, not expanded)."""
    return sum(
        item.repeat * _expanded(item.items) if isinstance(item, Repeat) else 1 for item in items
    )


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**12 else "more than 10^12"


class _Compiler:
    def __init__(self, stage: Stage, profile: RunnerProfile, limits: TreadmillLimits) -> None:
        self.stage, self.profile, self.limits = stage, profile, limits
        self.source = stage.source
        self.problems: list[Problem] = []
        self.steps: list[Step] = []
        self.clock: float | None = 0.0
        self.fitting = Fitting(limits, profile.max_speed)

    def run(self) -> Timeline:
        if self.too_many_steps(self.stage.items, ("items",)):
            raise PlanError(self.problems)  # before expanding anything
        self.walk(self.stage.items, ("items",), ())
        estimated = sum(s.estimated_duration_s for s in self.steps)
        if not self.problems and estimated > MAX_SESSION_S:
            self.problems.append(
                self.source.problem(
                    (),
                    f"the session would last {format_duration(round(estimated))} at these "
                    f"speeds; the longest treadlink runs is {MAX_SESSION_S / 3600:g} hours",
                )
            )
        if self.problems:
            self.problems.sort(key=lambda p: p.line or 0)
            raise PlanError(self.problems)
        steps = tuple(self.steps)
        return Timeline(
            name=self.stage.name or Path(self.source.file).stem,
            description=self.stage.description,
            source=self.source.file,
            steps=steps,
            totals=Totals.of(steps),
            notes=self.fitting.notes(),
        )

    def too_many_steps(self, items: Sequence[Item], path: PathT) -> bool:
        """Refuse a stage that expands past MAX_STEPS, naming the repeat block that does it."""
        total = _expanded(items)
        if total <= MAX_STEPS:
            return False
        where, count = path, total
        for i, item in enumerate(items):  # the outermost block that is too big by itself
            if isinstance(item, Repeat) and (n := _expanded([item])) > MAX_STEPS:
                if _expanded(item.items) > MAX_STEPS:
                    return self.too_many_steps(item.items, (*path, i, "items"))
                where, count = (*path, i, "repeat"), n
                break
        message = f"expands to {_count(count)} steps; a stage may have at most {MAX_STEPS:,}"
        self.problems.append(self.source.problem(where, message))
        return True

    def walk(self, items: Sequence[Item], path: PathT, repeats: tuple[RepeatInfo, ...]) -> None:
        for i, item in enumerate(items):
            here = (*path, i)
            if isinstance(item, Repeat):
                for n in range(1, item.repeat + 1):
                    info = RepeatInfo(n, item.repeat, item.name)
                    self.walk(item.items, (*here, "items"), (*repeats, info))
            else:
                self.segment(item, here, repeats)

    def segment(self, seg: Segment, path: PathT, repeats: tuple[RepeatInfo, ...]) -> None:
        speed, speed_origin = self.speed_of(seg, path)
        incline, incline_origin = self.incline_of(seg, path)
        speed, speed_units = self.check(
            speed, "speed", speed_origin, self.profile.max_speed, "max_speed"
        )
        incline, incline_units = self.check(
            incline, "incline", incline_origin, self.profile.max_incline, "max_incline"
        )
        duration, distance = seg.duration_s, seg.distance_m
        cues = self.cues_of(seg, path, duration)
        kind = seg.kind
        running = kind == "run" or (kind == "custom" and speed >= self.profile.running_threshold)
        if speed_units is None or incline_units is None:
            return
        self.steps.append(
            Step(
                index=len(self.steps),
                name=seg.name or (f"pace {seg.pace}" if seg.pace else kind),
                kind=kind,
                speed_kmh=speed,
                incline_pct=incline,
                speed_units=speed_units,
                incline_units=incline_units,
                duration_s=duration,
                distance_m=distance,
                running=running,
                start_s=self.clock,
                cues=cues,
                repeats=repeats,
                line=self.source.line_for(path),
            )
        )
        self.clock = None if self.clock is None or duration is None else self.clock + duration

    def speed_of(self, seg: Segment, path: PathT) -> tuple[float, _Origin]:
        if seg.kind in ("walk", "run"):
            key = f"{seg.kind}_speed"
            override: float | None = getattr(self.stage, key)
            if override is not None:
                return override, _Origin((key,), f"{seg.kind} speed")
            value: float = getattr(self.profile, key)
            return value, _Origin(None, f"{seg.kind} speed (from the runner profile)")
        if seg.pace is not None:
            value = self.profile.pace_speed(seg.pace)
            return value, _Origin(
                (*path, "pace"), f"pace {seg.pace!r} ({value:g} km/h in the runner profile)"
            )
        assert seg.speed is not None
        return seg.speed, _Origin((*path, "speed"), "speed")

    def incline_of(self, seg: Segment, path: PathT) -> tuple[float, _Origin]:
        if seg.incline is not None:
            return seg.incline, _Origin((*path, "incline"), "incline")
        if self.stage.incline is not None:
            return self.stage.incline, _Origin(("incline",), "incline")
        return self.profile.incline, _Origin(None, "incline (from the runner profile)")

    def check(
        self, value: float, what: str, origin: _Origin, cap: float, cap_name: str
    ) -> tuple[float, int | None]:
        """The value the step runs at (fitted to the treadmill: plans.fitting) and its wire
        units, or None units when refused."""
        unit = "km/h" if what == "speed" else "%"
        if value > cap:
            self.refuse(
                origin, f"{value:g} {unit} is above the runner's {cap_name} of {cap:g} {unit}"
            )
            return value, None
        try:
            fitted = self.fitting.speed(value) if what == "speed" else self.fitting.incline(value)
        except Refusal as e:
            self.refuse(origin, f"{value:g} {unit}: {e}")
            return value, None
        rng: Range | None = self.limits.speed if what == "speed" else self.limits.incline
        if rng is None:
            return fitted, 0  # flat on a treadmill without incline: nothing to write
        try:
            return fitted, setpoint_units(what, fitted, rng)
        except SetpointError:
            self.refuse(origin, f"{value:g} {unit} is not one the treadmill takes ({rng})")
            return value, None

    def refuse(self, origin: _Origin, message: str) -> None:
        if origin.path is None:
            self.problems.append(Problem(self.source.file, None, "", f"{origin.label} {message}"))
        else:
            self.problems.append(self.source.problem(origin.path, f"{origin.label} {message}"))

    def cues_of(self, seg: Segment, path: PathT, duration: float | None) -> tuple[Cue, ...]:
        cues = [Cue(0.0, seg.cue)] if seg.cue else []
        for i, c in enumerate(seg.cues):
            if duration is not None and c.at >= duration:
                self.problems.append(
                    self.source.problem(
                        (*path, "cues", i, "at"),
                        f"cue at {format_duration(c.at)} is not within its segment "
                        f"({format_duration(duration)} long)",
                    )
                )
            cues.append(Cue(c.at, c.text))
        return tuple(sorted(cues, key=lambda c: c.offset_s))
