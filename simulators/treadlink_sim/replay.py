"""`treadlink-sim --replay FILE`: a user's trace (docs/trace.md) as a machine profile.

    profile = profile_from_trace("unit.jsonl", local_name=None)   # then served as any profile

What the recording shows is taken as it is: the advertised name, the protocols (FTMS when the
table has 0x1826; FitShow when treadlink spoke it, on the service it spoke on), RSC, the Device
Information, the ranges (FTMS 0x2AD4/0x2AD5, or FitShow's INFO replies, with their units), the
GATT table with every value read (served as recorded: recorded.py), and FitShow's INFO replies.
From the frames: which telemetry fields the unit sends, how often (FTMS), and the countdown its
console announced. Everything else (how the belt moves, quirks) is the simulator's model: a
trace shows what a unit said, not why.
"""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path
from typing import Any, Final

from treadlink.ble.trace.format import TraceError, TraceFile, TraceHeader
from treadlink.fitshow.protocol import TRANSPORTS
from treadlink.fitshow.replies import (
    InclineInfo,
    ModelInfo,
    ReadyAck,
    SpeedInfo,
    StatusReply,
    decode_reply,
)
from treadlink.fitshow.units import NOBLEPRO_UNITS, STANDARD, SpeedUnit, Units
from treadlink.ftms.layouts import (
    decode_incline_range,
    decode_speed_range,
    decode_text,
    decode_treadmill_data,
)
from treadlink.ftms.protocol import DEVICE_INFORMATION_FIELDS, FITNESS_MACHINE_SERVICE
from treadlink.ftms.protocol import Characteristic as Char
from treadlink.treadmill.errors import MalformedFrame
from treadlink.treadmill.units import Range
from treadlink_sim.profile import (
    FITSHOW_SERVICES,
    RSC_SERVICE,
    MachineProfile,
    ProfileError,
    validated,
)
from treadlink_sim.quirks import Quirk

_SERVICES: Final = {f"{t.service:04x}": name for name, t in FITSHOW_SERVICES.items()}
_FITSHOW_NOTIFY: Final = frozenset(f"{t.notify:04x}" for t in TRANSPORTS)
_MAX_COUNTDOWN_S: Final = 30  # the profile's bound
_RATE_FRAMES: Final = 1000  # Treadmill Data frames the telemetry rate is judged on


def profile_from_trace(path: str | Path, **overrides: Any) -> MachineProfile:
    """The profile of the unit recorded in `path`, with `overrides` (profile fields); bad input
    is a ProfileError naming the file, its line and field."""
    origin = f"trace {path}"
    try:
        trace = TraceFile(path)
        trace.check()  # every line, before anything is taken from it
        data = _fields(trace, Path(path).name)
    except TraceError as e:
        raise ProfileError("trace " + "; ".join(str(p) for p in e.problems)) from None
    except MalformedFrame as e:
        raise ProfileError(f"{origin}: a static value cannot be decoded: {e}") from None
    return validated(data, origin, **overrides)


def _fields(trace: TraceFile, label: str) -> dict[str, Any]:
    h = trace.header
    ftms = h.has_service(f"{FITNESS_MACHINE_SERVICE:04x}")
    service = next((_SERVICES[s.uuid] for s in h.gatt if s.uuid in _SERVICES), None)
    fitshow = h.protocol == "fitshow" and service is not None
    if not ftms and not fitshow:
        raise ProfileError(
            f"trace {trace.file}: the recorded unit shows no Fitness Machine Service (0x1826) "
            "and treadlink spoke no FitShow to it: there is nothing to simulate"
        )
    data: dict[str, Any] = {
        "name": f"trace {label}",
        "local_name": h.name or "Recorded treadmill",
        "ftms": ftms,
        "fitshow": fitshow,
        "rsc": h.has_service(f"{RSC_SERVICE:04x}"),
        "gatt": _gatt(h),
        "fitshow_info": {name: raw.hex(" ") for name, raw in h.fitshow_info.items()},
        **_device_information(h),
    }
    units = STANDARD
    if fitshow:
        data["fitshow_service"] = service
        if service == "AE00":
            data["fitshow_incline_step_pct"] = NOBLEPRO_UNITS.incline_step_pct
        units = _fitshow_units(h, NOBLEPRO_UNITS if service == "AE00" else STANDARD)
        if units.speed is SpeedUnit.MPH:
            data["speed_unit"] = "mph"
            data["quirks"] = [Quirk.MPH_LABELLED_KMH] if ftms else []
        model = _reply(h, "model")
        if isinstance(model, ModelInfo):
            data["fitshow_brand"], data["fitshow_model_code"] = model.brand, model.model
    data |= _ranges(trace, h, ftms, units)
    data |= _from_frames(trace, ftms)
    return data


