"""`treadlink probe`, `scan` and `run` end to end on the in-process simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treadlink.cli import main


def test_probe_prints_what_the_treadmill_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--sim", "--seconds", "1.2"]) == 0
    out = capsys.readouterr().out
    assert "NoblePro Elite (F0:F0:F0:F0:F0:01)" in out
    assert "maker      NoblePro" in out
    assert "speed      1.0–20.0 km/h in steps of 0.1" in out
    assert "incline    0.0–15.0 % in steps of 0.5" in out
    assert "targets    speed_target_setting, inclination_target_setting" in out
    assert "speed  0.00 km/h" in out  # at least one live telemetry line, belt still


def test_probe_on_another_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--sim", "--profile", "generic", "--seconds", "0"]) == 0
    assert "incline    0.0–12.0 % in steps of 1.0" in capsys.readouterr().out


def test_scan_lists_the_simulated_treadmill(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--sim", "--timeout", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "F0:F0:F0:F0:F0:01" in out and "FTMS treadmill" in out


def test_run_a_short_stage_and_record_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = tmp_path / "short.yaml"
    stage.write_text("name: short\nitems:\n  - walk: 0:04\n  - run: 0:04\n  - walk: 0:04\n")
    events = tmp_path / "run.jsonl"
    code = main(["run", str(stage), "--sim", "--speedup", "8", "--events", str(events)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "segment 2: run 0:04 at 8.5 km/h" in out
    assert "session completed: 3 segments" in out
    kinds = [json.loads(line)["event"] for line in events.read_text().splitlines()]
    assert kinds[0] == "session_started"
    assert kinds.count("segment_started") == 3
    assert "belt_stopped" in kinds
    assert kinds[-1] == "finished"


def test_bad_stage_exits_2_before_any_radio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = tmp_path / "bad.yaml"
    stage.write_text("name: bad\nitems:\n  - walk: 0:30\n  - speed: 25.0\n    for: 1:00\n")
    assert main(["run", str(stage), "--sim"]) == 2
    err = capsys.readouterr().err
    assert f"{stage}:4" in err
    assert "nothing was sent to the treadmill" in err


def test_speedup_is_refused_on_hardware(capsys: pytest.CaptureFixture[str]) -> None:
    stage = str(Path(__file__).resolve().parents[2] / "workouts/return-to-run/stage-01.yaml")
    assert main(["run", stage, "--device", "AA:BB:CC:DD:EE:FF", "--speedup", "10"]) == 2
    assert "--speedup is only for the simulator" in capsys.readouterr().err


def test_a_plan_without_progression_rules_needs_a_stage_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # With rules (`progression:`), run picks the next stage itself: tests/records/test_run_cli.py
    stages = Path(__file__).resolve().parents[2] / "workouts/return-to-run"
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"stages: [{stages / 'stage-01.yaml'}, {stages / 'stage-02.yaml'}]\n")
    assert main(["run", str(plan), "--sim"]) == 2
    assert "is a plan of 2 stages: choose one with --stage 1…2" in capsys.readouterr().err
    assert main(["run", str(stages / "plan.yaml"), "--sim", "--stage", "16"]) == 2
