"""`treadlink validate` and `treadlink plan`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from treadlink.cli import main

Write = Callable[[str, str], Path]
WORKOUTS = Path(__file__).resolve().parents[2] / "workouts"


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TREADLINK_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    stage = WORKOUTS / "return-to-run" / "stage-01.yaml"
    plan = WORKOUTS / "return-to-run" / "plan.yaml"
    assert main(["validate", str(stage), str(plan)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"OK {stage} (13 steps, 30:00)", f"OK {plan} (15 stages, 455:00)"]


def test_validate_reports_every_problem_and_exits_2(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    good = WORKOUTS / "examples" / "treadmill-intervals.zwo"
    bad = write("bad.yaml", "items:\n  - run: 0:00\n  - walk: 1:00\n    bogus: 1\n")
    assert main(["validate", str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"OK {good} (24 steps, 22:00)\n"
    assert f"{bad}:2: items[0].run: duration must be positive, got 0:00" in captured.err
    assert f"{bad}:4: items[1].bogus: unknown key 'bogus'" in captured.err


def test_validate_uses_the_config(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    config = write("c.yaml", "max_speed: 8.0\nrun_speed: 8.0\n")
    stage = write("s.yaml", "items:\n  - speed: 9\n    for: 1:00\n")
    assert main(["validate", "--config", str(config), str(stage)]) == 2
    assert "above the runner's max_speed of 8 km/h" in capsys.readouterr().err


def test_validate_bad_config(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    config = write("c.yaml", "walk_speed: slow\n")
    assert main(["validate", "--config", str(config), "x.yaml"]) == 2
    assert f"{config}:1: walk_speed:" in capsys.readouterr().err


def test_plan_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(WORKOUTS / "return-to-run" / "stage-11.yaml")]) == 0
    out = capsys.readouterr().out
    assert "session 30:00; running 25:00; longest run 15:00" in out
    rows = [line.split() for line in out.splitlines() if line[:2].strip().isdigit()]
    assert [(r[0], r[2], r[3], r[5], r[6]) for r in rows] == [
        ("1", "walk", "5.5", "2:00", "0:00"),
        ("2", "run", "8.5", "15:00", "2:00"),
        ("3", "walk", "5.5", "1:30", "17:00"),
        ("4", "run", "8.5", "10:00", "18:30"),
        ("5", "walk", "5.5", "1:30", "28:30"),
    ]


def test_plan_of_a_programme(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(WORKOUTS / "return-to-run" / "plan.yaml")]) == 0
    assert "15 stages; session 455:00; running 284:00" in capsys.readouterr().out


def test_plan_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "profile.png"
    assert (
        main(["plan", str(WORKOUTS / "examples" / "treadmill-intervals.zwo"), "--png", str(out)])
        == 0
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plan_bad_input(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write("bad.yaml", "items: []\n")
    assert main(["plan", str(bad)]) == 2
    assert f"{bad}:1: items: a stage's items is empty" in capsys.readouterr().err
