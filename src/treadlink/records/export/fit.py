"""FIT activity files with Garmin's own FIT SDK (garmin-fit-sdk; docs/decisions/0006).

Messages in the order Garmin's activity-file guide recommends: file id, device info, the timer's
events and one record per sample in time order, one lap per segment, the session, the activity.
Sport running, sub-sport treadmill. The timer starts with the first segment; each stop and pause
is a timer stop and, when the runner resumes, a timer start; it stops for good at the plan's end
(the belt's slowing down after it is in the last lap's elapsed time, not its timer time). The
incline goes in each record's `grade`; a treadmill climbs nothing, so there is no altitude. A
simulator session says so in its product name.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from garmin_fit_sdk import FIT_EPOCH_S, Encoder, Profile

from treadlink.records.export.activity import SIMULATED, Activity, ActivityLap, Point

MESG = Profile["mesg_num"]


def fit_bytes(activity: Activity) -> bytes:
    encoder = Encoder()
    start, end = activity.start, activity.end
    write = encoder.write_mesg
    product = f"treadlink {SIMULATED}" if activity.simulated else "treadlink"
    write(
        {
            "mesg_num": MESG["FILE_ID"],
            "type": "activity",
            "manufacturer": "development",
            "product": 0,
            "serial_number": 1,
            "time_created": start,
            "product_name": product,
        }
    )
    write(
        {
            "mesg_num": MESG["DEVICE_INFO"],
            "timestamp": start,
            "device_index": "creator",
            "manufacturer": "development",
            "product": 0,
            "product_name": product,
        }
    )
    for _, _, message in sorted(_timeline(activity), key=lambda item: item[:2]):
        write(message)
    for i, lap in enumerate(activity.laps):
        write(_lap(i, lap))
    write(
        {
            "mesg_num": MESG["SESSION"],
            "message_index": 0,
            "timestamp": end,
            "start_time": start,
            "event": "lap",
            "event_type": "stop",
            "trigger": "activity_end",
            "sport": "running",
            "sub_sport": "treadmill",
            "first_lap_index": 0,
            "num_laps": len(activity.laps),
            "total_elapsed_time": activity.elapsed_s,
            "total_timer_time": activity.timer_s,
            "total_distance": activity.distance_m,
            "avg_speed": _average_speed(activity.distance_m, activity.timer_s),
            "max_speed": max(lap.max_speed_ms for lap in activity.laps),
            **_heart([rate for lap in activity.laps for rate in lap.heart_rates]),
        }
    )
    write(
        {
            "mesg_num": MESG["ACTIVITY"],
            "timestamp": end,
            "local_timestamp": _local(end),
            "total_timer_time": activity.timer_s,
            "num_sessions": 1,
            "type": "manual",
            "event": "activity",
            "event_type": "stop",
        }
    )
    return encoder.close()


def write_fit(activity: Activity, out: Path) -> None:
    out.write_bytes(fit_bytes(activity))


def _timeline(activity: Activity) -> list[tuple[datetime, int, dict[str, Any]]]:
    """Timer events and records, each with its time and its order within that second: a timer
    start before the record of its second, a timer stop after it."""
    items: list[tuple[datetime, int, dict[str, Any]]] = []
    for span in activity.running:
        items.append((span.start, 0, _event(span.start, "start")))
        last = span.end == activity.end
        items.append((span.end, 2, _event(span.end, "stop_all" if last else "stop")))
    if not activity.running or activity.running[-1].end != activity.end:
        items.append((activity.end, 3, _event(activity.end, "stop_all")))
    for lap in activity.laps:
        items += [(p.time, 1, _record(p)) for p in lap.points]
    return items


def _record(p: Point) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "mesg_num": MESG["RECORD"],
        "timestamp": p.time,
        "distance": p.distance_m,
    }
    if p.speed_ms is not None:
        fields["speed"] = fields["enhanced_speed"] = p.speed_ms
    if p.incline_pct is not None:
        fields["grade"] = p.incline_pct
    if p.heart_rate_bpm:
        fields["heart_rate"] = p.heart_rate_bpm
    return fields


def _lap(index: int, lap: ActivityLap) -> dict[str, Any]:
    return {
        "mesg_num": MESG["LAP"],
        "message_index": index,
        "timestamp": lap.end,
        "start_time": lap.start,
        "event": "lap",
        "event_type": "stop",
        "lap_trigger": "manual",
        "sport": "running",
        "sub_sport": "treadmill",
        "intensity": "active" if lap.lap.kind == "run" else "recovery",
        "total_elapsed_time": lap.elapsed_s,
        "total_timer_time": lap.timer_s,
        "total_distance": lap.lap.distance_m,
        "avg_speed": _average_speed(lap.lap.distance_m, lap.timer_s),
        "max_speed": lap.max_speed_ms,
        "wkt_step_index": lap.lap.index,
        **_heart(lap.heart_rates),
    }


def _event(at: datetime, kind: str) -> dict[str, Any]:
    return {
        "mesg_num": MESG["EVENT"],
        "timestamp": at,
        "event": "timer",
        "event_type": kind,
        "event_group": 0,
    }


def _heart(rates: list[int]) -> dict[str, int]:
    if not rates:
        return {}
    return {"avg_heart_rate": round(sum(rates) / len(rates)), "max_heart_rate": max(rates)}


def _average_speed(distance_m: float, time_s: float) -> float:
    return distance_m / time_s if time_s > 0 else 0.0


def _local(at: datetime) -> int:
    """FIT local_date_time: seconds since the FIT epoch on the runner's wall clock."""
    local = at.astimezone()
    offset = local.utcoffset()
    seconds = at.timestamp() + (offset.total_seconds() if offset is not None else 0)
    return round(seconds) - FIT_EPOCH_S
