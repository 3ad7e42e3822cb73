"""`treadlink serve`: the treadmill kept connected and published, stages on remote command only
when allowed, reconnection when it goes away, and SIGTERM leaving the belt stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.history import CLEAN, ran
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import BASE, TOPICS, payload, watching
from tests.support.serving import mini_plan, ready_to_start, serving
from treadlink.cli import build_parser, main
from treadlink.cli import pain as pain_cli
from treadlink.records.pain_gate import next_morning_opens
from treadlink.records.store import DATA_DIR_ENV, Store, database_path
from treadlink.safety.faults import FaultKind
from treadlink_sim.faults import Fault

pytestmark = pytest.mark.slow


async def test_the_idle_treadmill_is_published_and_found_again(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with watching(broker.url, "treadlink/#", "homeassistant/#") as watcher:
        async with serving(broker, tmp_path) as (_service, simulator):
            await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online")
            idle = await watcher.state(lambda s: s["speed_kmh"] == 0.0)
            assert idle["session"] == "idle" and idle["belt"] == "stopped"
            assert not idle["remote_start"]  # off by default
            # Discovery once the treadmill's ranges are known; no start button by default.
            await watcher.expect(f"homeassistant/number/{TOPICS.device_id}/target_speed/config")
            assert not [
                m
                for m in watcher.messages
                if "/button/" in m.topic.value and "start" in m.topic.value
            ]
            # Someone walking from the console, with no session: still published.
            await simulator.console_start()
            walking = await watcher.state(lambda s: s["belt"] == "running")
            assert walking["session"] == "idle"
            await simulator.console_stop()
            # Out of range, then back.
            mark = len(watcher.messages)
            await simulator.set_fault(Fault.LINK_LOST)
            await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"offline", after=mark)
            await simulator.clear_fault(Fault.LINK_LOST)
            await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online", after=mark)
        await watcher.expect(f"{BASE}/status", lambda m: m.payload == b"offline")


async def test_remote_start_is_refused_by_default(broker: Mosquitto, tmp_path: Path) -> None:
    async with watching(broker.url) as watcher, serving(broker, tmp_path) as (service, _sim):
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online")
        answer = await watcher.command("start", '{"stage": "short"}')
        assert not answer["ok"] and "allow_remote_start" in answer["reason"]
        assert service.sessions == 0


async def test_a_remote_start_runs_the_stage_and_sigterm_leaves_the_belt_stopped(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with watching(broker.url) as watcher:
        async with serving(broker, tmp_path, allow_remote_start=True) as (service, simulator):
            await watcher.state(lambda s: s["remote_start"])
            for stage, reason in (("stage-99", "unknown stage"), ("../x", "inside")):
                answer = await watcher.command("start", f'{{"stage": "{stage}"}}')
                assert not answer["ok"] and reason in answer["reason"]
            assert (await watcher.command("start", '{"stage": "short"}'))["ok"]
            running = await watcher.state(lambda s: s["segment"] is not None)
            assert running["stage"] == "Short" and not running["remote_start"]
            again = await watcher.command("start", '{"stage": "short"}')
            assert not again["ok"] and "running" in again["reason"]
            service.terminate("SIGTERM")
        assert simulator.stopped
        events = [payload(m)["event"] for m in watcher.messages if m.topic.value == f"{BASE}/event"]
        assert "belt_stopped" in events
        stopped = await watcher.state(lambda s: s["session"] == "finished")
        assert stopped["belt"] == "stopped"


async def test_remote_start_waits_for_the_belt_to_be_stopped(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with (
        watching(broker.url) as watcher,
        serving(broker, tmp_path, allow_remote_start=True) as (service, simulator),
    ):
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online")
        await simulator.console_start()
        await watcher.state(lambda s: s["belt"] == "running")
        answer = await watcher.command("start", '{"stage": "short"}')
        assert not answer["ok"] and "belt" in answer["reason"]
        assert service.sessions == 0
        await simulator.console_stop()


def test_serve_cli_sigterm_and_remove_discovery(broker: Mosquitto, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("max_speed: 10\n")
    env = {**os.environ, "TREADLINK_CONFIG": str(config)}
    command = [sys.executable, "-m", "treadlink.cli", "serve", "--sim", "--broker", broker.url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    assert process.stdout.readline().startswith(f"treadlink serve: {BASE} on")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    removed = subprocess.run(
        [*command, "--remove-discovery"], capture_output=True, text=True, env=env, timeout=60
    )
    assert removed.returncode == 0, removed.stderr
    assert TOPICS.device_id in removed.stdout
    bad = subprocess.run(
        [*command[:-1], "ftp://x"], capture_output=True, text=True, env=env, timeout=60
    )
    assert bad.returncode == 2 and "--broker" in bad.stderr and "Traceback" not in bad.stderr


async def test_stop_while_idle_stops_a_belt_run_from_the_console(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with (
        watching(broker.url) as watcher,
        serving(broker, tmp_path, allow_remote_start=True) as (service, simulator),
    ):
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online")
        await simulator.console_start()
        await watcher.state(lambda s: s["belt"] == "running")
        mark = len(watcher.messages)
        assert (await watcher.command("stop", "PRESS"))["ok"]
        await watcher.expect(
            f"{BASE}/event", lambda m: payload(m)["event"] == "belt_stopped", after=mark
        )
        assert simulator.stopped
        assert service.sessions == 0


async def test_a_latched_fault_blocks_remote_start_and_is_never_acknowledged_remotely(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with (
        watching(broker.url) as watcher,
        serving(broker, tmp_path, allow_remote_start=True) as (service, _simulator),
    ):
        await watcher.state(lambda s: s["remote_start"])
        assert service.guard is not None
        service.guard.trip(FaultKind.STOP_INPUT, "the runner's key at the treadmill")
        state = await watcher.state(lambda s: s["fault"] is not None)
        assert state["fault"]["kind"] == "stop_input" and not state["remote_start"]
        for name, body in (("acknowledge", ""), ("start", '{"stage": "short"}'), ("resume", "")):
            answer = await watcher.command(name, body)
            assert not answer["ok"], answer
        answer = await watcher.command("start", '{"stage": "short"}')
        assert "latched" in answer["reason"]
        assert service.guard.latched is not None
        assert service.sessions == 0


# --- idle: the treadmill's own business is no fault ------------------------------------------
async def test_a_console_stop_while_idle_is_no_fault_and_remote_start_still_works(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        # Someone walks from the console and stops there: treadlink never drove the belt.
        await simulator.console_start()
        await watcher.state(lambda s: s["belt"] == "running")
        mark = len(watcher.messages)
        await simulator.console_stop()
        await watcher.expect(
            f"{BASE}/event", lambda m: payload(m)["event"] == "console_stop", after=mark
        )
        await simulator.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=10)
        # A start waits until the belt has been seen at rest over the guard's window.
        await watcher.state(lambda s: s["belt"] == "stopped" and s["remote_start"], after=mark)
        assert service.guard is not None and service.guard.latched is None
        answer = await watcher.command("start", '{"stage": "short"}')
        assert answer["ok"], answer
        assert service.sessions == 1
        events = [payload(m)["event"] for m in watcher.messages if m.topic.value == f"{BASE}/event"]
        assert "fault" not in events[: events.index("console_stop") + 1]


async def test_an_idle_link_drop_with_the_belt_at_rest_is_no_fault(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        mark = len(watcher.messages)
        await simulator.set_fault(Fault.LINK_LOST)  # asleep, or out of range
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"offline", after=mark)
        await simulator.clear_fault(Fault.LINK_LOST)
        await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online", after=mark)
        state = await watcher.state(lambda s: s["remote_start"], after=mark)
        assert state["fault"] is None
        assert service.guard is not None and service.guard.latched is None
        answer = await watcher.command("start", '{"stage": "short"}')
        assert answer["ok"], answer
        events = [
            payload(m)["event"] for m in watcher.messages[mark:] if m.topic.value == f"{BASE}/event"
        ]
        assert "link_down" in events and "fault" not in events


# --- the programme: serve records its sessions, and `next` follows the rules -----------------


async def test_start_next_runs_the_advised_stage_and_serve_records_it_with_pain_unknown(
    broker: Mosquitto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = mini_plan(tmp_path / "workouts")
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        answer = await watcher.command("start", '{"stage": "next"}')
        assert not answer["ok"] and "no session of Mini is recorded yet" in answer["reason"]
        ran(plan.parent / "one.yaml", days_ago=2, pain=CLEAN)  # stage 1, two days ago, no pain

        mark = len(watcher.messages)
        assert (await watcher.command("start", '{"stage": "next"}'))["ok"]
        running = await watcher.state(lambda s: s["segment"] is not None, after=mark)
        assert running["stage"] == "Two"
        await watcher.state(lambda s: s["session"] == "finished", after=mark)
        await service._session_done()  # the record is written before the next start
        assert simulator.stopped
        rested = len(watcher.messages)
        await watcher.state(lambda s: s["remote_start"], after=rested)  # at rest long enough

        with Store.open(database_path()) as store:
            record = store.session(store.last(simulated=False).id, details=False)
        assert record.start.stage_name == "Two" and record.start.stage == 2
        assert record.start.plan_file == str(plan.resolve())
        assert record.end is not None and record.end.outcome == "completed"
        assert record.pain == {}  # nobody at the treadmill was asked

        # The rules want the runner's pain first; it is recorded at the treadmill.
        answer = await watcher.command("start", '{"stage": "next"}')
        assert not answer["ok"] and "record the missing pain score first" in answer["reason"]
        for moment in ("before", "after"):
            assert main(["pain", "0", "--moment", moment]) == 0
        # The next morning's score is taken from the next morning: the clock says it is.
        morning = next_morning_opens(record.start)
        assert pain_cli.run(build_parser().parse_args(["pain", "0"]), now=lambda: morning) == 0
        assert f"for session {record.id}: Two" in capsys.readouterr().out
        answer = await watcher.command("start", '{"stage": "next"}')
        assert not answer["ok"] and "stage 3 is due from" in answer["reason"]
        assert service.sessions == 1


async def test_a_history_that_cannot_be_used_leaves_the_session_unrecorded_not_unrun(
    broker: Mosquitto,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(DATA_DIR_ENV, str(blocked / "data"))  # cannot be made: no history
    mini_plan(tmp_path / "workouts")
    async with ready_to_start(broker, tmp_path) as (watcher, service, simulator):
        mark = len(watcher.messages)
        assert (await watcher.command("start", '{"stage": "one"}'))["ok"]
        done = await watcher.state(lambda s: s["session"] == "finished", after=mark)
        assert done["belt"] == "stopped" and simulator.stopped
        await service._session_done()
        assert service.session is None
    assert "session not recorded: cannot open the history" in caplog.text
