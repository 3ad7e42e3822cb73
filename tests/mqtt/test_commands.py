"""Every command with its acceptance and refusal rules (docs/safety.md, contract item 8),
through a real broker to a session on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import (
    BASE,
    LONG_STAGE,
    Rig,
    Watcher,
    published_session,
    watching,
    write_stage,
)
from treadlink.mqtt.bridge import Rules, serve_rules
from treadlink.session.events import (
    Fault,
    Finished,
    Paused,
    SegmentStarted,
    SetpointSent,
    Skipped,
    StopRequested,
    TelemetryUpdate,
)

pytestmark = pytest.mark.slow

SERVE_DEFAULTS = serve_rules(allow_remote_start=False, allow_remote_increase=False)
SERVE_OPEN = serve_rules(allow_remote_start=True, allow_remote_increase=True)


@asynccontextmanager
async def walking(
    broker: Mosquitto, tmp_path: Path, rules: Rules | None = None
) -> AsyncIterator[tuple[Rig, Watcher]]:
    """A 10-minute walk at 5.5 km/h (1 % incline) under way, and a client watching it."""
    timeline = write_stage(tmp_path, LONG_STAGE)
    async with (
        watching(broker.url) as watcher,
        published_session(broker.url, timeline, rules=rules) as rig,
    ):
        await rig.events.wait_for(SetpointSent)
        yield rig, watcher


async def belt_reaches(rig: Rig, kmh: float) -> None:
    await rig.events.wait_for(TelemetryUpdate, lambda e: e.speed_kmh == kmh)


async def test_stop_is_accepted_and_ends_the_session_with_the_belt_stopped(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        assert await watcher.command("stop") == {"command": "stop", "ok": True, "reason": ""}
        finished = await rig.run
        assert rig.simulator.stopped
    assert not finished.completed
    assert rig.events.of(StopRequested)[0].reason == "MQTT stop"


async def test_pause_and_skip_are_accepted(broker: Mosquitto, tmp_path: Path) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        assert (await watcher.command("skip"))["ok"]
        await rig.events.wait_for(SegmentStarted, lambda e: e.index == 1)
        assert [e.index for e in rig.events.of(Skipped)] == [0]
        assert (await watcher.command("pause", "PRESS"))["ok"]
        paused = await rig.events.wait_for(Paused)
        assert paused.reason == "MQTT pause"
        assert rig.session.paused


async def test_run_never_resumes_starts_or_speeds_up(broker: Mosquitto, tmp_path: Path) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        for name, body in (("start", '{"stage": "next"}'), ("speed", "6"), ("incline", "2")):
            answer = await watcher.command(name, body)
            assert not answer["ok"] and "runner at the laptop" in answer["reason"]
        assert (await watcher.command("pause"))["ok"]
        await rig.events.wait_for(Paused)
        answer = await watcher.command("resume")
        assert not answer["ok"] and "runner at the laptop" in answer["reason"]
        assert rig.session.paused
        assert rig.simulator.target_speed_kmh <= 5.5


async def test_run_may_slow_the_belt_but_not_raise_it_back(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        assert (await watcher.command("speed", '{"value": 5.0}'))["ok"]
        await belt_reaches(rig, 5.0)
        # Back to the plan's own 5.5 is an increase over what the treadmill was last told.
        answer = await watcher.command("speed", "5.5")
        assert not answer["ok"]
        assert rig.simulator.target_speed_kmh == 5.0


async def test_serve_defaults_refuse_and_name_the_setting(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path, SERVE_DEFAULTS) as (rig, watcher):
        for name, body, setting in (
            ("start", '{"stage": "next"}', "allow_remote_start"),
            ("speed", "6", "allow_remote_increase"),
            ("incline", '{"value": 1.5}', "allow_remote_increase"),
        ):
            answer = await watcher.command(name, body)
            assert not answer["ok"] and setting in answer["reason"], answer
        assert (await watcher.command("pause"))["ok"]
        await rig.events.wait_for(Paused)
        answer = await watcher.command("resume")
        assert not answer["ok"] and "allow_remote_start" in answer["reason"]
        assert rig.session.paused


async def test_allowed_increase_stays_within_caps_and_grid(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path, SERVE_OPEN) as (rig, watcher):
        assert (await watcher.command("speed", "6.5"))["ok"]
        await belt_reaches(rig, 6.5)
        above_cap = await watcher.command("speed", "10.5")
        assert not above_cap["ok"] and "cap" in above_cap["reason"]
        off_grid = await watcher.command("speed", "6.55")
        assert not off_grid["ok"]
        steep = await watcher.command("incline", "6")
        assert not steep["ok"] and "cap" in steep["reason"]
        assert (await watcher.command("incline", "2"))["ok"]
        await rig.events.wait_for(TelemetryUpdate, lambda e: e.incline_pct == 2.0)
        assert rig.simulator.target_speed_kmh == 6.5


async def test_a_latched_fault_is_never_cleared_or_overridden_remotely(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path, SERVE_OPEN) as (rig, watcher):
        rig.session.emergency_stop("runner's key")  # the runner, locally
        await rig.events.wait_for(Fault, lambda e: e.latched)
        state = await watcher.state(lambda s: s["fault"] is not None)
        assert state["fault"]["kind"] == "stop_input" and state["session"] == "latched"
        assert not state["remote_start"]
        for name, body in (
            ("acknowledge", ""),
            ("resume", ""),
            ("start", '{"stage": "next"}'),
            ("speed", "5"),
            ("incline", "0"),
            ("skip", ""),
        ):
            answer = await watcher.command(name, body)
            assert not answer["ok"], answer
        assert rig.session.latched
        assert (await watcher.command("stop"))["ok"]  # the safe direction always works
        await rig.run


MALFORMED: list[tuple[str, bytes]] = [
    ("speed", b"fast"),
    ("speed", b"NaN"),
    ("speed", b"-Infinity"),
    ("speed", b"1e999"),
    ("speed", b'{"value": "5"}'),
    ("speed", b'{"value": 5, "x": 1}'),
    ("speed", b"true"),
    ("speed", b"-1"),
    ("speed", b"25"),
    ("speed", b"5.05"),
    ("incline", b"-3"),
    ("incline", b"0.3"),
    ("speed", b"5" * 600),
    ("start", b'{"stage": "stage-99"}'),
    ("start", b"next"),
    ("skip", b"\xff\xfe"),
    ("skip", b"[1, 2]"),
    ("resume", b"{"),
    ("jump", b""),
]


async def test_malformed_payloads_are_refused_and_change_nothing(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path, SERVE_OPEN) as (rig, watcher):
        before = len(rig.events)
        for name, body in MALFORMED:
            answer = await watcher.command(name, body)
            assert not answer["ok"], (name, body, answer)
            assert answer["reason"]
        changes = (Paused, Skipped, StopRequested, SetpointSent, Fault)
        assert not [e for e in rig.events[before:] if isinstance(e, changes)]
        assert rig.simulator.target_speed_kmh == 5.5


async def test_the_answer_goes_to_the_response_topic_with_its_correlation_data(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path) as (_rig, watcher):
        await watcher.client.subscribe("client/answers", qos=1)
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = "client/answers"
        properties.CorrelationData = b"req-42"
        mark = len(watcher.messages)
        answer = await watcher.command("speed", "5", properties=properties)
        assert answer["ok"]
        reply = await watcher.expect("client/answers", after=mark)
        assert reply.properties is not None
        assert reply.properties.CorrelationData == b"req-42"
        assert reply.payload == b'{"command": "speed", "ok": true, "reason": ""}'


@pytest.mark.parametrize("topic", ["client/+", "", "x" * 300])
async def test_a_bad_response_topic_still_gets_the_result_topic(
    broker: Mosquitto, tmp_path: Path, topic: str
) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        properties = Properties(PacketTypes.PUBLISH)
        if topic:
            properties.ResponseTopic = topic
        assert (await watcher.command("pause", properties=properties))["ok"]
        assert (await watcher.command("stop"))["ok"]  # the link lives on
        finished: Any = await rig.run
        assert isinstance(finished, Finished)


@pytest.mark.parametrize("body", [b"\xff\xfe", b"{", b"x" * 2000, b"NaN"])
async def test_a_stop_that_cannot_be_read_is_still_a_stop(
    broker: Mosquitto, tmp_path: Path, body: bytes
) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        assert (await watcher.command("stop", body))["ok"]
        await rig.run
        assert rig.simulator.stopped


async def test_a_stop_behind_a_flood_still_stops(broker: Mosquitto, tmp_path: Path) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        for _ in range(2000):
            await watcher.client.publish(f"{BASE}/command/speed", b"flood", qos=0)
        answer = await watcher.command("stop")
        assert answer["ok"]
        finished = await rig.run
        assert rig.simulator.stopped
    assert not finished.completed
    assert rig.events.of(StopRequested)[0].reason == "MQTT stop"
