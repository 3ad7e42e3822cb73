"""The bench's figures as a table: one row per figure, with its goal and whether it was met.

Goals: docs/benchmarks.md (the stop figures are the guard's promises in docs/safety.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class Row(NamedTuple):
    label: str
    value: str
    goal: str = ""
    met: bool | None = None  # None: no goal


Rows = list[Row]


def _ms(s: dict[str, float]) -> str:
    return f"median {s['median']:.3f} ms, p99 {s['p99']:.3f} ms (n={s['n']})"


def _p99_row(label: str, s: dict[str, float], ms: float) -> Row:
    return Row(label, _ms(s), f"p99 ≤ {ms:g} ms", s["p99"] <= ms)


def _estop_rows(e: dict[str, Any], protocol: str = "Stop bytes") -> Rows:
    ours = e["treadlink"]
    rows = [
        _p99_row(f"e-stop → {protocol}, treadlink, idle", ours["idle_ms"], 5),
        _p99_row(f"e-stop → {protocol}, treadlink, command pending", ours["pending_ms"], 5),
        _p99_row(
            f"e-stop → {protocol}, display + events file listening",
            ours["with_display_and_record_ms"],
            5,
        ),
    ]
    if "pyftms" in e:
        rows += [
            Row("stop() → Stop bytes, pyftms client, idle", _ms(e["pyftms"]["idle_ms"])),
            Row("stop() → Stop bytes, pyftms, command pending", _ms(e["pyftms"]["pending_ms"])),
        ]
    return rows


def _fitshow_estop_rows(e: dict[str, Any]) -> Rows:
    return _estop_rows(e, "STOP frame, FitShow")


def _interval(i: dict[str, float]) -> str:
    return (
        f"median {i['median'] * 1000:.1f} ms between, min {i['min'] * 1000:.1f}, "
        f"max {i['max'] * 1000:.1f} (n={i['n']})"
    )


def _cadence_rows(c: dict[str, Any]) -> Rows:
    i = c["interval_s"]
    steady = i["min"] >= 0.225 and i["max"] <= 0.275
    return [Row("Stop cadence, treadmill silent", _interval(i), "250 ms ± 10 %", steady)]


def _poll_rows(p: dict[str, Any]) -> Rows:
    i = p["interval_s"]
    within = 0.2 <= i["median"] <= 0.5 and i["max"] <= 0.55
    return [Row("FitShow status polls, belt walking", _interval(i), "200–500 ms", within)]


def _round_trip_rows(rt: dict[str, Any]) -> Rows:
    ratio = rt["pyftms_ms"]["median"] / rt["treadlink_ms"]["median"]
    return [
        Row("set speed round trip, treadlink", _ms(rt["treadlink_ms"])),
        Row("set speed round trip, pyftms client", _ms(rt["pyftms_ms"])),
        Row("ratio pyftms / treadlink (median)", f"{ratio:.2f}×"),
    ]


def _boundary_rows(b: dict[str, Any]) -> Rows:
    drift = b["drift_ms_per_hour"]
    return [
        _p99_row(f"boundary lag ({b['boundaries']} boundaries)", b["lag_ms"], 10),
        Row(
            f"drift over {b['session_s']:.0f} s",
            f"{drift:+.3f} ms/h (last boundary {b['last_boundary_lag_ms']:.3f} ms late)",
            "zero drift (< 10 ms/h)",
            abs(drift) < 10.0,
        ),
    ]


def _programme_rows(p: dict[str, Any]) -> Rows:
    hz = p["telemetry_hz"]
    cpu = f", CPU {p['cpu_s']:.1f} s: {p['cpu_speedup']:.0f}×" if "cpu_s" in p else ""
    return [
        Row(
            f"15 stages in fake time, {hz:g} Hz telemetry",
            f"{p['wall_s']:.1f} s wall for {p['simulated_s'] / 3600:.2f} h: "
            f"{p['speedup']:.0f}×{cpu}",
            "≥ 2000× (wall)",
            p["speedup"] >= 2000,
        )
    ]


def _startup_rows(r: dict[str, Any]) -> Rows:
    s = r["to_belt_started_s"]
    return [
        Row(
            "treadlink run --sim: start to belt started",
            f"median {s['median']:.2f} s, max {s['max']:.2f} s (n={s['n']})",
            "< 2 s (median)",
            s["median"] < 2.0,
        )
    ]


def _recorder_rows(rec: dict[str, Any]) -> Rows:
    us = rec["listener_us"]
    return [
        Row(
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
            Row(
                f"trace tap on the loop, {kind} ({t['frames']} frames)",
                f"median {us['median']:.1f} µs, p99 {us['p99']:.1f} µs; {r['dropped']} dropped; "
                f"peak {r['peak_kib']:.0f} KiB",
                "no disk I/O on the loop; memory bounded",
            )
        )
    replay = f"{t['replay_frames_per_s']:.0f} frames/s ({t['file_kib']:.0f} KiB)"
    return [*rows, Row("probe --replay decoding an hour's trace", replay)]


def _screen_rows(k: dict[str, Any]) -> Rows:
    ratio = k["screen_ms"]["p99"] / k["plain_ms"]["p99"]
    return [
        _p99_row("key press → Stop bytes, full screen, 10 Hz", k["screen_ms"], 20),
        Row("key press → Stop bytes, --plain, 10 Hz", _ms(k["plain_ms"])),
        Row("Esc → Stop bytes, full screen (parser waits ESCDELAY)", _ms(k["screen_esc_ms"])),
        Row("ratio screen / --plain (p99)", f"{ratio:.2f}×", "≤ 2×", ratio <= 2.0),
    ]


def _mqtt_stop_rows(m: dict[str, Any]) -> Rows:
    flood = f"flood {m['flood_msg_per_s']:.0f} msg/s"
    rows: Rows = []
    for label, key, goal_ms in (
        ("publish → Stop bytes", "total_ms", 10.0),
        ("  publish → bridge on_message", "publish_to_bridge_ms", None),
        ("  on_message → Stop bytes", "bridge_to_stop_bytes_ms", None),
        ("  floor: publish → bare subscriber", "broker_floor_ms", None),
    ):
        for case, name in (("idle", "idle"), ("flood", flood)):
            figure, row_label = m[case][key], f"MQTT command/stop {label}, {name}"
            if goal_ms is None:
                rows.append(Row(row_label, _ms(figure)))
            else:
                rows.append(_p99_row(row_label, figure, goal_ms))
        stall = f"{flood}, {m['stall_ms']:.0f} ms stall"
        rows.append(Row(f"MQTT command/stop {label}, {stall}", _ms(m["flood_stalled"][key])))
    ratio = m["flood"]["total_ms"]["median"] / m["idle"]["total_ms"]["median"]
    loads = ", ".join(
        f"{key} {m[key]['load_1min'][0]:.1f}→{m[key]['load_1min'][1]:.1f}"
        for key in ("idle", "flood", "flood_stalled")
    )
    rows.append(Row("MQTT command/stop flood / idle (median)", f"{ratio:.2f}× (load {loads})"))
    return rows


def _footprint_rows(f: dict[str, Any]) -> Rows:
    cpu, rss = f["cpu_pct_of_one_core"], f["rss_mb"]
    return [
        Row(
            f"serve --sim, session, {f['telemetry_hz']:g} Hz telemetry: CPU",
            f"{cpu:.2f} % of one core over {f['window_s']:g} s",
            "< 2 %",
            cpu < 2.0,
        ),
        Row("serve --sim, session: RSS", f"{rss:.1f} MB", "< 100 MB", rss < 100.0),
    ]


def _clinic_rows(r: dict[str, Any]) -> Rows:
    rows: Rows = []
    for key, label in (("one", "1 bridge"), ("clinic", f"clinic of {r['clinic']['bridges']}")):
        c = r[key]
        cpu = c["cpu_pct_per_bridge"]
        rows += [
            Row(f"{label}: command/stop → stop_requested back", _ms(c["round_trip_ms"])),
            Row(
                f"{label}: CPU per bridge at {c['speedup']:g}× speed-up",
                f"median {cpu['median']:.1f} %, max {cpu['max']:.1f} %",
            ),
        ]
    ratio = r["clinic"]["round_trip_ms"]["p99"] / r["one"]["round_trip_ms"]["p99"]
    rows.append(Row("clinic / 1 bridge, round trip (p99)", f"{ratio:.2f}×", "p99 unchanged"))
    return rows


ROWS: dict[str, Callable[[dict[str, Any]], Rows]] = {
    "estop": _estop_rows,
    "estop_fitshow": _fitshow_estop_rows,
    "stop_cadence": _cadence_rows,
    "fitshow_poll_cadence": _poll_rows,
    "set_speed_round_trip": _round_trip_rows,
    "boundaries": _boundary_rows,
    "programme_fake_time_4hz": _programme_rows,
    "programme_fake_time_1hz": _programme_rows,
    "run_sim_startup": _startup_rows,
    "recorder": _recorder_rows,
    "trace": _trace_rows,
    "screen_key_stop": _screen_rows,
    "mqtt_stop": _mqtt_stop_rows,
    "serve_footprint": _footprint_rows,
    "clinic": _clinic_rows,
}


def rows_of(name: str, result: dict[str, Any]) -> Rows:
    return ROWS[name](result)


def render(rows: Rows) -> list[str]:
    width = max((len(row.label) for row in rows), default=0)
    value_width = max((len(row.value) for row in rows), default=0)
    mark = {True: "met", False: "MISSED", None: ""}
    return [
        f"{r.label:<{width}}  {r.value:<{value_width}}  {r.goal}"
        + (f" [{mark[r.met]}]" if r.met is not None else "")
        for r in rows
    ]
