"""Home Assistant MQTT discovery: one device, its entities, as retained config messages.

Every entity reads the retained `B/state` document and is available only while both the bridge
(`B/status`) and the treadmill link (`B/treadmill`) are `online`. Start and resume buttons exist
only when remote start is allowed; the number entities are bounded by what the treadmill
advertises and by the runner's caps, so Home Assistant never offers a value treadlink refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from treadlink import __version__
from treadlink.mqtt.bridge import Rules
from treadlink.mqtt.client import BrokerLink, Kind
from treadlink.mqtt.topics import ONLINE, Topics
from treadlink.treadmill.base import DeviceInfo, Treadmill
from treadlink.treadmill.units import Range

Message = tuple[str, dict[str, Any]]

_PHASES: Final = ["idle", "starting", "running", "paused", "latched", "finished"]
_SENSORS: Final[dict[str, dict[str, Any]]] = {
    "speed": {
        "name": "Speed",
        "unit_of_measurement": "km/h",
        "device_class": "speed",
        "state_class": "measurement",
        "value_template": "{{ value_json.speed_kmh }}",
    },
    "incline": {
        "name": "Incline",
        "unit_of_measurement": "%",
        "state_class": "measurement",
        "icon": "mdi:slope-uphill",
        "value_template": "{{ value_json.incline_pct }}",
    },
    "distance": {
        "name": "Distance",
        "unit_of_measurement": "m",
        "device_class": "distance",
        "state_class": "total_increasing",
        "value_template": "{{ value_json.distance_m }}",
    },
    "elapsed": {
        "name": "Elapsed",
        "unit_of_measurement": "s",
        "device_class": "duration",
        "value_template": "{{ value_json.elapsed_s }}",
    },
    "heart_rate": {
        "name": "Heart rate",
        "unit_of_measurement": "bpm",
        "state_class": "measurement",
        "icon": "mdi:heart-pulse",
        "value_template": "{{ value_json.heart_rate_bpm }}",
    },
    "session": {
        "name": "Session",
        "device_class": "enum",
        "options": _PHASES,
        "value_template": "{{ value_json.session }}",
    },
    "segment": {
        "name": "Segment",
        "icon": "mdi:run",
        "value_template": "{{ value_json.segment.name if value_json.segment else 'none' }}",
    },
    "segment_remaining": {
        "name": "Time left in segment",
        "unit_of_measurement": "s",
        "device_class": "duration",
        "value_template": "{{ value_json.segment.remaining_s if value_json.segment else None }}",
    },
    # What treadlink said: the last command's answer, with its reason (state_document).
    "last_command": {
        "name": "Last command",
        "icon": "mdi:console-line",
        "value_template": "{{ value_json.last_command.said if value_json.last_command else None }}",
        "json_attributes_template": "{{ (value_json.last_command or {}) | to_json }}",
    },
    # The stage the programme advises next and from when (`serve`; None while unknown).
    "next_stage": {
        "name": "Next stage",
        "icon": "mdi:calendar-arrow-right",
        "value_template": "{{ value_json.next.said if value_json.next else None }}",
        "json_attributes_template": "{{ (value_json.next or {}) | to_json }}",
    },
    "next_stage_due": {
        "name": "Next stage due",
        "device_class": "date",
        "value_template": "{{ value_json.next.due if value_json.next and value_json.next.due "
        "else None }}",
    },
}
_BINARY_SENSORS: Final[dict[str, dict[str, Any]]] = {
    "belt": {
        "name": "Belt running",
        "device_class": "running",
        "value_template": "{{ 'ON' if value_json.belt == 'running' else 'OFF' }}",
    },
    "fault": {
        "name": "Fault",
        "device_class": "problem",
        "value_template": "{{ 'ON' if value_json.fault else 'OFF' }}",
    },
    "remote_start": {
        "name": "Remote start allowed",
        "icon": "mdi:play-network",
        "value_template": "{{ 'ON' if value_json.remote_start else 'OFF' }}",
    },
}
_BUTTONS: Final = {"stop": "Stop", "pause": "Pause", "skip": "Skip segment"}
_START_BUTTONS: Final = {
    "start": ("Start next stage", '{"stage": "next"}'),
    "resume": ("Resume", "PRESS"),
}


@dataclass(frozen=True, slots=True)
class Caps:
    """The runner's caps: the bounds of the number entities (the guard enforces them)."""

    max_speed_kmh: float
    max_incline_pct: float


@dataclass(frozen=True, slots=True)
class Machine:
    """What the device offers: its name and ranges (None: no incline target), and what it says
    it is (its Device Information service: maker, model, serial, revisions)."""

    name: str
    speed: Range
    incline: Range | None
    info: DeviceInfo = field(default_factory=DeviceInfo)

    @classmethod
    def of(cls, treadmill: Treadmill) -> Machine:
        """A connected treadmill's."""
        assert treadmill.capabilities is not None
        assert treadmill.speed_range is not None
        return cls(
            name=treadmill.label,
            speed=treadmill.speed_range,
            incline=treadmill.incline_range if treadmill.supports_incline else None,
            info=treadmill.capabilities.info,
        )


