"""Retained command messages (docs/mqtt.md, docs/decisions/0009): a stale one left at the broker
is never delivered (MQTT 5 Retain Handling 2), so every message that arrives is live. Stop and
pause are then honoured whatever their flags (safety contract item 8: "stop and pause are always
accepted, whatever the message's flags"), and their retained copy is cleared; other retained
commands are still refused, and cleared too. A real Mosquitto on 127.0.0.1, a session on the
simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import (
    BASE,
    LONG_STAGE,
    Rig,
    Watcher,
    payload,
    published_session,
    watching,
    write_stage,
)
from tests.support.serving import serving
from treadlink.session.events import (
    Paused,
    Resumed,
    SetpointSent,
    Skipped,
    StopRequested,
)


@asynccontextmanager
async def walking(broker: Mosquitto, tmp_path: Path) -> AsyncIterator[tuple[Rig, Watcher]]:
    timeline = write_stage(tmp_path, LONG_STAGE)
    async with (
        watching(broker.url) as watcher,
        published_session(broker.url, timeline) as rig,
    ):
        await rig.events.wait_for(SetpointSent)
        yield rig, watcher


async def nothing_retained_under(broker: Mosquitto, prefix: str) -> None:
    """A client subscribing now gets no retained message under `prefix` (a marker published
    after the subscription proves that anything retained would have come first)."""
    async with watching(broker.url, f"{prefix}/#") as late:
        await late.client.publish(f"{prefix}/marker", b"x", qos=1)
        first = await late.expect(f"{prefix}/marker")
        assert late.messages == [first], [(m.topic.value, m.payload) for m in late.messages]


async def test_a_stale_retained_command_is_never_delivered(
    broker: Mosquitto, tmp_path: Path
) -> None:
    timeline = write_stage(tmp_path, LONG_STAGE)
    async with watching(broker.url) as watcher:
        # Left at the broker yesterday: it must neither stop today's run nor be answered.
        for name in ("stop", "pause", "skip"):
            await watcher.client.publish(f"{BASE}/command/{name}", b"PRESS", qos=1, retain=True)
        async with published_session(broker.url, timeline) as rig:
            await rig.events.wait_for(SetpointSent)
            # A live command answered after the subscription: anything delivered on subscribe
            # would have been answered before it.
            answer = await watcher.command("speed", "fast")
            assert not answer["ok"]
            results = [payload(m) for m in watcher.messages if m.topic.value == f"{BASE}/result"]
            assert [r["command"] for r in results] == ["speed"]
            assert not rig.events.of(StopRequested)
            assert not rig.events.of(Skipped)
            assert not rig.session.paused and not rig.run.done()


async def test_a_live_retained_stop_stops_the_belt_and_its_copy_is_cleared(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        answer = await watcher.command("stop", "PRESS", retain=True)
        assert answer == {"command": "stop", "ok": True, "reason": ""}
        finished = await rig.run
        assert rig.simulator.stopped
        assert not finished.completed
        assert rig.events.of(StopRequested)[0].reason == "MQTT stop"
    await nothing_retained_under(broker, f"{BASE}/command")


async def test_a_live_retained_pause_pauses_other_retained_commands_are_refused_all_cleared(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with walking(broker, tmp_path) as (rig, watcher):
        refused = await watcher.command("skip", "PRESS", retain=True)
        assert not refused["ok"] and "retain" in refused["reason"]
        assert not rig.events.of(Skipped)
        assert (await watcher.command("pause", "PRESS", retain=True))["ok"]
        paused = await rig.events.wait_for(Paused)
        assert paused.reason == "MQTT pause" and rig.session.paused
        await nothing_retained_under(broker, f"{BASE}/command")


FLAGS = [
    pytest.param(False, 2, id="qos2"),
    pytest.param(True, 0, id="retained-qos0"),
    pytest.param(True, 1, id="retained-qos1"),
    pytest.param(True, 2, id="retained-qos2"),
]


@pytest.mark.parametrize(("retain", "qos"), FLAGS)
async def test_stop_and_pause_are_always_accepted_whatever_the_message_flags(
    broker: Mosquitto, tmp_path: Path, retain: bool, qos: int
) -> None:
    """Safety contract item 8, as docs/safety.md lists it: every flag a publisher may set, and a
    response topic, a payload that cannot be read or none at all."""
    properties = Properties(PacketTypes.PUBLISH)
    properties.ResponseTopic = f"{BASE}/replies"
    properties.CorrelationData = b"1"
    async with walking(broker, tmp_path) as (rig, watcher):
        for resumed, body in enumerate((b"", b"PRESS", b"\xff{"), start=1):
            mark = len(watcher.messages)
            await watcher.client.publish(
                f"{BASE}/command/pause", body, qos=qos, retain=retain, properties=properties
            )
            answer = await watcher.expect(f"{BASE}/result", after=mark)
            assert payload(answer) == {"command": "pause", "ok": True, "reason": ""}
            assert rig.session.paused
            assert rig.session.resume()  # the runner, at the laptop
            await rig.events.wait_for(
                Resumed, lambda _e, n=resumed: len(rig.events.of(Resumed)) == n
            )
        mark = len(watcher.messages)
        await watcher.client.publish(
            f"{BASE}/command/stop", b"{", qos=qos, retain=retain, properties=properties
        )
        answer = await watcher.expect(f"{BASE}/result", after=mark)
        assert payload(answer)["ok"]
        await rig.run
        assert rig.simulator.stopped


async def test_a_retained_stop_while_serve_idles_stops_a_console_belt(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with (
        watching(broker.url) as watcher,
        serving(broker, tmp_path) as (service, simulator),
    ):
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online")
        await simulator.console_start()
        await watcher.state(lambda s: s["belt"] == "running")
        mark = len(watcher.messages)
        await watcher.client.publish(f"{BASE}/command/stop", b"PRESS", qos=2, retain=True)
        answer = await watcher.expect(f"{BASE}/result", after=mark)
        assert payload(answer) == {"command": "stop", "ok": True, "reason": ""}
        await watcher.expect(
            f"{BASE}/event", lambda m: payload(m)["event"] == "belt_stopped", after=mark
        )
        assert simulator.stopped and service.sessions == 0
    await nothing_retained_under(broker, f"{BASE}/command")
