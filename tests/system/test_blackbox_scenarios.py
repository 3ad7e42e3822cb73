"""Black-box scenarios: `treadlink run` in a terminal against the standalone simulator, where the
simulator's own report, not treadlink's events, decides what the belt did.

Real time: each scenario takes 10–25 s. Faults come at t=5 s on the simulator's clock, once
treadlink has the belt moving (checked: a slow start would test something else).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from tests.support.blackbox import RUNNER_CAP_KMH, belt_ends_stopped, black_box, quit_treadlink

pytestmark = pytest.mark.blackbox

FAULT_AT = 5.0


def stage(walk_s: int) -> str:
    """Walk at 5.5 km/h, then run at 8.5 km/h: the run's setpoint is the next command sent."""
    return f"name: black box\nitems:\n  - walk: 0:{walk_s:02d}\n  - run: 0:30\n"


def test_link_drop_then_zero_speed_frames_ends_with_the_belt_stopped(tmp_path: Path) -> None:
    scenario = [
        {"at": FAULT_AT, "do": "set_fault", "fault": "link_lost"},
        {"at": FAULT_AT + 0.5, "do": "set_fault", "fault": "zero_speed_frames"},
        {"at": FAULT_AT + 3, "do": "clear_fault", "fault": "link_lost"},
    ]
    with black_box(tmp_path, scenario=scenario, stage=stage(20)) as box:
        box.wait_for("the link to drop", lambda: box.sim_time() > FAULT_AT)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        problem = belt_ends_stopped(box, after_t=FAULT_AT + 3, within_t=FAULT_AT + 15)
        # Said first: on a belt that never stops, the lie is the root of the problem.
        lies = box.false_belt_stopped()
        assert lies == [], f"belt_stopped while the belt moved: {lies}\n{problem or box}"
        assert problem is None, problem


def test_without_a_terminal_the_run_keeps_stopping_until_the_belt_is_stopped(
    tmp_path: Path,
) -> None:
    """No keyboard (stdin not a terminal) changes nothing about stopping: the session ends on
    the fault, and the process stays until the reconnected treadmill has the belt at rest."""
    scenario = [
        {"at": FAULT_AT, "do": "set_fault", "fault": "link_lost"},
        {"at": FAULT_AT + 6, "do": "clear_fault", "fault": "link_lost"},
    ]
    with black_box(tmp_path, scenario=scenario, stage=stage(20), stdin_null=True) as box:
        box.wait_for("the link to drop", lambda: box.sim_time() > FAULT_AT)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        status = box.wait_for_exit(timeout=30)
        assert status == 1, f"exit {status}\n{box}"
        speed = box.belt_speed()
        assert speed == 0.0, f"treadlink exited with the belt at {speed} km/h\n{box}"
        assert box.false_belt_stopped() == []
        assert "belt_stopped" in box.event_names()


def test_telemetry_silence_ends_with_the_belt_stopped(tmp_path: Path) -> None:
    scenario = [{"at": FAULT_AT, "do": "set_fault", "fault": "telemetry_silent"}]
    with black_box(tmp_path, scenario=scenario, stage=stage(20)) as box:
        box.wait_for("the telemetry to stop", lambda: box.sim_time() > FAULT_AT)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        problem = belt_ends_stopped(box, after_t=FAULT_AT, within_t=FAULT_AT + 10)
        assert problem is None, problem


def test_runaway_belt_without_indications_ends_stopped(tmp_path: Path) -> None:
    scenario = [
        {"at": FAULT_AT, "do": "set_fault", "fault": "indications_lost"},
        {"at": FAULT_AT, "do": "set_fault", "fault": "speed_runaway", "runaway_kmh": 2.0},
    ]
    with black_box(tmp_path, scenario=scenario, stage=stage(20)) as box:
        box.wait_for("the faults", lambda: box.sim_time() > FAULT_AT)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        problem = belt_ends_stopped(box, after_t=FAULT_AT, within_t=FAULT_AT + 12)
        assert problem is None, problem


def test_console_restart_above_the_cap_while_latched_ends_stopped(tmp_path: Path) -> None:
    over_cap = RUNNER_CAP_KMH + 2
    restart_at = FAULT_AT + 2
    scenario = [
        {"at": FAULT_AT, "do": "console_stop"},
        {"at": restart_at, "do": "console_start"},
        {"at": restart_at + 0.5, "do": "console_speed", "speed_kmh": over_cap},
    ]
    with black_box(tmp_path, scenario=scenario, stage=stage(20)) as box:
        box.wait_for("the console restart", lambda: box.sim_time() > restart_at + 0.5)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        # Room for a guard that waits for the belt to pass the cap (≈9 s at 1 km/h/s) and then
        # brakes it (≈7 s at 1.5 km/h/s).
        problem = belt_ends_stopped(box, after_t=restart_at + 0.5, within_t=restart_at + 18)
        assert problem is None, problem