class Discovery:
    """Publishes this device's discovery once its machine is known, and again on request (each
    connection to the broker, each `online` from Home Assistant)."""

    def __init__(
        self, topics: Topics, caps: Caps, rules: Rules, link: BrokerLink, machine: Machine | None
    ) -> None:
        self.topics, self.caps, self.rules, self.link = topics, caps, rules, link
        self.machine = machine

    def set_machine(self, machine: Machine) -> None:
        changed = machine != self.machine
        self.machine = machine
        if changed:
            self.announce()

    def announce(self) -> None:
        if self.machine is None:
            return
        for topic, config in discovery_messages(self.topics, self.machine, self.caps, self.rules):
            self.link.publish(topic, json.dumps(config), Kind.KEEP, retain=True)


def discovery_messages(topics: Topics, machine: Machine, caps: Caps, rules: Rules) -> list[Message]:
    """Every discovery config to publish (retained) for this device."""
    common: dict[str, Any] = {
        "availability": [{"topic": topics.status}, {"topic": topics.treadmill}],
        "availability_mode": "all",
        "payload_available": ONLINE,
        "device": device_block(topics, machine),
        "origin": {"name": "treadlink", "sw_version": __version__},
    }

    def entity(component: str, key: str, body: dict[str, Any]) -> Message:
        config = {"unique_id": f"treadlink_{topics.device_id}_{key}", **body, **common}
        return topics.discovery(component, key), config

    def reading(body: dict[str, Any]) -> dict[str, Any]:
        # Everything is read from the one state document; so are attributes, when there are.
        out = {**body, "state_topic": topics.state}
        if "json_attributes_template" in body:
            out["json_attributes_topic"] = topics.state
        return out

    out = [entity("sensor", k, reading(v)) for k, v in _SENSORS.items()]
    out += [entity("binary_sensor", k, reading(v)) for k, v in _BINARY_SENSORS.items()]
    buttons = {k: (name, "PRESS") for k, name in _BUTTONS.items()}
    if rules.start is None:
        buttons.update(_START_BUTTONS)
    out += [
        entity(
            "button", k, {"name": name, "command_topic": topics.command(k), "payload_press": press}
        )
        for k, (name, press) in buttons.items()
    ]
    out.append(
        entity(
            "number", "target_speed", _number(topics, "speed", machine.speed, caps.max_speed_kmh)
        )
    )
    if machine.incline is not None:
        body = _number(topics, "incline", machine.incline, caps.max_incline_pct)
        out.append(entity("number", "target_incline", body))
    return out


def device_block(topics: Topics, machine: Machine) -> dict[str, Any]:
    """Home Assistant's device: the treadmill, named by what it says it is. What it does not
    say is left out rather than made up."""
    info = machine.info
    said = {
        "manufacturer": info.manufacturer,
        "model": info.model,
        "serial_number": info.serial,
        "hw_version": info.hardware_revision,
        "sw_version": info.firmware_revision or info.software_revision,
    }
    return {
        "identifiers": [f"treadlink_{topics.device_id}"],
        "name": machine.name,
        **{key: value for key, value in said.items() if value},
    }


def removal_topics(topics: Topics) -> list[str]:
    """Every retained topic treadlink may have written for this device, to clear with empty
    payloads: each discovery config any configuration could publish, and the bridge's status,
    treadmill link and state. (Retained commands are cleared by the bridge as they arrive.)"""
    out = [topics.discovery("sensor", k) for k in _SENSORS]
    out += [topics.discovery("binary_sensor", k) for k in _BINARY_SENSORS]
    out += [topics.discovery("button", k) for k in (*_BUTTONS, *_START_BUTTONS)]
    out += [topics.discovery("number", k) for k in ("target_speed", "target_incline")]
    out += [topics.status, topics.treadmill, topics.state]
    return out


def _number(topics: Topics, name: str, r: Range, cap: float) -> dict[str, Any]:
    unit = "kmh" if name == "speed" else "pct"
    highest = max(v for v in r.grid() if v <= cap + 1e-6) if r.value(r.minimum) <= cap else None
    return {
        "name": f"Target {name}",
        "command_topic": topics.command(name),
        "state_topic": topics.state,
        "value_template": f"{{{{ value_json.target_{name}_{unit} }}}}",
        "min": r.value(r.minimum),
        "max": highest if highest is not None else r.value(r.minimum),
        "step": r.value(r.step),
        "unit_of_measurement": r.unit,
        "mode": "box",
    }


async def remove_discovery(link: BrokerLink, topics: Topics) -> None:
    """Once connected, queue the empty retained payloads that make Home Assistant forget this
    device and leave nothing of treadlink's retained at the broker; closing the link then sends
    them."""
    await link.wait_connected()
    for topic in removal_topics(topics):
        link.publish(topic, b"", Kind.KEEP, retain=True)
