"""Run every benchmark, print a table, write bench-results/latest.json.

make bench                      # or: python -m benchmarks [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
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
)

RESULTS = Path(__file__).resolve().parents[1] / "bench-results" / "latest.json"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer trials, for a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("bumble").setLevel(logging.CRITICAL)  # its own teardown races
    quick = args.quick
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
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
        ("screen_key_stop", lambda: screen_keys.measure(15 if quick else 60)),
        ("mqtt_stop", lambda: mqtt_stop.measure(20 if quick else 200)),
        ("serve_footprint", lambda: serve_footprint.measure(10 if quick else 60)),
        ("clinic", lambda: clinic.measure(10, 3 if quick else 20)),
    ]
    for name, bench in steps:
        print(f"… {name}", file=sys.stderr, flush=True)
        results[name] = bench()
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


def print_table(r: dict[str, Any]) -> None:
    rt = r["set_speed_round_trip"]
    b = r["boundaries"]
    e = r["estop"]
    c = r["stop_cadence"]
    rows = [
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
        (
            "Stop cadence, treadmill silent",
            f"median {c['interval_s']['median'] * 1000:.1f} ms between writes, "
            f"min {c['interval_s']['min'] * 1000:.1f}, max {c['interval_s']['max'] * 1000:.1f} "
            f"(n={c['interval_s']['n']})",
            "250 ms ± 10 %",
        ),
        ("stop() → Stop bytes, pyftms client, idle", _ms(e["pyftms"]["idle_ms"]), ""),
        ("stop() → Stop bytes, pyftms, command pending", _ms(e["pyftms"]["pending_ms"]), ""),
        ("set speed round trip, treadlink", _ms(rt["treadlink_ms"]), ""),
        ("set speed round trip, pyftms client", _ms(rt["pyftms_ms"]), ""),
        (
            "ratio pyftms / treadlink (median)",
            f"{rt['pyftms_ms']['median'] / rt['treadlink_ms']['median']:.2f}×",
            "",
        ),
        (f"boundary lag ({b['boundaries']} boundaries)", _ms(b["lag_ms"]), "p99 ≤ 10 ms"),
        (
            f"drift over {b['session_s']:.0f} s",
            f"{b['drift_ms_per_hour']:+.3f} ms/h "
            f"(last boundary {b['last_boundary_lag_ms']:.3f} ms late)",
            "zero drift",
        ),
    ]
    for key in ("programme_fake_time_4hz", "programme_fake_time_1hz"):
        p = r[key]
        rows.append(
            (
                f"15 stages in fake time, {p['telemetry_hz']:g} Hz telemetry",
                f"{p['wall_s']:.1f} s wall for {p['simulated_s'] / 3600:.2f} h: "
                f"{p['speedup']:.0f}×",
                "≥ 2000×",
            )
        )
    s = r["run_sim_startup"]["to_belt_moving_s"]
    rows.append(
        (
            "treadlink run --sim: start to belt moving",
            f"median {s['median']:.2f} s, max {s['max']:.2f} s (n={s['n']})",
            "< 2 s",
        )
    )
    rec = r["recorder"]
    us = rec["listener_us"]
    rows.append(
        (
            f"recorder listener on the loop ({rec['events']} events)",
            f"median {us['median']:.1f} µs, p99 {us['p99']:.1f} µs; close {rec['close_ms']:.0f} ms",
            "no disk I/O on the loop",
        )
    )
    k = r["screen_key_stop"]
    rows += [
        ("key press → Stop bytes, full screen, 10 Hz", _ms(k["screen_ms"]), "p99 ≤ 20 ms"),
        ("key press → Stop bytes, --plain, 10 Hz", _ms(k["plain_ms"]), ""),
        ("Esc → Stop bytes, full screen (parser waits ESCDELAY)", _ms(k["screen_esc_ms"]), ""),
        (
            "ratio screen / --plain (p99)",
            f"{k['screen_ms']['p99'] / k['plain_ms']['p99']:.2f}×",
            "≤ 2×",
        ),
    ]
    m = r["mqtt_stop"]
    rows += [
        ("MQTT command/stop → Stop bytes, idle", _ms(m["idle_ms"]), "p99 ≤ 10 ms"),
        (
            f"MQTT command/stop → Stop bytes, flood {m['flood_msg_per_s']:.0f} msg/s",
            _ms(m["flood_ms"]),
            "p99 ≤ 10 ms",
        ),
    ]
    f = r["serve_footprint"]
    rows += [
        (
            f"serve --sim, session, {f['telemetry_hz']:g} Hz telemetry: CPU",
            f"{f['cpu_pct_of_one_core']:.2f} % of one core over {f['window_s']:g} s",
            "< 2 %",
        ),
        ("serve --sim, session: RSS", f"{f['rss_mb']:.1f} MB", "< 100 MB"),
    ]
    for key, label in (
        ("one", "1 bridge"),
        ("clinic", f"clinic of {r['clinic']['clinic']['bridges']}"),
    ):
        c = r["clinic"][key]
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
    width = max(len(row[0]) for row in rows)
    for label, value, goal in rows:
        print(f"{label:<{width}}  {value:<46} {goal}")


def _ms(s: dict[str, float]) -> str:
    return f"median {s['median']:.3f} ms, p99 {s['p99']:.3f} ms (n={s['n']})"


if __name__ == "__main__":
    sys.exit(main())
