"""Home Assistant discovery: the configs, their bounds and availability, and their removal."""

from __future__ import annotations

from pathlib import Path

from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import (
    DEVICE_ID,
    LONG_STAGE,
    TOPICS,
    payload,
    published_session,
    watching,
    write_stage,
)
from treadlink.mqtt.bridge import RULES_FOR_RUN, serve_rules
from treadlink.mqtt.client import BrokerLink
from treadlink.mqtt.discovery import (
    Caps,
    Machine,
    discovery_messages,
    removal_topics,
    remove_discovery,
)
from treadlink.mqtt.settings import parse_broker
from treadlink.plans.limits import NOBLEPRO_ELITE
from treadlink.session.events import SetpointSent

MACHINE = Machine("NoblePro", NOBLEPRO_ELITE.speed, NOBLEPRO_ELITE.incline)
CAPS = Caps(max_speed_kmh=10.0, max_incline_pct=5.0)


def configs(rules: object = RULES_FOR_RUN) -> dict[str, dict[str, object]]:
    return {topic: body for topic, body in discovery_messages(TOPICS, MACHINE, CAPS, rules)}  # type: ignore[arg-type]


def test_one_device_with_its_sensors_buttons_and_numbers() -> None:
    found = configs()
    entities = {t.removeprefix("homeassistant/").removesuffix("/config") for t in found}
    assert entities == {
        *(
            f"sensor/{DEVICE_ID}/{k}"
            for k in (
                "speed",
                "incline",
                "distance",
                "elapsed",
                "heart_rate",
                "session",
                "segment",
                "segment_remaining",
                "last_command",
                "next_stage",
                "next_stage_due",
            )
        ),
        f"binary_sensor/{DEVICE_ID}/belt",
        f"binary_sensor/{DEVICE_ID}/fault",
        f"binary_sensor/{DEVICE_ID}/remote_start",
        *(f"button/{DEVICE_ID}/{k}" for k in ("stop", "pause", "skip")),
        f"number/{DEVICE_ID}/target_speed",
        f"number/{DEVICE_ID}/target_incline",
    }
    for body in found.values():
        assert body["availability"] == [
            {"topic": f"treadlink/{DEVICE_ID}/status"},
            {"topic": f"treadlink/{DEVICE_ID}/treadmill"},
        ]
        assert body["availability_mode"] == "all"
        assert body["device"]["identifiers"] == [f"treadlink_{DEVICE_ID}"]  # type: ignore[index]
    ids = [body["unique_id"] for body in found.values()]
    assert len(set(ids)) == len(ids)
    speed = found[f"homeassistant/number/{DEVICE_ID}/target_speed/config"]
    # The treadmill goes to 20 km/h; the runner's cap is 10.
    assert (speed["min"], speed["max"], speed["step"]) == (1.0, 10.0, 0.1)
    assert speed["command_topic"] == f"treadlink/{DEVICE_ID}/command/speed"
    incline = found[f"homeassistant/number/{DEVICE_ID}/target_incline/config"]
    assert (incline["min"], incline["max"], incline["step"]) == (0.0, 5.0, 0.5)
    stop = found[f"homeassistant/button/{DEVICE_ID}/stop/config"]
    assert stop["command_topic"] == f"treadlink/{DEVICE_ID}/command/stop"


def test_start_and_resume_buttons_only_when_remote_start_is_allowed() -> None:
    allowed = configs(serve_rules(allow_remote_start=True, allow_remote_increase=False))
    assert f"homeassistant/button/{DEVICE_ID}/start/config" in allowed
    assert f"homeassistant/button/{DEVICE_ID}/resume/config" in allowed
    closed = configs(serve_rules(allow_remote_start=False, allow_remote_increase=True))
    assert not any("/start/" in t or "/resume/" in t for t in closed)
    # Removal clears every topic any configuration could have published.
    assert set(allowed) <= set(removal_topics(TOPICS))


async def test_published_retained_again_when_home_assistant_comes_online_and_removed(
    broker: Mosquitto, tmp_path: Path
) -> None:
    timeline = write_stage(tmp_path, LONG_STAGE)
    speed_topic = f"homeassistant/number/{DEVICE_ID}/target_speed/config"
    async with (
        watching(broker.url, "homeassistant/#", "treadlink/#") as watcher,
        published_session(broker.url, timeline) as rig,
    ):
        await rig.events.wait_for(SetpointSent)
        first = await watcher.expect(speed_topic)
        assert payload(first)["max"] == 10.0
        mark = len(watcher.messages)
        await watcher.client.publish("homeassistant/status", b"online", qos=1)
        again = await watcher.expect(speed_topic, after=mark)
        assert payload(again) == payload(first)
    async with watching(broker.url, "homeassistant/#") as late:
        retained = await late.expect(speed_topic)
        assert retained.retain
        link = BrokerLink(
            parse_broker(broker.url),
            client_id="treadlink-remover",
            status_topic=f"treadlink/{DEVICE_ID}/status",
            subscriptions=[],
            on_message=lambda m: None,
            on_connect=lambda: None,
        )
        mark = len(late.messages)
        async with link:
            await remove_discovery(link, TOPICS)
        cleared = await late.expect(speed_topic, lambda m: m.payload == b"", after=mark)
        assert cleared.payload == b""
    async with watching(broker.url, "homeassistant/#") as after:
        await after.client.publish("homeassistant/marker", b"x", qos=1)
        await after.expect("homeassistant/marker")
        assert [m.topic.value for m in after.messages] == ["homeassistant/marker"]
