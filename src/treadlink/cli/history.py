"""`treadlink history [--json]`: every recorded session, oldest first."""

from __future__ import annotations

import argparse
import json
from typing import Any

from treadlink.cli.records_common import (
    EXIT_OK,
    Refused,
    open_store,
    report,
    stage_label,
    when,
)
from treadlink.plans import format_duration
from treadlink.records.model import SessionRecord


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history",
        help="list the recorded sessions",
        description="Every `treadlink run`, oldest first: stage, start, outcome, time and "
        "distance walked and run (from the treadmill's own counters), pain before, after and "
        "the next morning. Sessions on the simulator are marked sim. The history lives in the "
        "user's data directory ($TREADLINK_DATA_DIR overrides it).",
    )
    p.add_argument("--json", action="store_true", help="print the sessions as a JSON list")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        store = open_store()
    except Refused as e:
        return report("history", e)
    with store:
        sessions = store.sessions()
        if args.json:
            print(json.dumps([as_json(s) for s in sessions], indent=2))
            return EXIT_OK
        if not sessions:
            print(f"no sessions recorded yet (history: {store.path})")
            return EXIT_OK
        for record in sessions:
            print(line(record))
        print(f"{len(sessions)} session(s); history: {store.path}")
    return EXIT_OK


def as_json(record: SessionRecord) -> dict[str, Any]:
    start, end = record.start, record.end
    out: dict[str, Any] = {
        "id": record.id,
        "plan": start.plan_name,
        "plan_file": start.plan_file,
        "stage": start.stage,
        "stage_name": start.stage_name,
        "stage_file": start.stage_file,
        "simulated": start.simulated,
        "speedup": start.speedup,
        "started_at": start.started_at.isoformat(),
        "ended_at": end.ended_at.isoformat() if end else None,
        "outcome": record.outcome,
        "reason": end.reason if end else None,
        "planned_s": start.planned_s,
        "pain": dict(record.pain),
    }
    if end is not None:
        out |= {
            "done_s": end.done_s,
            "paused_s": end.paused_s,
            "walk_s": end.walk_s,
            "walk_m": end.walk_m,
            "run_s": end.run_s,
            "run_m": end.run_m,
            "distance_m": end.distance_m,
            "segments_done": end.segments_done,
            "segments_skipped": end.segments_skipped,
            "treadmill": end.treadmill,
        }
    return out


def line(record: SessionRecord) -> str:
    start, end = record.start, record.end
    outcome = record.outcome + (f" ({end.reason})" if end is not None and end.reason else "")
    parts = [f"#{record.id:<4} {when(start.started_at)}  {stage_label(start)}", outcome]
    if end is not None:
        parts.append(
            f"{_minutes(end.done_s)} of {_minutes(start.planned_s)}; "
            f"walk {_minutes(end.walk_s)} {end.walk_m / 1000:.2f} km, "
            f"run {_minutes(end.run_s)} {end.run_m / 1000:.2f} km"
        )
    pain = ", ".join(f"{k.replace('_', ' ')} {v}/10" for k, v in record.pain.items())
    parts.append(f"pain {pain}" if pain else "pain not recorded")
    return " · ".join(parts)


def _minutes(seconds: float) -> str:
    return format_duration(round(seconds))
