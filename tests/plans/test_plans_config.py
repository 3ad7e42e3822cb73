"""The runner profile: defaults, file, environment overrides, and errors naming file and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from treadlink.config import ConfigError, RunnerProfile, load_profile

Write = Callable[[str, str], Path]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TREADLINK_CONFIG", "TREADLINK_RUN_SPEED", "TREADLINK_WALK_SPEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # no default file there


def _problems(path: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    return [str(p) for p in caught.value.problems]


def test_missing_default_file_means_defaults() -> None:
    p = load_profile()
    assert (p.walk_speed, p.run_speed, p.incline, p.max_speed, p.max_incline) == (
        5.5,
        8.5,
        1.0,
        10.0,
        5.0,
    )
    assert [p.pace_speed(z) for z in range(5)] == [10.0, 9.5, 9.0, 8.5, 8.0]


def test_file_then_environment(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("c.yaml", "walk_speed: 5.0\nrun_speed: 8.0\npaces:\n  5k: 9.2\n")
    p = load_profile(path)
    assert (p.walk_speed, p.run_speed, p.pace_speed("5k"), p.pace_speed("mile")) == (
        5.0,
        8.0,
        9.2,
        10.0,
    )
    monkeypatch.setenv("TREADLINK_RUN_SPEED", "7.5")
    assert load_profile(path).run_speed == 7.5


def test_config_env_names_the_file(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("c.yaml", "incline: 2.0\n")
    monkeypatch.setenv("TREADLINK_CONFIG", str(path))
    assert load_profile().incline == 2.0


def test_default_file_location(tmp_path: Path) -> None:
    default = tmp_path / "xdg" / "treadlink" / "config.yaml"
    default.parent.mkdir(parents=True)
    default.write_text("max_speed: 9.0\n")
    assert load_profile().max_speed == 9.0


def test_named_missing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "none.yaml"
    assert _problems(path) == [f"{path}: no such file"]


def test_bad_value_names_file_line_and_field(write: Write) -> None:
    path = write("c.yaml", "walk_speed: 5.0\nrun_speed: fast\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:2: run_speed: Input should be a valid number")


def test_unknown_key(write: Write) -> None:
    path = write("c.yaml", "walk_speed: 5.0\nrun_sped: 8.0\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:2: run_sped: unknown key 'run_sped'")


def test_unknown_pace_name(write: Write) -> None:
    path = write("c.yaml", "paces:\n  3k: 9.0\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:2: paces.3k: Input should be 'mile', '5k'")


def test_run_speed_above_cap(write: Write) -> None:
    path = write("c.yaml", "run_speed: 11\n")
    assert _problems(path) == [f"{path}:1: run_speed 11.0 km/h is above max_speed 10.0 km/h"]


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREADLINK_WALK_SPEED", "-1")
    [problem] = _problems()
    assert problem.startswith("$TREADLINK_WALK_SPEED: Input should be greater than 0")


def test_yaml_syntax_error(write: Write) -> None:
    path = write("c.yaml", "walk_speed: 5.0\nrun_speed: [8\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:3: YAML syntax error")


def test_profile_is_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        RunnerProfile().run_speed = 12.0
