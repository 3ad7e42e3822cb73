"""Run every benchmark, print a table, write bench-results/latest.json.

make bench                      # or: python -m benchmarks [--quick] [--only NAME,...]

Machines here are shared and noisy: each step records the 1-minute load average before and after
it, and the run records its nice level, so a figure can be read against the load it ran under.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    boundaries,
    cadence,
    clinic,
    estop,
    mqtt_stop,
    programme,
    recorder,
    round_trip,
    screen_keys,
    serve_footprint,
    startup,
    trace,
)

RESULTS = Path(__file__).resolve().parents[1] / "bench-results" / "latest.json"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer trials, for a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output file")
    parser.add_argument(
        "--only",
        metavar="NAME,...",
        help="run only these steps (names as in the JSON, e.g. mqtt_stop,clinic)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("bumble").setLevel(logging.CRITICAL)  # its own teardown races
    quick = args.quick
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "nice": os.nice(0),
        "load_average": {},
    }
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("set_speed_round_trip", lambda: asyncio.run(round_trip.measure(50 if quick else 300))),
        ("estop", lambda: estop.measure(100, 20, 2) if quick else estop.measure()),
        ("stop_cadence", lambda: asyncio.run(cadence.measure(3.0 if quick else 6.0))),
        ("boundaries", lambda: asyncio.run(boundaries.measure(20 if quick else 180))),
        ("programme_fake_time_4hz", lambda: programme.measure(4.0)),
        ("programme_fake_time_1hz", lambda: programme.measure(1.0)),
        ("run_sim_startup", lambda: startup.measure(2 if quick else 7)),
        ("recorder", recorder.measure),
        ("trace", lambda: trace.measure(2_000 if quick else 28_800)),
        ("screen_key_stop", lambda: screen_keys.measure(15 if quick else 60)),
        ("mqtt_stop", lambda: mqtt_stop.measure(20 if quick else 100)),
        ("serve_footprint", lambda: serve_footprint.measure(10 if quick else 60)),
        ("clinic", lambda: clinic.measure(10, 3 if quick else 20)),
    ]
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {name for name, _ in steps}
        if unknown:
            parser.error(f"--only: no step named {', '.join(sorted(unknown))}")
        steps = [(name, bench) for name, bench in steps if name in wanted]
    for name, bench in steps:
        print(f"… {name} (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
        before = os.getloadavg()[0]
        results[name] = bench()
        results["load_average"][name] = [before, os.getloadavg()[0]]
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


def print_table(r: dict[str, Any]) -> None:
    """One row per figure, for the steps that ran (`--only` runs a few)."""
    rows: list[tuple[str, str, str]] = []
    for name, row_maker in _ROWS:
        if name in r:
            rows += row_maker(r[name])
    width = max((len(row[0]) for row in rows), default=0)
    for label, value, goal in rows:
        print(f"{label:<{width}}  {value:<46} {goal}")
    loads = ", ".join(f"{k} {a:.1f}→{b:.1f}" for k, (a, b) in r["load_average"].items())
    print(f"\nload average (1 min) before→after each step ({r['cpus']} CPUs, nice {r['nice']}):")
    print(f"  {loads}")


Rows = list[tuple[str, str, str]]


def _estop_rows(e: dict[str, Any]) -> Rows:
    return [
        ("e-stop → Stop bytes, treadlink, idle", _ms(e["treadlink"]["idle_ms"]), "p99 ≤ 5 ms"),
        (
            "e-stop → Stop bytes, treadlink, command pending",
            _ms(e["treadlink"]["pending_ms"]),
            "p99 ≤ 5 ms",
        ),
        (
            "e-stop → Stop bytes, display + events file listening",
            _ms(e["treadlink"]["with_display_and_record_ms"]),
            "p99 ≤ 5 ms",
        ),
        ("stop() → Stop bytes, pyftms client, idle", _ms(e["pyftms"]["idle_ms"]), ""),
        ("stop() → Stop bytes, pyftms, command pending", _ms(e["pyftms"]["pending_ms"]), ""),
    ]


def _cadence_rows(c: dict[str, Any]) -> Rows:
    return [
        (
            "Stop cadence, treadmill silent",
            f"median {c['interval_s']['median'] * 1000:.1f} ms between writes, "
            f"min {c['interval_s']['min'] * 1000:.1f}, max {c['interval_s']['max'] * 1000:.1f} "
            f"(n={c['interval_s']['n']})",
            "250 ms ± 10 %",
        )
    ]


def _round_trip_rows(rt: dict[str, Any]) -> Rows:
    return [
        ("set speed round trip, treadlink", _ms(rt["treadlink_ms"]), ""),
        ("set speed round trip, pyftms client", _ms(rt["pyftms_ms"]), ""),
        (
            "ratio pyftms / treadlink (median)",
            f"{rt['pyftms_ms']['median'] / rt['treadlink_ms']['median']:.2f}×",
            "",
        ),
    ]


def _boundary_rows(b: dict[str, Any]) -> Rows:
    return [
        (f"boundary lag ({b['boundaries']} boundaries)", _ms(b["lag_ms"]), "p99 ≤ 10 ms"),
        (
            f"drift over {b['session_s']:.0f} s",
            f"{b['drift_ms_per_hour']:+.3f} ms/h "
            f"(last boundary {b['last_boundary_lag_ms']:.3f} ms late)",
            "zero drift",
        ),
    ]


def _programme_rows(p: dict[str, Any]) -> Rows:
    return [
        (
            f"15 stages in fake time, {p['telemetry_hz']:g} Hz telemetry",
            f"{p['wall_s']:.1f} s wall for {p['simulated_s'] / 3600:.2f} h: {p['speedup']:.0f}×",
            "≥ 2000×",
        )
    ]


def _startup_rows(r: dict[str, Any]) -> Rows:
    s = r["to_belt_moving_s"]
    return [
        (
            "treadlink run --sim: start to belt moving",
            f"median {s['median']:.2f} s, max {s['max']:.2f} s (n={s['n']})",
            "< 2 s",
        )
    ]


def _recorder_rows(rec: dict[str, Any]) -> Rows:
    us = rec["listener_us"]
    return [
        (
            f"recorder listener on the loop ({rec['events']} events)",
            f"median {us['median']:.1f} µs, p99 {us['p99']:.1f} µs; close {rec['close_ms']:.0f} ms",
            "no disk I/O on the loop",
        )
    ]


def _trace_rows(t: dict[str, Any]) -> Rows:
    rows: Rows = []
    for kind in ("paced", "burst"):
        r = t[kind]
        us = r["record_us"]
        rows.append(
            (
                f"trace tap on the loop, {kind} ({t['frames']} frames)",
                f"median {us['median']:.1f} µs, p99 {us['p99']:.1f} µs; {r['dropped']} dropped; "
                f"peak {r['peak_kib']:.0f} KiB",
                "no disk I/O on the loop; memory bounded",
            )
        )
    replay = f"{t['replay_frames_per_s']:.0f} frames/s ({t['file_kib']:.0f} KiB)"
    return [*rows, ("probe --replay decoding an hour's trace", replay, "")]


def _screen_rows(k: dict[str, Any]) -> Rows:
    return [
        ("key press → Stop bytes, full screen, 10 Hz", _ms(k["screen_ms"]), "p99 ≤ 20 ms"),
        ("key press → Stop bytes, --plain, 10 Hz", _ms(k["plain_ms"]), ""),
        ("Esc → Stop bytes, full screen (parser waits ESCDELAY)", _ms(k["screen_esc_ms"]), ""),
        (
            "ratio screen / --plain (p99)",
            f"{k['screen_ms']['p99'] / k['plain_ms']['p99']:.2f}×",
            "≤ 2×",
        ),
    ]


def _mqtt_stop_rows(m: dict[str, Any]) -> Rows:
    flood = f"flood {m['flood_msg_per_s']:.0f} msg/s"
    rows: Rows = []
    for label, key, goal in (
        ("publish → Stop bytes", "total_ms", "p99 ≤ 10 ms"),
        ("  publish → bridge on_message", "publish_to_bridge_ms", ""),
        ("  on_message → Stop bytes", "bridge_to_stop_bytes_ms", ""),
        ("  floor: publish → bare subscriber", "broker_floor_ms", ""),
    ):
        rows += [
            (f"MQTT command/stop {label}, idle", _ms(m["idle"][key]), goal),
            (f"MQTT command/stop {label}, {flood}", _ms(m["flood"][key]), goal),
            (
                f"MQTT command/stop {label}, {flood}, {m['stall_ms']:.0f} ms stall",
                _ms(m["flood_stalled"][key]),
                "",
            ),
        ]
    ratio = m["flood"]["total_ms"]["median"] / m["idle"]["total_ms"]["median"]
    loads = ", ".join(
        f"{key} {m[key]['load_1min'][0]:.1f}→{m[key]['load_1min'][1]:.1f}"
        for key in ("idle", "flood", "flood_stalled")
    )
    rows.append(("MQTT command/stop flood / idle (median)", f"{ratio:.2f}× (load {loads})", ""))
    return rows


def _footprint_rows(f: dict[str, Any]) -> Rows:
    return [
        (
            f"serve --sim, session, {f['telemetry_hz']:g} Hz telemetry: CPU",
            f"{f['cpu_pct_of_one_core']:.2f} % of one core over {f['window_s']:g} s",
            "< 2 %",
        ),
        ("serve --sim, session: RSS", f"{f['rss_mb']:.1f} MB", "< 100 MB"),
    ]


def _clinic_rows(r: dict[str, Any]) -> Rows:
    rows: Rows = []
    for key, label in (("one", "1 bridge"), ("clinic", f"clinic of {r['clinic']['bridges']}")):
        c = r[key]
        cpu = c["cpu_pct_per_bridge"]
        rows += [
            (
                f"{label}: command/stop → stop_requested back (round trip)",
                _ms(c["round_trip_ms"]),
                "p99 unchanged",
            ),
            (
                f"{label}: CPU per bridge at {c['speedup']:g}× speed-up",
                f"median {cpu['median']:.1f} %, max {cpu['max']:.1f} %",
                "",
            ),
        ]
    ratio = r["clinic"]["round_trip_ms"]["median"] / r["one"]["round_trip_ms"]["median"]
    rows.append(("clinic / 1 bridge, round trip (median)", f"{ratio:.2f}×", ""))
    return rows


_ROWS: list[tuple[str, Callable[[dict[str, Any]], Rows]]] = [
    ("estop", _estop_rows),
    ("stop_cadence", _cadence_rows),
    ("set_speed_round_trip", _round_trip_rows),
    ("boundaries", _boundary_rows),
    ("programme_fake_time_4hz", _programme_rows),
    ("programme_fake_time_1hz", _programme_rows),
    ("run_sim_startup", _startup_rows),
    ("recorder", _recorder_rows),
    ("trace", _trace_rows),
    ("screen_key_stop", _screen_rows),
    ("mqtt_stop", _mqtt_stop_rows),
    ("serve_footprint", _footprint_rows),
    ("clinic", _clinic_rows),
]


def _ms(s: dict[str, float]) -> str:
    return f"median {s['median']:.3f} ms, p99 {s['p99']:.3f} ms (n={s['n']})"


if __name__ == "__main__":
    sys.exit(main())
