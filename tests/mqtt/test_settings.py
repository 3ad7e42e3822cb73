"""The `mqtt:` section, the broker URL and the environment: bad values name file, line, field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from treadlink.config import ConfigError
from treadlink.mqtt.settings import Broker, load_mqtt_settings, parse_broker


@pytest.mark.parametrize(
    ("url", "broker"),
    [
        ("mqtt://broker.lan", Broker("broker.lan", 1883, False)),
        ("mqtts://broker.lan", Broker("broker.lan", 8883, True)),
        ("mqtt://u:p%40ss@10.0.0.2:1884", Broker("10.0.0.2", 1884, False, "u", "p@ss")),
        ("mqtts://u@[::1]:9000", Broker("::1", 9000, True, "u", None)),
    ],
)
def test_broker_urls(url: str, broker: Broker) -> None:
    assert parse_broker(url) == broker


@pytest.mark.parametrize(
    "url", ["http://x", "mqtt://", "mqtt://host:99999", "mqtt://host/topic", "broker.lan"]
)
def test_bad_broker_urls(url: str) -> None:
    with pytest.raises(ValueError, match=r"broker|host|port|path"):
        parse_broker(url)


def test_the_password_is_never_shown() -> None:
    assert "secret" not in str(parse_broker("mqtt://me:secret@host"))


def test_the_section_is_read_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "workouts").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(
        "max_speed: 10\n"
        "mqtt:\n"
        "  broker: mqtt://me:pw@broker.lan\n"
        "  base_topic: home/gym\n"
        "  device_id: treadmill-1\n"
        "  allow_remote_start: true\n"
        f"  workouts: {tmp_path / 'workouts'}\n"
    )
    settings = load_mqtt_settings(config)
    assert settings.broker_address() == Broker("broker.lan", 1883, False, "me", "pw")
    assert settings.base_topic == "home/gym" and settings.device_id == "treadmill-1"
    assert settings.allow_remote_start and not settings.allow_remote_increase
    # The command line wins over the file.
    assert load_mqtt_settings(config, "mqtts://other").broker_address().host == "other"


def test_remote_start_and_increase_are_off_by_default(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("max_speed: 10\n")
    settings = load_mqtt_settings(config)
    assert not settings.allow_remote_start and not settings.allow_remote_increase
    assert settings.base_topic == "treadlink"
    assert settings.discovery_prefix == "homeassistant"


def test_bad_values_name_file_line_and_field(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "mqtt:\n"
        "  broker: ftp://broker\n"
        "  base_topic: home/+/gym\n"
        "  allow_remote_start: maybe\n"
        "  tls_ca: /nonexistent/ca.pem\n"
        "  colour: red\n"
    )
    with pytest.raises(ConfigError) as e:
        load_mqtt_settings(config)
    shown = {str(p.line): p.path for p in e.value.problems}
    assert shown == {
        "2": "mqtt.broker",
        "3": "mqtt.base_topic",
        "4": "mqtt.allow_remote_start",
        "5": "mqtt.tls_ca",
        "6": "mqtt.colour",
    }
    assert all(p.file == str(config) for p in e.value.problems)


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("mqtt:\n  allow_remote_increase: false\n")
    monkeypatch.setenv("TREADLINK_MQTT_ALLOW_REMOTE_INCREASE", "true")
    assert load_mqtt_settings(config).allow_remote_increase
    monkeypatch.setenv("TREADLINK_MQTT_BROKER", "nonsense")
    with pytest.raises(ConfigError) as e:
        load_mqtt_settings(config)
    assert e.value.problems[0].file == "$TREADLINK_MQTT_BROKER"


def test_run_refuses_bad_mqtt_settings_before_any_radio(tmp_path: Path) -> None:
    stage = tmp_path / "stage.yaml"
    stage.write_text('name: "S"\nitems:\n  - walk: 1:00\n')
    config = tmp_path / "config.yaml"
    config.write_text("max_speed: 10\n")
    command = ["run", str(stage), "--sim", "--config", str(config), "--mqtt", "mqtt://h:port"]
    result = subprocess.run(
        [sys.executable, "-m", "treadlink.cli", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--mqtt" in result.stderr and "port" in result.stderr
    assert "Traceback" not in result.stderr
