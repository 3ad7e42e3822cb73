"""Command payloads, read strictly: anything unexpected is `Malformed` and changes nothing.

    parse("speed", b"8.5")              -> Setpoint("speed", 8.5)
    parse("speed", b'{"value": 8.5}')   -> Setpoint("speed", 8.5)
    parse("start", b'{"stage": "next"}') -> Start("next")
    parse("skip", b"")                  -> Button("skip")

Stop and pause act whatever the payload: a stop that cannot be read is still a stop (the safe
direction; docs/decisions/0009). Skip and resume take an empty payload, Home Assistant's `PRESS`,
or a JSON object. Range, grid and permission checks need the treadmill and the config: the
bridge does them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

from treadlink.mqtt.topics import COMMANDS

MAX_PAYLOAD: Final = 512  # bytes: a stage name or a number never needs more
MAX_STAGE: Final = 200  # characters of a stage name or relative path
ALWAYS_ACCEPTED: Final = frozenset({"stop", "pause"})  # whatever the payload or flags


class Malformed(ValueError):
    """A command payload that cannot be understood; the reason is sent back."""


@dataclass(frozen=True, slots=True)
class Button:
    name: str  # stop, pause, skip, resume


@dataclass(frozen=True, slots=True)
class Setpoint:
    name: str  # speed (km/h) or incline (%)
    value: float


@dataclass(frozen=True, slots=True)
class Start:
    stage: str  # a name in the workouts directory, a path inside it, or "next"


Command = Button | Setpoint | Start


def parse(name: str, payload: bytes) -> Command:
    if name not in COMMANDS:
        raise Malformed(f"unknown command {name!r} (known: {', '.join(COMMANDS)})")
    if name in ALWAYS_ACCEPTED:
        return Button(name)
    if len(payload) > MAX_PAYLOAD:
        raise Malformed(f"payload of {len(payload)} bytes is over the {MAX_PAYLOAD}-byte limit")
    if name in ("speed", "incline"):
        return Setpoint(name, _number(payload))
    if name == "start":
        return Start(_stage(payload))
    if payload.strip() not in (b"", b"PRESS") and not isinstance(_json(payload), dict):
        raise Malformed("a button takes an empty payload, PRESS or a JSON object")
    return Button(name)


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise Malformed(f"payload is not JSON ({e})") from None


def _no_constant(name: str) -> Any:
    raise Malformed(f"{name} is not a number")


def _number(payload: bytes) -> float:
    data = _json(payload)
    if isinstance(data, dict):
        if set(data) != {"value"}:
            raise Malformed('expected a number or {"value": number}')
        data = data["value"]
    if isinstance(data, bool) or not isinstance(data, int | float):
        raise Malformed(f"expected a number, got {json.dumps(data)[:40]}")
    try:
        value = float(data)
    except OverflowError:
        raise Malformed("the number is out of range") from None
    if not math.isfinite(value):
        raise Malformed(f"{value} is not a finite number")
    return value


def _stage(payload: bytes) -> str:
    data = _json(payload)
    if not isinstance(data, dict) or set(data) != {"stage"} or not isinstance(data["stage"], str):
        raise Malformed('expected {"stage": "<name>"}')
    stage: str = data["stage"]
    if not stage.strip() or len(stage) > MAX_STAGE or "\0" in stage:
        raise Malformed("the stage name is empty or too long")
    return stage
