"""Exports read back by parsers that did not write them: fitdecode for FIT (written with Garmin's
SDK), tcxreader and minidom for TCX (written with ElementTree). Laps, times and distances must
match the record; the TCX element order must be the schema's, which Strava and Garmin check."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.dom import minidom

import fitdecode
import pytest
from tcxreader.tcxreader import TCXReader

from treadlink.records.export.activity import NothingToExport, activity
from treadlink.records.export.fit import write_fit
from treadlink.records.export.png import write_png
from treadlink.records.export.tcx import write_tcx
from treadlink.records.model import SessionRecord, SessionStart
from treadlink.records.recorder import Recorder
from treadlink.records.store import Store

T0 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
PLAN = [("walk", 5.5, 1.0, 120.0), ("run", 8.5, 1.0, 60.0), ("walk", 5.5, 2.0, 120.0)]


def recorded(tmp_path: Path) -> SessionRecord:
    """A 5-minute session at 4 Hz through the recorder and the store, as `run` records it."""
    with Store.open(tmp_path / "h.sqlite3") as store:
        sid = store.begin(SessionStart("Stage 1", "/stage-01.yaml", 300.0, T0, stage=1))
        items: list[Any] = []
        recorder = Recorder(items.append, running_threshold_kmh=7.0)
        distance, at = 0.0, 0.0
        for index, (kind, speed, incline, seconds) in enumerate(PLAN):
            recorder(
                {"event": "segment_started", "at": at, "index": index, "name": kind,
                 "segment_kind": kind, "speed_kmh": speed, "incline_pct": incline,
                 "duration_s": seconds, "distance_m": None, "cue": None}
            )  # fmt: skip
            for _ in range(int(seconds * 4)):
                at += 0.25
                distance += speed / 3.6 / 4
                recorder(
                    {"event": "telemetry", "at": at, "speed_kmh": speed, "incline_pct": incline,
                     "distance_m": math.floor(distance), "elapsed_time_s": math.floor(at),
                     "heart_rate_bpm": 100 + int(speed * 5)}
                )  # fmt: skip
        recorder({"event": "finished", "at": at, "completed": True, "segments_done": 3})
        store.write(sid, items)
        return store.session(sid)


def test_fit_reads_back_with_one_lap_per_segment(tmp_path: Path) -> None:
    record = recorded(tmp_path)
    out = tmp_path / "a.fit"
    write_fit(activity(record), out)
    messages: dict[str, list[dict[str, Any]]] = {}
    with fitdecode.FitReader(out, check_crc=fitdecode.CrcCheck.ENABLED) as fit:
        for frame in fit:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields}
                messages.setdefault(frame.name, []).append(fields)
    assert messages["file_id"][0]["type"] == "activity"
    laps = messages["lap"]
    assert len(laps) == len(record.laps) == 3
    for lap, recorded_lap in zip(laps, record.laps, strict=True):
        assert lap["sport"] == "running" and lap["sub_sport"] == "treadmill"
        assert lap["total_distance"] == pytest.approx(recorded_lap.distance_m, abs=0.01)
        assert lap["total_timer_time"] == pytest.approx(recorded_lap.time_s, abs=0.001)
        assert lap["start_time"] == T0 + timedelta(seconds=int(recorded_lap.start_s))
    assert [lap["intensity"] for lap in laps] == ["recovery", "active", "recovery"]
    (session,) = messages["session"]
    assert record.end is not None
    assert session["total_distance"] == pytest.approx(record.end.distance_m, abs=0.01)
    assert session["num_laps"] == 3
    records = messages["record"]
    assert len(records) == len(record.samples) == 301  # one per second, and the first frame
    stamps = [r["timestamp"] for r in records]
    assert stamps == sorted(set(stamps))
    assert records[-1]["distance"] == pytest.approx(record.samples[-1].distance_m or 0, abs=0.01)
    assert {r["grade"] for r in records} == {1.0, 2.0}  # the incline
    assert records[150]["enhanced_speed"] == pytest.approx(8.5 / 3.6, abs=0.001)
    assert records[0]["heart_rate"] == 127
    assert messages["activity"][0]["num_sessions"] == 1


def test_tcx_reads_back_with_one_lap_per_segment(tmp_path: Path) -> None:
    record = recorded(tmp_path)
    out = tmp_path / "a.tcx"
    write_tcx(activity(record), out)
    tcx = TCXReader().read(str(out), only_gps=False)  # a treadmill has no GPS
    assert len(tcx.laps) == 3
    assert tcx.distance == pytest.approx(record.samples[-1].distance_m, abs=0.01)
    assert len(tcx.trackpoints) == 301
    for lap, recorded_lap in zip(tcx.laps, record.laps, strict=True):
        assert lap.distance == pytest.approx(recorded_lap.distance_m, abs=0.01)
        assert lap.start_time == T0.replace(tzinfo=None) + timedelta(seconds=recorded_lap.start_s)
    assert tcx.trackpoints[150].tpx_ext["Speed"] == pytest.approx(8.5 / 3.6, abs=0.001)
    assert tcx.trackpoints[0].hr_value == 127
    assert tcx.altitude_max is None  # a treadmill climbs nothing: no altitude is made up

    # The lap totals, and the element order TrainingCenterDatabasev2.xsd prescribes.
    doc = minidom.parse(str(out))
    laps = doc.getElementsByTagName("Lap")
    for lap, recorded_lap in zip(laps, record.laps, strict=True):
        children = [c.tagName for c in lap.childNodes if c.nodeType == c.ELEMENT_NODE]
        assert children == [
            "TotalTimeSeconds", "DistanceMeters", "MaximumSpeed", "Calories",
            "AverageHeartRateBpm", "MaximumHeartRateBpm", "Intensity", "TriggerMethod",
            "Track", "Notes",
        ]  # fmt: skip
        seconds = lap.getElementsByTagName("TotalTimeSeconds")[0].firstChild
        assert seconds is not None and float(seconds.data) == recorded_lap.time_s  # type: ignore[attr-defined]
    point = doc.getElementsByTagName("Trackpoint")[0]
    assert [c.tagName for c in point.childNodes if c.nodeType == c.ELEMENT_NODE] == [
        "Time", "DistanceMeters", "HeartRateBpm", "Extensions",
    ]  # fmt: skip


def test_png_draws_target_and_actual(tmp_path: Path) -> None:
    out = tmp_path / "a.png"
    write_png(recorded(tmp_path), out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_session_without_laps_has_nothing_to_export(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.sqlite3") as store:
        sid = store.begin(SessionStart("Stage 1", "/stage-01.yaml", 300.0, T0))
        with pytest.raises(NothingToExport, match="ended before its first segment"):
            activity(store.session(sid))