def _gatt(h: TraceHeader) -> list[dict[str, Any]]:
    return [
        {
            "uuid": s.uuid,
            "characteristics": [
                {
                    "uuid": c.uuid,
                    "properties": list(c.properties),
                    "value": h.static[c.uuid].hex(" ") if c.uuid in h.static else None,
                }
                for c in s.characteristics
            ],
        }
        for s in h.gatt
    ]


def _device_information(h: TraceHeader) -> dict[str, str]:
    # The profile requires these three; a unit without them serves none (recorded.served).
    values = {"manufacturer": "", "model": "", "serial": ""}
    for name, characteristic in DEVICE_INFORMATION_FIELDS.items():
        raw = h.static.get(f"{characteristic:04x}")
        if raw is not None:
            values[name] = decode_text(raw)
    return values


def _fitshow_units(h: TraceHeader, base: Units) -> Units:
    incline = h.fitshow_info.get("incline")
    reply = decode_reply(incline) if incline is not None else None
    unit = reply.speed_unit if isinstance(reply, InclineInfo) else None
    return Units(unit or SpeedUnit.KMH, base.incline_step_pct)


def _ranges(trace: TraceFile, h: TraceHeader, ftms: bool, units: Units) -> dict[str, Any]:
    """Speed and incline ranges in the profile's fields (the console's unit on FitShow)."""
    speed_raw = h.static.get(f"{Char.SUPPORTED_SPEED_RANGE:04x}") if ftms else None
    incline_raw = h.static.get(f"{Char.SUPPORTED_INCLINATION_RANGE:04x}") if ftms else None
    if speed_raw is not None:
        speeds = decode_speed_range(speed_raw)
        data: dict[str, Any] = dict(
            zip(("speed_min_kmh", "speed_max_kmh", "speed_step_kmh"), _values(speeds), strict=True)
        )
        if incline_raw is None:
            return data | {"incline": False}
        inclines = decode_incline_range(incline_raw)
        keys = ("incline_min_pct", "incline_max_pct", "incline_step_pct")
        return data | dict(zip(keys, _values(inclines), strict=True))
    speed = _reply(h, "speed")
    if not isinstance(speed, SpeedInfo):
        raise ProfileError(
            f"trace {trace.file}: it holds no speed range (FTMS 0x2AD4 read, or FitShow's "
            "INFO_SPEED reply): record it with `treadlink probe --record` until the probe has "
            "printed the ranges"
        )
    r = speed.range(units)
    data = {"speed_min_kmh": r.lowest, "speed_max_kmh": r.highest, "speed_step_kmh": r.value(1)}
    incline = _reply(h, "incline")
    if not isinstance(incline, InclineInfo):
        return data | {"incline": False}
    r = incline.range(units)
    return data | {
        "incline_min_pct": r.lowest,
        "incline_max_pct": r.highest,
        "incline_step_pct": r.value(1),
    }


def _values(r: Range) -> tuple[float, float, float]:
    return r.value(r.minimum), r.value(r.maximum), r.value(r.step)


def _reply(h: TraceHeader, name: str) -> object:
    raw = h.fitshow_info.get(name)
    return None if raw is None else decode_reply(raw)


def _from_frames(trace: TraceFile, ftms: bool) -> dict[str, Any]:
    """What the frames show: the telemetry fields sent, the FTMS rate, the countdown."""
    seen: set[str] = set()
    times: list[float] = []
    countdown = 0
    for frame in trace.frames():
        try:
            if frame.uuid == f"{Char.TREADMILL_DATA:04x}" and frame.op == "notify":
                seen |= decode_treadmill_data(frame.data).values.keys()
                if len(times) < _RATE_FRAMES:
                    times.append(frame.t)
            elif frame.uuid in _FITSHOW_NOTIFY:
                reply = decode_reply(frame.data)
                if isinstance(reply, StatusReply) and reply.workout is not None:
                    w = reply.workout
                    seen |= {"heart_rate_bpm"} if w.heart_rate else set()
                    seen |= {"step_count"} if w.steps else set()
                countdown = max(countdown, _countdown(reply))
        except MalformedFrame:
            continue  # a frame the unit garbled says nothing of what it is
    data: dict[str, Any] = {
        "heart_rate": "heart_rate_bpm" in seen,
        "step_count": "step_count" in seen,
        "energy": "energy_total_kcal" in seen,
        "countdown_s": min(countdown, _MAX_COUNTDOWN_S),
    }
    intervals = [b - a for a, b in itertools.pairwise(times) if b > a]
    if ftms and intervals:
        data["telemetry_hz"] = round(1 / statistics.median(intervals), 3)
    return data


def _countdown(reply: object) -> int:
    if isinstance(reply, ReadyAck) and reply.countdown_s is not None:
        return reply.countdown_s
    if isinstance(reply, StatusReply) and reply.countdown_s is not None:
        return reply.countdown_s
    return 0
