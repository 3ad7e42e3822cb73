"""The topic contract of docs/mqtt.md, seen from a client of a real broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import BASE, LONG_STAGE, payload, published_session, watching, write_stage
from treadlink.session.events import BeltStarted, SegmentStarted, SetpointSent

pytestmark = pytest.mark.slow

STATE_KEYS = {
    "speed_kmh",
    "incline_pct",
    "distance_m",
    "elapsed_s",
    "heart_rate_bpm",
    "belt",
    "session",
    "plan",
    "stage",
    "segment",
    "fault",
    "remote_start",
}


async def test_a_run_is_published_and_ends_offline(broker: Mosquitto, tmp_path: Path) -> None:
    timeline = write_stage(tmp_path, 'name: "Short"\nitems:\n  - walk: 0:20\n  - run: 0:20\n')
    async with watching(broker.url) as watcher:
        async with published_session(broker.url, timeline, speedup=10) as rig:
            await watcher.expect(f"{BASE}/status", lambda m: m.payload == b"online")
            await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online")
            running = await watcher.state(lambda s: s["session"] == "running")
            assert set(running) >= STATE_KEYS
            assert running["stage"] == "Short"
            segment = await watcher.state(lambda s: (s["segment"] or {}).get("index") == 1)
            assert segment["segment"]["kind"] == "run"
            assert set(segment["segment"]) >= {"index", "name", "kind", "remaining_s"}
            finished = await rig.run
        assert finished.completed
        done = await watcher.state(lambda s: s["session"] == "finished")
        assert done["fault"] is None
        await watcher.expect(f"{BASE}/status", lambda m: m.payload == b"offline")
        # Every session event went to B/event, as the JSON `--events` writes.
        events = [payload(m) for m in watcher.messages if m.topic.value == f"{BASE}/event"]
        kinds = [e["event"] for e in events]
        assert kinds.count("segment_started") == 2
        assert "finished" in kinds
        first = rig.events.of(SegmentStarted)[0].as_json()
        assert first in events
    # Retained: a client that comes later still gets the last state and the status.
    async with watching(broker.url) as late:
        state = await late.state(lambda s: True)
        assert state["session"] == "finished"
        status = await late.expect(f"{BASE}/status")
        assert status.payload == b"offline" and status.retain
        assert (await late.expect(f"{BASE}/treadmill")).retain


async def test_state_changes_at_once_and_telemetry_at_most_once_a_second(
    broker: Mosquitto, tmp_path: Path
) -> None:
    timeline = write_stage(tmp_path, LONG_STAGE)
    async with watching(broker.url) as watcher:
        async with published_session(broker.url, timeline) as rig:
            await rig.events.wait_for(SetpointSent)
            await rig.events.wait_for(BeltStarted)
            mark = len(watcher.messages)
            # A pause is a change of session: published at once, before the next tick.
            answer = await watcher.command("pause")
            assert answer == {"command": "pause", "ok": True, "reason": ""}
            paused = await watcher.state(lambda s: s["session"] == "paused", after=mark)
            assert paused["pause_reason"] == "MQTT pause"
            # Telemetry-only changes: state follows at most once a second, whatever the rate.
        async with published_session(broker.url, timeline, telemetry_hz=10) as rig:
            await watcher.state(lambda s: s["belt"] == "running")
            start = len(watcher.messages)
            for _ in range(20):
                await watcher.expect(
                    f"{BASE}/event",
                    lambda m: payload(m)["event"] == "telemetry",
                    after=len(watcher.messages),
                )
            window = watcher.messages[start:]
            telemetry = [m for m in window if m.topic.value == f"{BASE}/event"]
            states = [m for m in window if m.topic.value == f"{BASE}/state"]
            assert len(telemetry) >= 20
            assert 1 <= len(states) < len(telemetry) / 2
