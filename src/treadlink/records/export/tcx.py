"""TCX (Garmin Training Center v2) with the standard library's ElementTree.

One Lap per segment with its Trackpoints (time, distance, heart rate, speed in the ActivityExtension
TPX), with the same start and timer time as the FIT file's laps (treadlink.records.export.activity).
A treadmill climbs nothing, so there is no AltitudeMeters, and TCX has no field for the incline.
A simulator session says so in the activity's Notes. Element order follows the TCX schema, which
Strava and Garmin Connect check.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from treadlink import __version__
from treadlink.records.export.activity import SIMULATED_NOTE, Activity, ActivityLap, Point

TCD = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA = f"{TCD} http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd"


def write_tcx(activity: Activity, out: Path) -> None:
    ET.register_namespace("", TCD)
    ET.register_namespace("ax", AX)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(_t("TrainingCenterDatabase"), {f"{{{XSI}}}schemaLocation": SCHEMA})
    element = _sub(_sub(root, "Activities"), "Activity", Sport="Running")
    _text(element, "Id", _time(activity.start))
    for lap in activity.laps:
        _lap(element, lap)
    record = activity.record
    notes = f"treadlink: {record.start.stage_name} (session {record.id})"
    if activity.simulated:
        notes = f"{SIMULATED_NOTE}. {notes}"
    _text(element, "Notes", notes)
    author = _sub(root, "Author", {f"{{{XSI}}}type": "Application_t"})
    _text(author, "Name", "treadlink")
    build = _sub(author, "Build")
    major, minor = [*__version__.split("."), "0", "0"][:2]
    version = _sub(build, "Version")
    _text(version, "VersionMajor", major)
    _text(version, "VersionMinor", minor)
    _text(author, "LangID", "en")
    _text(author, "PartNumber", "000-00000-00")
    ET.indent(root)
    ET.ElementTree(root).write(out, encoding="UTF-8", xml_declaration=True)


def _lap(parent: ET.Element, lap: ActivityLap) -> None:
    element = _sub(parent, "Lap", StartTime=_time(lap.start))
    _text(element, "TotalTimeSeconds", _num(lap.timer_s))
    _text(element, "DistanceMeters", _num(lap.lap.distance_m))
    _text(element, "MaximumSpeed", _num(lap.max_speed_ms))
    _text(element, "Calories", "0")
    if rates := lap.heart_rates:
        _text(_sub(element, "AverageHeartRateBpm"), "Value", str(round(sum(rates) / len(rates))))
        _text(_sub(element, "MaximumHeartRateBpm"), "Value", str(max(rates)))
    _text(element, "Intensity", "Active")
    _text(element, "TriggerMethod", "Manual")
    if lap.points:  # the schema wants at least one Trackpoint in a Track
        track = _sub(element, "Track")
        for point in lap.points:
            _trackpoint(track, point)
    _text(element, "Notes", f"{lap.lap.kind}: {lap.lap.name}")


def _trackpoint(track: ET.Element, p: Point) -> None:
    element = _sub(track, "Trackpoint")
    _text(element, "Time", _time(p.time))
    _text(element, "DistanceMeters", _num(p.distance_m))
    if p.heart_rate_bpm:
        _text(_sub(element, "HeartRateBpm"), "Value", str(p.heart_rate_bpm))
    if p.speed_ms is not None:
        tpx = ET.SubElement(_sub(element, "Extensions"), f"{{{AX}}}TPX")
        ET.SubElement(tpx, f"{{{AX}}}Speed").text = _num(p.speed_ms)


def _t(tag: str) -> str:
    return f"{{{TCD}}}{tag}"


def _sub(
    parent: ET.Element, tag: str, attrib: dict[str, str] | None = None, **extra: str
) -> ET.Element:
    return ET.SubElement(parent, _t(tag), {**(attrib or {}), **extra})


def _text(parent: ET.Element, tag: str, text: str) -> None:
    _sub(parent, tag).text = text


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
