"""Malformed payloads, generated: never an exception, never a change the rules forbid."""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import LONG_STAGE, published_session, write_stage
from treadlink.mqtt.bridge import RULES_FOR_RUN
from treadlink.mqtt.commands import Malformed, Setpoint, Start, parse
from treadlink.mqtt.topics import COMMANDS
from treadlink.session.events import Paused, SetpointSent, Skipped, StopRequested

json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
payloads = st.one_of(
    st.binary(max_size=700),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["value", "stage", "x"]), json_values, max_size=2).map(
        lambda v: json.dumps(v).encode()
    ),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-0", b"PRESS", b""]),
)
names = st.sampled_from([*COMMANDS, "acknowledge", "reset", ""])


@given(name=names, payload=payloads)
def test_parse_answers_or_refuses_and_never_raises_anything_else(name: str, payload: bytes) -> None:
    try:
        command = parse(name, payload)
    except Malformed as e:
        reason = str(e)
        assert reason
        return
    assert name in COMMANDS
    if isinstance(command, Setpoint):
        assert math.isfinite(command.value)
    if isinstance(command, Start):
        assert command.stage.strip()


async def test_generated_payloads_never_start_raise_or_resume(
    broker: Mosquitto, tmp_path: Path
) -> None:
    timeline = write_stage(tmp_path, LONG_STAGE)
    async with published_session(broker.url, timeline, rules=RULES_FOR_RUN) as rig:
        await rig.events.wait_for(SetpointSent)
        bridge = rig.bridge

        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(name=st.sampled_from(["speed", "incline", "start", "resume", "x"]), payload=payloads)
        def check(name: str, payload: bytes) -> None:
            verdict = bridge.command(name, payload)
            if verdict.ok:  # only ever a decrease
                command = parse(name, payload)
                assert isinstance(command, Setpoint)
                assert command.value <= {"speed": 5.5, "incline": 1.0}[command.name]

        check()
        assert not rig.events.of(StopRequested)
        assert not rig.events.of(Paused) and not rig.events.of(Skipped)
        assert rig.simulator.target_speed_kmh <= 5.5