UNCONFIRMED = re.compile(r"STOP NOT CONFIRMED|may still be running", re.IGNORECASE)


def test_treadmill_failing_every_command_tells_the_runner_and_exits_3(tmp_path: Path) -> None:
    scenario = [{"at": FAULT_AT, "do": "set_fault", "fault": "control_failing"}]
    # The run segment's setpoint, the first command after the fault, comes at ≈ t=7.5 s.
    with black_box(tmp_path, scenario=scenario, stage=stage(6)) as box:
        box.wait_for("control to fail", lambda: box.sim_time() > FAULT_AT)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        box.wait_for("the runner to be told", lambda: bool(UNCONFIRMED.search(box.screen())))
        status = quit_treadlink(box)
        said = box.event_names()
        assert "belt_stopped" not in said, box
        assert "stop_confirmed" not in said, box
        # The simulator's belt never stopped: treadlink must not have said otherwise.
        assert all(line["belt_speed_kmh"] > 0 for line in box.report_lines()[-3:]), box
        assert status == 3, f"exit status {status}, not 3 (belt may still be running)\n{box}"


def test_safety_key_out_and_back_never_raises_the_target(tmp_path: Path) -> None:
    key_back_at = FAULT_AT + 2
    scenario = [
        {"at": FAULT_AT, "do": "set_fault", "fault": "safety_key"},
        {"at": key_back_at, "do": "clear_fault", "fault": "safety_key"},
    ]
    # The walk ends after the key is back: the run's setpoint is the temptation.
    with black_box(tmp_path, scenario=scenario, stage=stage(8)) as box:
        watch_until = key_back_at + 7
        box.wait_for(f"t={watch_until:g} s", lambda: box.sim_time() > watch_until, timeout=30)
        assert box.moving_under_treadlink_before(FAULT_AT), f"belt not started in time\n{box}"
        box.stop_simulator()
        lines = box.report_lines()
        pulled = next(i for i, line in enumerate(lines) if not line["safety_key_in"])
        targets = [line["target_speed_kmh"] for line in lines[pulled:]]
        raised = [(a, b) for a, b in itertools.pairwise(targets) if b > a]
        assert not raised, f"target raised after the key was pulled: {raised}\n{box}"


def test_a_treadmill_that_power_cycles_is_reconnected_stopped_and_resumed_by_the_runner(
    tmp_path: Path,
) -> None:
    """The simulator is killed (SIGKILL) with the belt moving, stays away until the runner has
    been told the stop is unconfirmed, and comes back on the same port. treadlink reconnects,
    writes Stop and nothing else until the runner acknowledges (a) and resumes (p)."""
    with black_box(tmp_path, scenario=[], stage=stage(20)) as box:
        box.wait_for("the belt moving", lambda: (box.belt_speed() or 0) > 0)
        box.kill_simulator()
        box.wait_for("the runner told", lambda: "stop_unconfirmed" in box.event_names())
        said_before = len(box.event_names())
        new_start = box.restart_simulator()

        def said_since() -> list[str]:
            return box.event_names()[said_before:]

        def written_since() -> list[str]:
            return [w for line in box.report_lines()[new_start:] for w in line["control_point"]]

        box.wait_for("reconnected", lambda: "reconnected" in said_since(), timeout=20)
        box.wait_for("the belt seen stopped", lambda: "belt_stopped" in said_since())
        box.wait_for("Stop accepted", lambda: "08 01 -> success" in written_since())
        assert {w.split(" -> ")[0] for w in written_since()} <= {"00", "08 01"}, box
        assert box.report_lines()[-1]["mode"] == "stopped", box
        assert "Traceback" not in box.screen(), box
        box.press("a")
        box.wait_for("the acknowledgement", lambda: "acknowledged" in said_since())
        assert {w.split(" -> ")[0] for w in written_since()} <= {"00", "08 01"}, box
        box.press("p")
        box.wait_for("the belt moving again", lambda: (box.belt_speed() or 0) > 0)
        assert quit_treadlink(box) == 1, box  # ended early by the runner, the belt seen stopped
        assert box.stop_simulator()["belt_speed_kmh"] == 0.0, box


def test_quit_while_the_simulator_is_away_says_the_belt_may_be_running(tmp_path: Path) -> None:
    """With the simulator killed and not back, q (twice: the stop cannot be confirmed) ends the
    run with exit status 3 and, last, the loud message; no traceback on the way."""
    with black_box(tmp_path, scenario=[], stage=stage(20)) as box:
        box.wait_for("the belt moving", lambda: (box.belt_speed() or 0) > 0)
        box.kill_simulator()
        box.wait_for("the runner told", lambda: "stop_unconfirmed" in box.event_names())
        assert quit_treadlink(box) == 3, box
        screen = box.screen()
        assert "Traceback" not in screen, box
        said = [row for row in screen.splitlines() if row.strip()]
        last = [row for row in said if not row.startswith("Pane is dead")][-1]
        assert last.startswith("!!! STOP IT WITH"), box
