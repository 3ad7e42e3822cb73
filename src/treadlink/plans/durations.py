"""Durations ("m:ss", "h:mm:ss", seconds) and distances ("400m", "1.2km", metres), by hand.

Parsing raises ValueError with a message that quotes what was written, so a loader can put it
next to the file and line unchanged.
"""

from __future__ import annotations

import math
import re

from treadlink.sources import excerpt

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{2}(?:\.\d+)?)$")
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)\s*s?$")
_DISTANCE = re.compile(r"^(\d+(?:\.\d+)?)\s*(m|km)$")


def _shown(value: object) -> str:
    return excerpt(value, quote=False)


def _number(value: object, what: str) -> float:
    # bool is an int in Python, but `walk: yes` is a mistake, not one second.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {_shown(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {_shown(value)}")
    return float(value)


def parse_duration(value: object) -> float:
    """Seconds from `90`, `"90"`, `"90s"`, `"1:30"` or `"1:01:30"`; positive, else ValueError."""
    if isinstance(value, str):
        text = value.strip()
        if m := _CLOCK.match(text):
            hours, minutes, seconds = m.group(1), int(m.group(2)), float(m.group(3))
            if seconds >= 60:
                raise ValueError(f"seconds must be below 60 in {excerpt(value)}")
            if hours is not None and minutes >= 60:
                raise ValueError(f"minutes must be below 60 in h:mm:ss, got {excerpt(value)}")
            total = (int(hours or 0) * 60 + minutes) * 60 + seconds
        elif m := _SECONDS.match(text):
            total = float(m.group(1))
        else:
            shapes = "m:ss, h:mm:ss or a number of seconds"
            raise ValueError(f"duration must look like {shapes}, got {excerpt(value)}")
    else:
        total = _number(value, "duration")
    if total <= 0:
        raise ValueError(f"duration must be positive, got {_shown(value)}")
    return total


def parse_distance(value: object) -> float:
    """Metres from `400`, `"400m"` or `"1.2km"`; positive and finite or ValueError."""
    if isinstance(value, str):
        text = value.strip()
        if m := _DISTANCE.match(text):
            metres = float(m.group(1)) * (1000 if m.group(2) == "km" else 1)
        elif m := re.match(r"^\d+(?:\.\d+)?$", text):
            metres = float(text)
        else:
            raise ValueError(
                f"distance must be metres or look like 400m or 1.2km, got {excerpt(value)}"
            )
    else:
        metres = _number(value, "distance")
    if metres <= 0:
        raise ValueError(f"distance must be positive, got {_shown(value)}")
    return metres


def looks_like_distance(value: object) -> bool:
    """True for text with a unit of length: `walk: 400m` ends by distance, `walk: 400` by time."""
    return isinstance(value, str) and bool(_DISTANCE.match(value.strip()))


def format_duration(seconds: float) -> str:
    """`m:ss` with minutes unbounded (the programme table writes 455:00); fractions kept."""
    if seconds < 0 or not math.isfinite(seconds):
        raise ValueError(f"cannot format a duration of {seconds} s")
    millis = round(seconds * 1000)  # to the millisecond, so 59.9996 s shows as 1:00
    whole, fraction = divmod(millis, 1000)
    text = f"{whole // 60}:{whole % 60:02d}"
    if fraction:
        text += f".{fraction:03d}".rstrip("0")
    return text


def format_distance(metres: float) -> str:
    """`400m` below a kilometre, `1.2km` from there: the way the files write it."""
    if metres >= 1000:
        return f"{metres / 1000:g}km"
    return f"{metres:g}m"
