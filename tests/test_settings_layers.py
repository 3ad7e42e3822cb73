"""One loader for the runner profile and the `mqtt:` section: the file, the environment on top,
the command line on top, and every bad value named by where it came from, quoted once and short.

Each test here is a place where the two loaders used to differ (treadlink.settings_file)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from treadlink.config import ConfigError, RunnerProfile, load_profile
from treadlink.mqtt.settings import MqttSettings, load_mqtt_settings


@pytest.fixture(autouse=True)
def _no_settings_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("TREADLINK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # no default file there


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def problems(load: Callable[[], Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load()
    return [str(p) for p in caught.value.problems]


def test_the_command_line_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, "mqtt:\n  broker: mqtt://from-file\n")
    monkeypatch.setenv("TREADLINK_MQTT_BROKER", "mqtt://from-environment")
    assert load_mqtt_settings(path).broker_address().host == "from-environment"
    assert load_mqtt_settings(path, "mqtt://from-option").broker_address().host == "from-option"
    # A bad variable the option overrides is not in the way either.
    monkeypatch.setenv("TREADLINK_MQTT_BROKER", "nonsense")
    assert load_mqtt_settings(path, "mqtt://from-option").broker_address().host == "from-option"


def test_a_bad_option_is_named_with_the_rest(tmp_path: Path) -> None:
    path = config(tmp_path, "mqtt:\n  base_topic: a/+/b\n")
    assert problems(lambda: load_mqtt_settings(path, "mqtt://h:port", option="--mqtt")) == [
        "command line: --mqtt: 'mqtt://h:port': bad port (Port could not be cast to integer "
        "value as 'port')",
        f"{path}:2: mqtt.base_topic: 'a/+/b' is not a topic prefix: no wildcards, no empty levels",
    ]


def test_a_file_that_is_not_a_mapping_is_refused_by_every_part(tmp_path: Path) -> None:
    path = config(tmp_path, "- walk_speed: 5\n")
    expected = [f"{path}:1: a config file must be a mapping of settings"]
    assert problems(lambda: load_profile(path)) == expected
    assert problems(lambda: load_mqtt_settings(path)) == expected


def test_a_value_our_check_refuses_is_quoted_once(tmp_path: Path) -> None:
    path = config(tmp_path, "mqtt:\n  device_id: Gym Treadmill\n")
    [problem] = problems(lambda: load_mqtt_settings(path))
    assert problem == (
        f"{path}:2: mqtt.device_id: 'Gym Treadmill': use lower-case letters, digits, '-' and '_'"
    )


def test_long_values_and_keys_are_quoted_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, f"mqtt:\n  base_topic: a/+/{'b' * 5000}\n")
    [problem] = problems(lambda: load_mqtt_settings(path))
    assert "(5006 characters)" in problem and len(problem) < len(str(path)) + 200
    path = config(tmp_path, f"mqtt:\n  _{'k' * 1000}: 1\n")
    [problem] = problems(lambda: load_mqtt_settings(path))
    assert "(1003 characters)" in problem and len(problem) < len(str(path)) + 200
    monkeypatch.setenv("TREADLINK_MQTT_DEVICE_ID", "X" * 5000)
    [problem] = problems(lambda: load_mqtt_settings(config(tmp_path, "{}\n")))
    assert problem.startswith("$TREADLINK_MQTT_DEVICE_ID: 'XXX") and len(problem) < 200


def test_a_password_is_never_quoted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config(tmp_path, "mqtt:\n  broker: mqtt://me:hunter2@broker.lan:88x\n")
    [problem] = problems(lambda: load_mqtt_settings(path))
    assert "'mqtt://me:***@broker.lan:88x': bad port" in problem and "hunter2" not in problem
    path = config(tmp_path, "mqtt:\n  password: 73519\n")  # a number, not a string
    [problem] = problems(lambda: load_mqtt_settings(path))
    assert problem == f"{path}:2: mqtt.password: Input should be a valid string"
    assert "hunter2" not in repr(MqttSettings(password="hunter2"))


@pytest.mark.parametrize("variable", ["treadlink_mqtt_broker", "Treadlink_Mqtt_Broker"])
def test_a_variable_is_named_as_the_environment_spells_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # pydantic-settings reads names whatever their case: the error must blame the variable,
    # not the file the value did not come from.
    path = config(tmp_path, "mqtt:\n  broker: mqtt://fine\n")
    monkeypatch.setenv(variable, "nonsense")
    [problem] = problems(lambda: load_mqtt_settings(path))
    assert problem.startswith(f"${variable}: 'nonsense' is not a broker URL")
    monkeypatch.delenv(variable)
    monkeypatch.setenv("treadlink_walk_speed", "-1")
    [problem] = problems(lambda: load_profile(path))
    assert problem.startswith("$treadlink_walk_speed: Input should be greater than 0")


def test_a_pace_is_blamed_on_the_layer_that_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, "paces:\n  5k: 40\n")
    monkeypatch.setenv("TREADLINK_PACES", '{"mile": 11}')
    [problem] = problems(lambda: load_profile(path))
    assert problem.startswith(f"{path}:2: paces.5k: 40 km/h is above 25 km/h")
    monkeypatch.setenv("TREADLINK_PACES", '{"mile": 40}')
    assert problems(lambda: load_profile(config(tmp_path, "paces:\n  5k: 9\n")))[0].startswith(
        "$TREADLINK_PACES: 40 km/h is above 25 km/h"
    )


def test_the_profile_knows_the_sections_beside_it(tmp_path: Path) -> None:
    path = config(tmp_path, "mqt:\n  broker: mqtt://h\n")
    [problem] = problems(lambda: load_profile(path))
    assert problem.endswith(
        "(known: walk_speed, run_speed, incline, max_speed, max_incline, paces, voice, "
        "treadmills, mqtt)"
    )


def test_settings_made_directly_do_not_read_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TREADLINK_RUN_SPEED", "7.0")
    monkeypatch.setenv("TREADLINK_MQTT_BASE_TOPIC", "elsewhere")
    assert RunnerProfile().run_speed == 8.5
    assert MqttSettings().base_topic == "treadlink"
    assert load_profile().run_speed == 7.0
    assert load_mqtt_settings().base_topic == "elsewhere"
