"""Home Assistant sees what treadlink says: the last command's answer (with its reason), the
programme's next stage and from when, whether a remote start would be accepted; the device is
the treadmill, named by its own Device Information; `serve --remove-discovery` leaves nothing
of treadlink's retained at the broker.

The templates are rendered here with Jinja, as Home Assistant renders them (its `to_json`
filter; a `None` state is "unknown"), and each payload keeps to the keys Home Assistant's MQTT
discovery schema accepts for its platform (home-assistant.io/integrations/sensor.mqtt,
binary_sensor.mqtt, button.mqtt, number.mqtt; the device block: mqtt#discovery-messages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from tests.support.history import CLEAN, ran
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import (
    BASE,
    DEVICE_ID,
    LONG_STAGE,
    TOPICS,
    payload,
    published_session,
    watching,
    write_stage,
)
from tests.support.serving import mini_plan, serving
from treadlink.mqtt.bridge import RULES_FOR_RUN, serve_rules
from treadlink.mqtt.client import BrokerLink
from treadlink.mqtt.discovery import (
    Caps,
    Machine,
    discovery_messages,
    remove_discovery,
)
from treadlink.mqtt.settings import parse_broker
from treadlink.plans.limits import NOBLEPRO_ELITE
from treadlink.session.events import SetpointSent
from treadlink.treadmill.base import DeviceInfo

INFO = DeviceInfo("NoblePro", "Elite E8i", "NP-0042", "2.1", "1.7.4", "1.7.4")
MACHINE = Machine("NoblePro Elite", NOBLEPRO_ELITE.speed, NOBLEPRO_ELITE.incline, INFO)
CAPS = Caps(max_speed_kmh=10.0, max_incline_pct=5.0)

# What Home Assistant's discovery schemas accept, of the keys treadlink could use.
COMMON = {
    "availability", "availability_mode", "payload_available", "payload_not_available",
    "device", "origin", "unique_id", "name", "icon", "json_attributes_topic",
    "json_attributes_template", "enabled_by_default", "entity_category", "qos",
}  # fmt: skip
ALLOWED = {
    "sensor": COMMON | {"state_topic", "value_template", "unit_of_measurement", "device_class",
                        "state_class", "options", "suggested_display_precision", "expire_after"},
    "binary_sensor": COMMON | {"state_topic", "value_template", "device_class", "payload_on",
                               "payload_off", "expire_after"},
    "button": COMMON | {"command_topic", "payload_press", "device_class", "retain"},
    "number": COMMON | {"command_topic", "state_topic", "value_template", "min", "max", "step",
                        "unit_of_measurement", "mode", "device_class"},
}  # fmt: skip
DEVICE_KEYS = {
    "identifiers", "connections", "name", "manufacturer", "model", "model_id", "serial_number",
    "hw_version", "sw_version", "suggested_area", "via_device", "configuration_url",
}  # fmt: skip
SENSOR_DEVICE_CLASSES = {"speed", "distance", "duration", "enum", "date", "timestamp"}

_JINJA = jinja2.sandbox.ImmutableSandboxedEnvironment()
_JINJA.filters["to_json"] = json.dumps


def render(template: str, state: dict[str, Any]) -> str:
    """As Home Assistant renders a value or attributes template against a JSON payload."""
    return _JINJA.from_string(template).render(value_json=state).strip()


def configs() -> dict[str, dict[str, Any]]:
    rules = serve_rules(allow_remote_start=True, allow_remote_increase=False)
    return dict(discovery_messages(TOPICS, MACHINE, CAPS, rules))


def config(component: str, key: str) -> dict[str, Any]:
    return configs()[f"homeassistant/{component}/{DEVICE_ID}/{key}/config"]


def state(**fields: Any) -> dict[str, Any]:
    return {"remote_start": False, "last_command": None, "next": None, **fields}


def test_every_payload_keeps_to_home_assistants_discovery_schema() -> None:
    for rules in (RULES_FOR_RUN, serve_rules(allow_remote_start=True, allow_remote_increase=True)):
        for topic, body in discovery_messages(TOPICS, MACHINE, CAPS, rules):
            component = topic.split("/")[1]
            assert set(body) <= ALLOWED[component], (topic, set(body) - ALLOWED[component])
            assert set(body["device"]) <= DEVICE_KEYS, topic
            if component == "sensor" and "device_class" in body:
                assert body["device_class"] in SENSOR_DEVICE_CLASSES, topic
            if body.get("device_class") == "date":
                assert "unit_of_measurement" not in body and "state_class" not in body
            if "json_attributes_template" in body:
                assert body["json_attributes_topic"] == TOPICS.state
            for key in ("value_template", "json_attributes_template"):
                if key in body:
                    _JINJA.parse(body[key])  # a template Home Assistant can compile


def test_the_device_is_the_treadmill_by_its_own_device_information() -> None:
    for body in configs().values():
        assert body["device"] == {
            "identifiers": [f"treadlink_{DEVICE_ID}"],
            "name": "NoblePro Elite",
            "manufacturer": "NoblePro",
            "model": "Elite E8i",
            "serial_number": "NP-0042",
            "hw_version": "2.1",
            "sw_version": "1.7.4",
        }
    # What a treadmill does not say is left out, not made up.
    bare = Machine("FS-1234", NOBLEPRO_ELITE.speed, None)
    (_, body), *_ = discovery_messages(TOPICS, bare, CAPS, RULES_FOR_RUN)
    assert body["device"] == {"identifiers": [f"treadlink_{DEVICE_ID}"], "name": "FS-1234"}


def test_the_last_command_sensor_shows_the_answer_and_its_reason() -> None:
    sensor = config("sensor", "last_command")
    refused = {"command": "start", "ok": False, "reason": "remote start is off", "said": "x"}
    refused["said"] = "start: refused — remote start is off"
    shown = state(last_command=refused)
    assert render(sensor["value_template"], shown) == "start: refused — remote start is off"
    attributes = json.loads(render(sensor["json_attributes_template"], shown))
    assert attributes["reason"] == "remote start is off" and attributes["ok"] is False
    assert render(sensor["value_template"], state()) == "None"  # unknown until a command
    assert json.loads(render(sensor["json_attributes_template"], state())) == {}


def test_the_next_stage_sensors_and_the_remote_start_binary_sensor() -> None:
    advised = {"stage": 4, "due": "2026-12-10", "said": "stage 4 of 15 (stage-04.yaml), from …"}
    shown = state(next=advised, remote_start=True)
    assert render(config("sensor", "next_stage")["value_template"], shown).startswith("stage 4")
    due = config("sensor", "next_stage_due")
    assert due["device_class"] == "date"
    assert render(due["value_template"], shown) == "2026-12-10"
    assert render(due["value_template"], state()) == "None"
    assert render(due["value_template"], state(next={**advised, "due": None})) == "None"
    remote = config("binary_sensor", "remote_start")
    assert render(remote["value_template"], shown) == "ON"
    assert render(remote["value_template"], state()) == "OFF"


async def test_serve_publishes_its_answers_and_the_next_stage_in_the_state(
    broker: Mosquitto, tmp_path: Path
) -> None:
    plan = mini_plan(tmp_path / "workouts")
    ran(plan.parent / "one.yaml", days_ago=2, pain=CLEAN)  # stage 1, two days ago, no pain
    async with (
        watching(broker.url, "treadlink/#", "homeassistant/#") as watcher,
        serving(broker, tmp_path) as (_service, _simulator),
    ):
        advised = await watcher.state(lambda s: s.get("next") is not None)
        assert advised["next"]["stage"] == 2 and advised["next"]["plan"] == "Mini"
        assert advised["next"]["said"] == "stage 2 of 3 (two.yaml), today"
        assert advised["next"]["start_next"] is None  # the programme would: the config will not
        answer = await watcher.command("start", '{"stage": "next"}')
        assert not answer["ok"]
        said = await watcher.state(lambda s: s.get("last_command") is not None)
        last = said["last_command"]
        assert (last["command"], last["ok"], last["reason"]) == ("start", False, answer["reason"])
        assert last["said"].startswith("start: refused — remote start is off")
        device = payload(
            await watcher.expect(f"homeassistant/sensor/{DEVICE_ID}/next_stage/config")
        )["device"]
        assert (device["manufacturer"], device["model"]) == ("NoblePro", "Elite E8.0")


async def test_remove_discovery_leaves_nothing_of_treadlinks_retained(
    broker: Mosquitto, tmp_path: Path
) -> None:
    timeline = write_stage(tmp_path, LONG_STAGE)
    async with (
        watching(broker.url) as watcher,
        published_session(broker.url, timeline) as rig,
    ):
        await rig.events.wait_for(SetpointSent)
        await watcher.state(lambda s: s["session"] == "running")
    link = BrokerLink(
        parse_broker(broker.url),
        client_id="treadlink-remover",
        status_topic=None,
        subscriptions=[],
        on_message=lambda m: None,
        on_connect=lambda: None,
    )
    async with link:
        await remove_discovery(link, TOPICS)
    async with watching(broker.url, "treadlink/#", "homeassistant/#") as late:
        await late.client.publish(f"{BASE}/marker", b"x", qos=1)
        await late.expect(f"{BASE}/marker")
        left = [m.topic.value for m in late.messages if m.topic.value != f"{BASE}/marker"]
        assert left == []
