"""The broker connection: its queue, clean sessions, logins, and a broker that goes away."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt
import pytest

from tests.support.mosquitto import PASSWORD, USER, Mosquitto
from tests.support.mqtt import BASE, LONG_STAGE, published_session, watching, write_stage
from treadlink.mqtt.client import BrokerLink, Kind, Outgoing, PublishQueue, TlsFiles, inbox_type
from treadlink.mqtt.settings import Broker, parse_broker
from treadlink.session.events import SegmentStarted, SetpointSent, StopRequested

pytestmark = pytest.mark.slow


def test_the_queue_drops_old_telemetry_first_and_never_state_or_faults() -> None:
    queue = PublishQueue(limit=4)
    queue.put(Outgoing("s", b"state-1", Kind.KEEP, retain=True))
    queue.put(Outgoing("e", b"t1", Kind.TELEMETRY))
    queue.put(Outgoing("e", b"paused", Kind.EVENT))
    queue.put(Outgoing("e", b"t2", Kind.TELEMETRY))
    queue.put(Outgoing("e", b"fault", Kind.KEEP))
    assert queue.dropped == 1  # t1, the oldest telemetry
    queue.put(Outgoing("e", b"t3", Kind.TELEMETRY))
    queue.put(Outgoing("s", b"state-2", Kind.KEEP, retain=True))  # replaces state-1 in place
    queue.put(Outgoing("e", b"skipped", Kind.EVENT))
    queue.put(Outgoing("e", b"finished", Kind.EVENT))
    # Over the limit again and again: the telemetry goes, then the oldest other events.
    assert len(queue) == 4

    async def drain() -> list[bytes]:
        return [(await queue.get()).payload for _ in range(len(queue))]

    assert asyncio.run(drain()) == [b"state-2", b"fault", b"skipped", b"finished"]


def test_publishes_given_back_after_a_failure_keep_the_newest_state() -> None:
    async def scenario(order: tuple[int, ...]) -> list[bytes]:
        queue = PublishQueue()
        taken = []
        for payload, kind in ((b"state-1", Kind.KEEP), (b"fault", Kind.KEEP)):
            queue.put(
                Outgoing(
                    "s" if payload.startswith(b"s") else "e",
                    payload,
                    kind,
                    payload.startswith(b"s"),
                )
            )
            taken.append(await queue.get())
        queue.put(Outgoing("e", b"telemetry", Kind.TELEMETRY))
        queue.put(Outgoing("s", b"state-2", Kind.KEEP, retain=True))
        taken += [await queue.get(), await queue.get()]  # all four in flight when the link fails
        for i in order:
            queue.put_back(taken[i])
        return [(await queue.get()).payload for _ in range(len(queue))]

    # Whichever publish is given back first, the older state never wins; telemetry is let go.
    for order in ((0, 1, 2, 3), (3, 2, 1, 0)):
        assert sorted(asyncio.run(scenario(order))) == [b"fault", b"state-2"]


def test_a_full_queue_of_what_is_kept_still_keeps_it() -> None:
    queue = PublishQueue(limit=2)
    for n in range(5):
        queue.put(Outgoing("e", f"fault {n}".encode(), Kind.KEEP))
        queue.put(Outgoing(f"s{n}", b"state", Kind.KEEP, retain=True))
    assert len(queue) == 10 and queue.dropped == 0


def test_a_stop_is_handed_over_as_it_is_read_and_the_rest_queue_in_order() -> None:
    handed: list[str] = []

    def message(topic: str) -> aiomqtt.Message:
        return aiomqtt.Message(topic, b"", qos=0, retain=False, mid=0, properties=None)

    async def scenario() -> list[str]:
        inbox = inbox_type(
            {"b/command/stop", "b/command/pause"}, lambda m: handed.append(m.topic.value)
        )()
        for topic in ("b/command/speed", "b/command/stop", "b/command/skip", "b/command/pause"):
            inbox.put_nowait(message(topic))
        # Stop and pause were handed over inside put, ahead of what was read before them.
        assert handed == ["b/command/stop", "b/command/pause"]
        return [inbox.get_nowait().topic.value for _ in range(inbox.qsize())]

    assert asyncio.run(scenario()) == ["b/command/speed", "b/command/skip"]


@pytest.mark.parametrize("over_tls", [False, True], ids=["plain", "tls"])
async def test_a_burst_is_read_whole_each_message_once_in_order(
    broker: Mosquitto, over_tls: bool
) -> None:
    """Packets are read from the socket in bursts and handled in batches: none is lost or
    doubled, and all but the urgent ones keep their order; the stop behind them is handed over
    too."""
    if over_tls:
        assert broker.tls_port is not None
        address = parse_broker(f"mqtts://127.0.0.1:{broker.tls_port}")
        tls = TlsFiles(ca=str(broker.ca_file))
    else:
        address, tls = parse_broker(broker.url), TlsFiles()
    count = 300
    async with (
        connected(address, tls=tls, urgent=(f"{BASE}/command/stop",)) as (link, received),
        watching(broker.url, f"{BASE}/status") as sender,
    ):
        await link.wait_connected()
        for n in range(count):
            await sender.client.publish(f"{BASE}/command/speed", str(n).encode(), qos=0)
        await sender.client.publish(f"{BASE}/command/stop", b"PRESS", qos=1)
        got = []
        async with asyncio.timeout(30):
            for _ in range(count + 1):
                got.append(await received.get())
    speeds = [m.payload for m in got if m.topic.value == f"{BASE}/command/speed"]
    assert speeds == [str(n).encode() for n in range(count)]
    assert [m.topic.value for m in got].count(f"{BASE}/command/stop") == 1
    assert received.empty()


@asynccontextmanager
async def connected(
    broker: Broker,
    *,
    tls: TlsFiles | None = None,
    client_id: str = "treadlink-test",
    urgent: tuple[str, ...] = (),
) -> AsyncIterator[tuple[BrokerLink, asyncio.Queue[aiomqtt.Message]]]:
    received: asyncio.Queue[aiomqtt.Message] = asyncio.Queue()
    link = BrokerLink(
        broker,
        client_id=client_id,
        status_topic=f"{BASE}/status",
        subscriptions=[f"{BASE}/command/+"],
        on_message=received.put_nowait,
        on_connect=lambda: None,
        urgent=urgent,
        tls=tls or TlsFiles(),
        backoff_s=(0.05, 0.2),
    )
    async with link:
        yield link, received


async def test_commands_sent_while_away_are_never_delivered(broker: Mosquitto) -> None:
    address = parse_broker(broker.url)
    async with connected(address) as (link, _):
        await link.wait_connected()
    async with watching(broker.url, f"{BASE}/status") as watcher:
        await watcher.expect(f"{BASE}/status", lambda m: m.payload == b"offline")
        # QoS 1 while the bridge is away: a persistent session would queue it for us.
        await watcher.client.publish(f"{BASE}/command/stop", b"PRESS", qos=1)
        async with connected(address) as (link, received):
            await link.wait_connected()
            await watcher.client.publish(f"{BASE}/command/marker", b"x", qos=1)
            async with asyncio.timeout(10):
                first = await received.get()
            assert first.topic.value == f"{BASE}/command/marker"


async def test_password_login(broker: Mosquitto) -> None:
    assert broker.password_port is not None
    good = Broker("127.0.0.1", broker.password_port, False, USER, PASSWORD)
    async with connected(good) as (link, _):
        await link.wait_connected()
    bad = Broker("127.0.0.1", broker.password_port, False, USER, "wrong")
    async with connected(bad) as (link, _):
        reason = await link.wait_failed()
        assert not link.connected
        assert "authori" in reason.lower()


async def test_tls_login(broker: Mosquitto) -> None:
    assert broker.tls_port is not None
    address = parse_broker(f"mqtts://127.0.0.1:{broker.tls_port}")
    async with connected(address, tls=TlsFiles(ca=str(broker.ca_file))) as (link, _):
        await link.wait_connected()
    # Without our CA the broker's certificate is not trusted: no connection.
    async with connected(address) as (link, _):
        reason = await link.wait_failed()
        assert not link.connected and "certificate" in reason.lower()


async def test_broker_killed_and_restarted_mid_session(broker: Mosquitto, tmp_path: Path) -> None:
    timeline = write_stage(
        tmp_path, 'name: "Intervals"\nitems:\n  - walk: 1:00\n  - run: 1:00\n  - walk: 1:00\n'
    )
    async with published_session(broker.url, timeline, speedup=30) as rig:
        await rig.events.wait_for(SetpointSent)
        broker.kill()  # gone without a word, mid-segment
        reason = await rig.link.wait_failed()
        assert reason
        await rig.events.wait_for(SegmentStarted, lambda e: e.index == 1)
        broker.start()  # same port
        await rig.link.wait_connected()
        assert rig.link.connections == 2
        async with watching(broker.url) as watcher:
            # Retained state refreshed on reconnection.
            state = await watcher.state(lambda s: s["session"] in ("running", "finished"))
            assert state["stage"] == "Intervals"
        finished = await rig.run
    assert finished.completed
    starts = [e.at for e in rig.events.of(SegmentStarted)]
    # The plan's timing did not notice: boundaries at 60 s of session time each.
    # Boundaries 60 s of session time apart (a few loop ticks of lag allowed, never carried).
    assert [b - a for a, b in itertools.pairwise(starts)] == [pytest.approx(60, abs=1.5)] * 2
    assert [e.reason for e in rig.events.of(StopRequested)] == ["end of plan"]


async def test_a_hung_broker_never_delays_the_plan_or_a_stop(
    broker: Mosquitto, tmp_path: Path
) -> None:
    timeline = write_stage(
        tmp_path, 'name: "Intervals"\nitems:\n  - walk: 1:00\n  - run: 1:00\n  - walk: 1:00\n'
    )
    async with published_session(broker.url, timeline, speedup=30) as rig:
        await rig.events.wait_for(SetpointSent)
        broker.freeze()  # connected, silent: every publish now waits for an answer never sent
        try:
            await rig.events.wait_for(SegmentStarted, lambda e: e.index == 2)
            rig.session.stop("runner quit")
            finished = await rig.run
            assert rig.simulator.stopped
        finally:
            broker.thaw()
    starts = [e.at for e in rig.events.of(SegmentStarted)]
    # Boundaries 60 s of session time apart (a few loop ticks of lag allowed, never carried).
    assert [b - a for a, b in itertools.pairwise(starts)] == [pytest.approx(60, abs=1.5)] * 2
    assert not finished.completed


async def test_a_stop_while_the_broker_is_gone_still_stops(
    broker: Mosquitto, tmp_path: Path
) -> None:
    timeline = write_stage(tmp_path, LONG_STAGE)
    async with published_session(broker.url, timeline) as rig:
        await rig.events.wait_for(SetpointSent)
        broker.kill()
        await rig.link.wait_failed()
        rig.session.stop("runner quit")  # the laptop's q
        finished = await rig.run
        assert rig.simulator.stopped
    assert not finished.completed


async def test_last_will_when_the_process_is_killed(broker: Mosquitto, tmp_path: Path) -> None:
    stage = tmp_path / "stage.yaml"
    stage.write_text(LONG_STAGE)
    config = tmp_path / "config.yaml"
    config.write_text("max_speed: 10\n")
    async with watching(broker.url, f"{BASE}/#") as watcher:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "treadlink.cli",
            "run",
            str(stage),
            "--sim",
            "--mqtt",
            broker.url,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "TREADLINK_CONFIG": str(config)},
        )
        try:
            await watcher.expect(f"{BASE}/status", lambda m: m.payload == b"online", timeout=30)
            await watcher.state(lambda s: s["session"] == "running")
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        will = await watcher.expect(f"{BASE}/status", lambda m: m.payload == b"offline")
        assert will.payload == b"offline"
