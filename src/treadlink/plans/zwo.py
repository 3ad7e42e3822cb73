"""Zwift run workouts (.zwo) -> the same Stage model as a stage file, then compiled as usual.

Power values in a run workout are fractions of a pace-zone speed from the runner profile
(`pace="0"` 1 mile … `"4"` marathon; a missing pace means zone 0, the fastest, so the runner's
caps catch anything too quick). The product is rounded to the nearest speed on the treadmill's
grid - a pace fraction never lands on it by itself - and then checked like any setpoint.

Ramps (Warmup, Cooldown, Ramp) become one step per 30 s (or per 100 m when the workout is by
distance) at the ramp's speed at the middle of that slice; equal neighbours are merged. FreeRide
and anything else without a target speed is refused: a treadmill needs one. See
docs/decisions/0002-plan-format.md.

expat is used directly (not ElementTree) because it reports the line of every element, so each
refusal names the element and its line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn
from xml.parsers import expat

from treadlink.config import PACE_NAMES, RunnerProfile
from treadlink.plans.bounds import MAX_DISTANCE_M, MAX_SESSION_S, MAX_STEPS
from treadlink.plans.compile import compile_stage
from treadlink.plans.errors import PlanError, Problem
from treadlink.plans.limits import NOBLEPRO_ELITE, TreadmillLimits
from treadlink.plans.model import Stage
from treadlink.plans.timeline import Timeline
from treadlink.plans.validation import validate
from treadlink.sources import MAX_DEPTH, SourceMap, excerpt, read_bytes, reported_as

RAMP_SLICE_S: Final = 30.0
RAMP_SLICE_M: Final = 100.0

_METADATA: Final = {"author", "name", "description", "sportType", "durationType", "tags"}
_METADATA_ALSO: Final = {"category", "subcategory", "thumbnail"}
_RAMPS: Final = {"Warmup", "Cooldown", "Ramp"}
_ATTRIBUTES: Final[dict[str, set[str]]] = {
    "SteadyState": {"Duration", "Power", "pace"},
    "Warmup": {"Duration", "PowerLow", "PowerHigh", "pace"},
    "Cooldown": {"Duration", "PowerLow", "PowerHigh", "pace"},
    "Ramp": {"Duration", "PowerLow", "PowerHigh", "pace"},
    "IntervalsT": {"Repeat", "OnDuration", "OffDuration", "OnPower", "OffPower", "pace"},
}
# Attributes that only matter to a bike or to Zwift's display: accepted and ignored.
_IGNORED: Final = {"Cadence", "CadenceLow", "CadenceHigh", "CadenceResting", "Zone", "show_avg"}
_TEXT_EVENT_ATTRIBUTES: Final = {"timeoffset", "message", "duration", "y"}
_REFUSED: Final[dict[str, str]] = {
    "FreeRide": "has no target speed, and a treadmill needs one; use SteadyState with a Power",
    "MaxEffort": "has no target speed, and a treadmill needs one; use SteadyState with a Power",
}


@dataclass(slots=True)
class _Element:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Element] = field(default_factory=list)
    text: str = ""


def _parse_xml(data: bytes, file: str) -> _Element:
    """The element tree of a .zwo, read with expat hardened against what a workout never has.

    A document type declaration is refused outright: it is where entities are declared, and a
    workout needs neither (a few hundred bytes of nested entities expand to gigabytes). Without
    one, an entity reference other than the five predefined ones is a well-formedness error.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True  # text in one piece per run, not one call per line
    stack: list[_Element] = []
    roots: list[_Element] = []

    def refuse(message: str) -> NoReturn:
        raise PlanError([Problem(file, parser.CurrentLineNumber, "", message)])

    def doctype(*_: object) -> None:
        refuse("a document type declaration (<!DOCTYPE …>) is not allowed in a .zwo")

    def start(tag: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            refuse(f"elements nested more than {MAX_DEPTH} levels deep")
        element = _Element(tag, attrs, parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def text(chunk: str) -> None:
        if stack:
            stack[-1].text += chunk

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype  # not reached without a DOCTYPE; refused all the same
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except PlanError:  # refused by a handler above (a ValueError too: let it through as it is)
        raise
    except expat.ExpatError as e:
        # expat's own words, without its "not well-formed (…)" wrapper: said once, not twice.
        detail = expat.errors.messages.get(e.code, str(e))
        if detail.startswith("not well-formed (") and detail.endswith(")"):
            detail = detail.removeprefix("not well-formed (").removesuffix(")")
        problem = Problem(file, e.lineno, "", f"not well-formed XML: {detail}")
        raise PlanError([problem]) from None
    except (LookupError, ValueError) as e:  # an encoding declaration Python does not know
        message = f"cannot be decoded: {excerpt(str(e), quote=False)}"
        raise PlanError([Problem(file, 1, "", message)]) from None
    return roots[0]


class _Converter:
    def __init__(self, file: str, profile: RunnerProfile, limits: TreadmillLimits) -> None:
        self.file, self.profile, self.limits = file, profile, limits
        self.source = SourceMap(file)
        self.problems: list[Problem] = []
        self.by_distance = False

    def refuse(self, element: _Element, message: str, attribute: str | None = None) -> None:
        where = f"<{excerpt(element.tag, quote=False)}>"
        if attribute:
            where += f" {excerpt(attribute, quote=False)}"
        self.problems.append(Problem(self.file, element.line, where, message))

    def convert(self, root: _Element) -> dict[str, Any]:
        if root.tag != "workout_file":
            self.refuse(root, "a .zwo file's root element must be <workout_file>")
            raise PlanError(self.problems)
        meta = {c.tag: c for c in root.children if c.tag in _METADATA}
        sport = meta.get("sportType")
        if sport is None or sport.text.strip().lower() != "run":
            got = (
                "missing (Zwift's default is bike)"
                if sport is None
                else excerpt(sport.text.strip())
            )
            self.refuse(sport or root, f"not a run workout: sportType is {got}")
        if "durationType" in meta:
            kind = meta["durationType"].text.strip().lower()
            if kind not in ("time", "distance"):
                self.refuse(meta["durationType"], f"must be time or distance, got {excerpt(kind)}")
            self.by_distance = kind == "distance"
        workouts = [c for c in root.children if c.tag == "workout"]
        for c in root.children:
            if c.tag not in _METADATA | _METADATA_ALSO | {"workout"}:
                self.refuse(c, "unsupported element")
        items: list[dict[str, Any]] = []
        if len(workouts) != 1:
            self.refuse(root, f"needs exactly one <workout> element, found {len(workouts)}")
        elif len(workouts[0].children) > MAX_STEPS:
            count = len(workouts[0].children)
            self.refuse(workouts[0], f"has {count} elements; a stage may have at most {MAX_STEPS}")
        else:
            for element in workouts[0].children:
                items.extend(self.element(element, len(items)))
            if not items and not self.problems:
                self.refuse(workouts[0], "the workout is empty")
        stage: dict[str, Any] = {"items": items}
        for key in ("name", "description"):
            if key in meta and meta[key].text.strip():
                stage[key] = meta[key].text.strip()
        return stage

    # --- one workout element -> stage items --------------------------------------------------
    def element(self, e: _Element, first: int) -> list[dict[str, Any]]:
        if e.tag in _REFUSED:
            self.refuse(e, f"unsupported: {e.tag} {_REFUSED[e.tag]}")
            return []
        if e.tag not in _ATTRIBUTES:
            supported = ", ".join(sorted(_ATTRIBUTES))
            self.refuse(e, f"unsupported element (treadlink reads {supported})")
            return []
        for name in e.attrs:
            if name not in _ATTRIBUTES[e.tag] | _IGNORED:
                allowed = ", ".join(sorted(_ATTRIBUTES[e.tag]))
                self.refuse(e, f"unsupported attribute (supported: {allowed})", name)
        pace = self.pace(e)
        cues = self.text_events(e)
        if e.tag == "SteadyState":
            length = self.length(e, "Duration")
            speed = self.speed(e, "Power", pace)
            if length is None or speed is None:
                return []
            self.place(first, e, e.tag)
            return [self.segment(e.tag, speed, length, self.cues_within(e, cues, 0, length))]
        if e.tag in _RAMPS:
            return self.ramp(e, first, pace, cues)
        return self.intervals(e, first, pace, cues)

    def ramp(
        self, e: _Element, first: int, pace: float | None, cues: list[tuple[float, str]]
    ) -> list[dict[str, Any]]:
        length = self.length(e, "Duration")
        low = self.fraction(e, "PowerLow")
        high = self.fraction(e, "PowerHigh")
        if length is None or low is None or high is None or pace is None:
            return []
        size = RAMP_SLICE_M if self.by_distance else RAMP_SLICE_S
        slices: list[tuple[float, float]] = []  # (speed, length)
        done = 0.0
        while done < length - 1e-9:
            part = min(size, length - done)
            middle = (done + part / 2) / length
            speed = self.limits.nearest_speed((low + (high - low) * middle) * pace)
            if slices and slices[-1][0] == speed:  # merge: no pointless setpoint writes
                slices[-1] = (speed, slices[-1][1] + part)
            else:
                slices.append((speed, part))
            done += part
        out: list[dict[str, Any]] = []
        start = 0.0
        for n, (speed, part) in enumerate(slices, 1):
            name = f"{e.tag} {n}/{len(slices)}"
            self.place(first + len(out), e, name)
            within = self.cues_within(e, cues, start, part, last=n == len(slices))
            out.append(self.segment(name, speed, part, within))
            start += part
        return out

    def intervals(
        self, e: _Element, first: int, pace: float | None, cues: list[tuple[float, str]]
    ) -> list[dict[str, Any]]:
        on = self.length(e, "OnDuration")
        off = self.length(e, "OffDuration")
        on_speed = self.speed(e, "OnPower", pace)
        off_speed = self.speed(e, "OffPower", pace)
        repeat_text = e.attrs.get("Repeat", "1")
        try:
            repeat = int(repeat_text)
        except ValueError:
            repeat = 0
        if repeat < 1:
            self.refuse(
                e, f"must be a whole number of at least 1, got {excerpt(repeat_text)}", "Repeat"
            )
        if None in (on, off, on_speed, off_speed) or repeat < 1:
            return []
        assert on is not None
        assert off is not None
        assert on_speed is not None
        assert off_speed is not None
        # Text events count from the start of each repetition (they repeat with it).
        on_cues = self.cues_within(e, cues, 0, on, last=False)
        off_cues = self.cues_within(e, cues, on, off, last=True)
        self.place(first, e, e.tag)
        self.place_inner(first, 0, e, f"{e.tag} on")
        self.place_inner(first, 1, e, f"{e.tag} off")
        block = {
            "repeat": repeat,
            "name": e.tag,
            "items": [
                self.segment(f"{e.tag} on", on_speed, on, on_cues),
                self.segment(f"{e.tag} off", off_speed, off, off_cues),
            ],
        }
        return [block]

    # --- attribute readers -------------------------------------------------------------------
    def number(self, e: _Element, name: str) -> float | None:
        text = e.attrs.get(name)
        if text is None:
            self.refuse(e, "is missing", name)
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            self.refuse(e, f"must be a positive number, got {excerpt(text)}", name)
            return None
        return value

    def length(self, e: _Element, name: str) -> float | None:
        # Bounded here, not only by the stage model: a ramp is cut into slices before that.
        value = self.number(e, name)
        longest = MAX_DISTANCE_M if self.by_distance else MAX_SESSION_S
        if value is not None and value > longest:
            unit = "m" if self.by_distance else "s"
            limit = f"{longest / 1000:g} km" if self.by_distance else f"{longest / 3600:g} hours"
            self.refuse(e, f"{value:g} {unit} is longer than treadlink's limit of {limit}", name)
            return None
        return value

    def fraction(self, e: _Element, name: str) -> float | None:
        return self.number(e, name)

    def pace(self, e: _Element) -> float | None:
        text = e.attrs.get("pace", "0")
        if text.strip() not in {str(i) for i in range(len(PACE_NAMES))}:
            zones = ", ".join(f"{i} = {n}" for i, n in enumerate(PACE_NAMES))
            self.refuse(e, f"unknown pace zone {excerpt(text)} (zones: {zones})", "pace")
            return None
        return self.profile.pace_speed(int(text))

    def speed(self, e: _Element, name: str, pace: float | None) -> float | None:
        value = self.fraction(e, name)
        if value is None or pace is None:
            return None
        return self.limits.nearest_speed(value * pace)

    def text_events(self, e: _Element) -> list[tuple[float, str]]:
        cues: list[tuple[float, str]] = []
        for c in e.children:
            if c.tag.lower() != "textevent":
                self.refuse(c, f"unsupported element inside <{e.tag}>")
                continue
            for name in c.attrs:
                if name not in _TEXT_EVENT_ATTRIBUTES:
                    self.refuse(c, "unsupported attribute (supported: timeoffset, message)", name)
            message = c.attrs.get("message", "").strip()
            if not message:
                self.refuse(c, "is missing or empty", "message")
                continue
            try:
                offset = float(c.attrs.get("timeoffset", "0"))
            except ValueError:
                offset = math.nan
            if not math.isfinite(offset) or offset < 0:
                self.refuse(c, f"must be a number of seconds, got {excerpt(c.attrs['timeoffset'])}")
                continue
            if self.by_distance and offset > 0:
                self.refuse(c, "a time offset cannot be placed in a workout by distance")
                continue
            cues.append((offset, message))
        return cues

    def cues_within(
        self,
        e: _Element,
        cues: list[tuple[float, str]],
        start: float,
        length: float,
        *,
        last: bool = True,
    ) -> list[dict[str, Any]]:
        """The cues that fall in [start, start + length), relative to start; a cue past the
        element's end is refused (checked on its last part only, so it is reported once)."""
        out = []
        for offset, text in cues:
            if start <= offset < start + length or (offset == 0 == start):
                out.append({"at": offset - start, "text": text})
            elif last and offset >= start + length:
                self.refuse(e, f"text event at {offset:g} s is after the element ends")
        return out

    def segment(
        self, name: str, speed: float, length: float, cues: list[dict[str, Any]]
    ) -> dict[str, Any]:
        end = "distance" if self.by_distance else "for"
        return {"speed": speed, end: length, "name": name, "cues": cues}

    def place(self, index: int, e: _Element, label: str) -> None:
        self.source.lines[("items", index)] = e.line
        self.source.labels[("items", index)] = f"<{label}>"

    def place_inner(self, index: int, inner: int, e: _Element, label: str) -> None:
        path = ("items", index, "items", inner)
        self.source.lines[path] = e.line
        self.source.labels[path] = f"<{label}>"


def load_zwo(
    path: Path | str, profile: RunnerProfile, limits: TreadmillLimits = NOBLEPRO_ELITE
) -> Timeline:
    """A Zwift run workout as a Timeline, or PlanError naming each element and line at fault."""
    file = str(path)
    with reported_as(PlanError):
        data = read_bytes(path)
    converter = _Converter(file, profile, limits)
    stage_data = converter.convert(_parse_xml(data, file))
    if converter.problems:
        converter.problems.sort(key=lambda p: p.line or 0)
        raise PlanError(converter.problems)
    stage = validate(Stage, "stage", stage_data, converter.source).with_source(converter.source)
    return compile_stage(stage, profile, limits)
