"""Black-box: the guard watches the belt in every state, whoever moves it, whatever the telemetry
does. `treadlink run` in a terminal against the standalone simulator; the simulator's report
decides what the belt did and what reached its control point.

Real time: each scenario takes 15–30 s.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.blackbox import BlackBox, Line, belt_ends_stopped, black_box, quit_treadlink

pytestmark = pytest.mark.blackbox

FAULT_AT = 5.0
CAP_INCLINE = 5.0  # the runner profile's default incline cap


def stage(walk_s: int = 40) -> str:
    return f"name: black box\nitems:\n  - walk: 0:{walk_s:02d}\n  - run: 0:30\n"


def writes_after(lines: list[Line], t: float) -> list[tuple[Line, str]]:
    """Every control-point write in report lines after sim time `t`, with its line."""
    return [(line, w) for line in lines if line["t"] > t for w in line["control_point"]]


def first_stop_after(lines: list[Line], t: float) -> Line | None:
    return next((line for line, w in writes_after(lines, t) if w.startswith("08 01")), None)


def test_an_incline_raised_over_the_cap_on_the_console_is_stopped(tmp_path: Path) -> None:
    scenario = [{"at": FAULT_AT, "do": "console_incline", "incline_pct": 10.0}]
    with black_box(tmp_path, scenario=scenario, stage=stage()) as box:
        box.wait_for("the console's incline", lambda: box.sim_time() > FAULT_AT)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        problem = belt_ends_stopped(box, after_t=FAULT_AT, within_t=FAULT_AT + 25)
        assert problem is None, problem
        stop = first_stop_after(box.report_lines(), FAULT_AT)
        assert stop is not None, box
        # Stopped at the first frames over the cap (the belt climbs 0.5 %/s).
        assert stop["incline_pct"] <= CAP_INCLINE + 1.0, box


def test_a_belt_the_console_starts_while_latched_is_stopped_again_at_once(
    tmp_path: Path,
) -> None:
    restart_at = FAULT_AT + 12  # the key back, the belt confirmed stopped
    scenario = [
        {"at": FAULT_AT, "do": "set_fault", "fault": "safety_key"},
        {"at": FAULT_AT + 2, "do": "clear_fault", "fault": "safety_key"},
        {"at": restart_at, "do": "console_start"},
        {"at": restart_at + 0.2, "do": "console_speed", "speed_kmh": 6.0},
    ]
    with black_box(tmp_path, scenario=scenario, stage=stage()) as box:
        box.wait_for("the console start", lambda: box.sim_time() > restart_at, timeout=30)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        assert "belt_stopped" in box.event_names(), box
        problem = belt_ends_stopped(box, after_t=restart_at + 1, within_t=restart_at + 15)
        assert problem is None, problem
        lines = box.report_lines()
        moved = next(line for line in lines if line["t"] >= restart_at and line["belt_speed_kmh"])
        stop = first_stop_after(lines, restart_at - 0.01)
        assert stop is not None, box
        assert stop["t"] - moved["t"] < 1.0, f"stopped {stop['t'] - moved['t']:.2f} s late\n{box}"
        assert max(line["belt_speed_kmh"] for line in lines if line["t"] >= restart_at) < 3.0
        assert re.search(r"console", box.screen(), re.IGNORECASE), box


def paused_then(box: BlackBox, *, at: float) -> None:
    """The runner pauses (p) as soon as the belt moves; the belt must be at rest by `at`."""
    box.wait_for("the belt moving", lambda: (box.belt_speed() or 0) > 0)
    box.press("p")
    box.wait_for(
        "the belt paused",
        lambda: box.report_lines()[-1]["mode"] == "paused" and box.belt_speed() == 0,
    )
    assert box.sim_time() < at, f"paused too late for the scenario\n{box}"


@pytest.mark.parametrize("telemetry", ["telemetry_silent", "zero_speed_frames"])
def test_paused_then_the_console_starts_the_belt_unseen_it_is_stopped(
    tmp_path: Path, telemetry: str
) -> None:
    """Paused, then the telemetry goes silent (or reads 0 km/h while the distance grows) and
    the console starts the belt: a fault, and the belt stopped."""
    silent_at, start_at = 12.0, 13.0
    scenario = [
        {"at": silent_at, "do": "set_fault", "fault": telemetry},
        {"at": start_at, "do": "console_start"},
        {"at": start_at + 0.2, "do": "console_speed", "speed_kmh": 6.0},
        {"at": start_at + 9, "do": "clear_fault", "fault": telemetry},
    ]
    with black_box(tmp_path, scenario=scenario, stage=stage()) as box:
        paused_then(box, at=silent_at)
        box.wait_for("the console start", lambda: box.sim_time() > start_at, timeout=30)
        problem = belt_ends_stopped(box, after_t=start_at + 1, within_t=start_at + 20)
        assert problem is None, problem
        stop = first_stop_after(box.report_lines(), start_at)
        assert stop is not None, box
        assert stop["t"] - start_at < 8.0, f"stopped {stop['t'] - start_at:.1f} s late\n{box}"
        assert "fault" in box.event_names(), box


def test_plus_presses_during_the_ease_in_never_skip_a_step(tmp_path: Path) -> None:
    scenario = [{"at": FAULT_AT, "do": "console_stop"}]  # a fault while treadlink drives
    with black_box(tmp_path, scenario=scenario, stage=stage(6)) as box:
        box.wait_for("the belt stopped", lambda: "belt_stopped" in box.event_names(), 30)
        box.press("a")
        box.wait_for("the acknowledgement", lambda: "acknowledged" in box.event_names())
        box.press("p")
        box.wait_for("the belt moving again", lambda: (box.belt_speed() or 0) >= 1.0, 20)
        eased_from = box.sim_time()
        box.press("+" * 10)
        box.wait_for("back at speed", lambda: (box.belt_speed() or 0) >= 8.5, timeout=40)
        speeds = [
            (int.from_bytes(bytes.fromhex(w.split(" -> ")[0])[1:3], "little") / 100, line)
            for line, w in writes_after(box.report_lines(), eased_from - 2)
            if w.startswith("02 ")
        ]
        assert speeds, box
        for kmh, line in speeds:
            # The report's line comes with the write: the belt then is where it was at it.
            assert kmh <= line["belt_speed_kmh"] + 0.5 + 0.11, f"{kmh} over {line}\n{box}"
        assert quit_treadlink(box) in (0, 1), box


def test_a_treadmill_restarted_while_out_of_reach_is_found_within_the_backoff(
    tmp_path: Path,
) -> None:
    """The link drops with the belt running; the treadmill restarts while treadlink is away
    (the simulator killed and started again on its port) with its console belt heading to
    9.5 km/h: reconnected within the backoff, and stopped."""
    scenario = [{"at": FAULT_AT, "do": "set_fault", "fault": "link_lost"}]
    with black_box(tmp_path, scenario=scenario, stage=stage()) as box:
        box.wait_for("the link to drop", lambda: "link_down" in box.event_names(), 30)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        box.wait_for("the runner told", lambda: "stop_unconfirmed" in box.event_names(), 20)
        box.kill_simulator()
        said_before = len(box.event_names())
        new_start = box.restart_simulator(
            [{"at": 0, "do": "console_start"}, {"at": 0.1, "do": "console_speed", "speed_kmh": 9.5}]
        )
        box.wait_for("reconnected", lambda: "reconnected" in box.event_names()[said_before:], 12)
        lines = box.report_lines()[new_start:]
        connected = next((line for line in lines if line["connected"]), None)
        assert connected is not None and connected["t"] < 8.0, box  # backoff ≤ 5 s, and a bit
        box.wait_for(
            "the belt at rest",
            lambda: any(line["belt_speed_kmh"] == 0 for line in box.report_lines()[new_start:][5:]),
            timeout=30,
        )
        assert quit_treadlink(box) == 1, box


@pytest.mark.parametrize(("speed", "stopped"), [(6.0, False), (11.0, True)])
def test_a_run_on_a_belt_left_running_writes_nothing_but_stop_before_the_runner_says(
    tmp_path: Path, speed: float, stopped: bool
) -> None:
    """The belt runs before treadlink connects (a run killed with SIGKILL, the console): no
    Start or speed goes out; over the cap (10 km/h) it is stopped, below it the runner is asked."""
    scenario = [
        {"at": 0, "do": "console_start"},
        {"at": 0.1, "do": "console_speed", "speed_kmh": speed},
    ]
    with black_box(tmp_path, scenario=scenario, stage=stage()) as box:
        box.wait_for("the runner asked", lambda: "already running" in box.screen(), 20)
        if stopped:
            box.wait_for("the cap's fault", lambda: "fault" in box.event_names(), 30)
            moving = next(line for line in box.report_lines() if line["belt_speed_kmh"] > 0)
            problem = belt_ends_stopped(box, after_t=moving["t"], within_t=40)
            assert problem is None, problem
        else:
            box.wait_for("the belt at speed", lambda: box.belt_speed() == speed, 20)
            assert box.exit_status() is None, box
            status = quit_treadlink(box)
            assert status == 1, box
            box.stop_simulator()
        written = [w for _, w in writes_after(box.report_lines(), -1)]
        assert not [w for w in written if w.split()[0] in ("07", "02", "03")], written
