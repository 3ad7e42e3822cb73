"""`treadlink-sim --replay TRACE`: a recorded unit served again, found, connected to and probed by
treadlink, its trace the same as the unit's own."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.session import PROFILE
from tests.support.sim_process import simulator
from tests.support.simulated import fake_time
from tests.support.trace import lines, recorded_link, service, telemetry
from treadlink.ble.trace.format import FORMAT
from treadlink.plans.limits import TreadmillLimits
from treadlink.plans.loader import load_stage
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink_sim.cli import main as sim_main
from treadlink_sim.replay import profile_from_trace

# What a trace says of the unit itself; the rest (times, the address, the date) is the session's.
UNIT = ("protocol", "name", "gatt", "static", "fitshow_info")

# The Sportstech F15 as its btsnoop shows it (syssi/esphome-treadmill-f15 docs/btsnoop-f15.log):
# services 1800, 1801, 180A and FFF0 only, FFF3 unused (properties 0x14), DIS FitSHOW /
# FS-BT-DUAL / 1.0 / 1.0.1, and its INFO replies byte for byte, the speed range's extra 00 kept.
F15_HEADER: dict[str, Any] = {
    "format": FORMAT,
    "protocol": "fitshow",
    "name": "FS-46CEE4",
    "gatt": [
        {"uuid": "1800", "characteristics": [{"uuid": "2a00", "properties": ["read"]}]},
        {"uuid": "1801", "characteristics": [{"uuid": "2a05", "properties": ["indicate"]}]},
        {
            "uuid": "180a",
            "characteristics": [
                {"uuid": u, "properties": ["read"]} for u in ("2a29", "2a24", "2a27", "2a28")
            ],
        },
        {
            "uuid": "fff0",
            "characteristics": [
                {"uuid": "fff1", "properties": ["notify"]},
                {"uuid": "fff2", "properties": ["write-without-response"]},
                {"uuid": "fff3", "properties": ["write-without-response", "notify"]},
            ],
        },
    ],
    "static": {
        "2a29": b"FitSHOW".hex(" "),
        "2a24": b"FS-BT-DUAL\x00".hex(" "),  # NUL padding, as some modules send
        "2a27": b"1.0".hex(" "),
        "2a28": b"1.0.1".hex(" "),
    },
    "fitshow_info": {"speed": "02 50 02 78 08 00 22 03", "incline": "02 50 03 53 03"},
}
F15_FRAMES = [
    {"t": 5.44, "op": "notify", "uuid": "fff1", "hex": "02 53 01 05 57 03"},  # 5 s countdown
    {
        "t": 10.974,
        "op": "notify",
        "uuid": "fff1",
        "hex": "02 51 03 08 00 00 00 00 00 00 00 00 00 00 00 5a 03",
    },
]


def f15_trace(path: Path) -> Path:
    path.write_text("\n".join(json.dumps(x) for x in [F15_HEADER, *F15_FRAMES]) + "\n")
    return path


def unit(header: dict[str, Any]) -> dict[str, Any]:
    return {key: header[key] for key in UNIT}


@pytest.mark.parametrize("profile", ["citysports-wp8", "fitshow-f15", "noblepro-e8i"])
async def test_a_recorded_unit_is_found_connected_to_and_probed(
    profile: str, tmp_path: Path
) -> None:
    original = tmp_path / "original.jsonl"
    async with recorded_link(profile, original) as connection:
        await telemetry(connection, 2)
    again = tmp_path / "again.jsonl"
    async with simulator("--replay", str(original)) as sim:
        probe = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "treadlink.cli",
            "probe",
            "--sim",
            sim.spec,
            "--seconds",
            "0.5",
            "--record",
            str(again),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        async with asyncio.timeout(30):
            out, err = await probe.communicate()
    assert probe.returncode == 0, err.decode()
    header = lines(original)[0]
    said = out.decode()
    assert f"device     {header['name']} (F0:F0:F0:F0:F0:01)" in said
    assert f"protocol   {header['protocol']}" in said
    assert unit(lines(again)[0]) == unit(header)


async def test_the_recorded_table_and_replies_are_served_as_they_were(tmp_path: Path) -> None:
    profile = profile_from_trace(f15_trace(tmp_path / "f15.jsonl"))
    assert profile.countdown_s == 5 and not profile.heart_rate  # HR 0 in the running frame
    again = tmp_path / "again.jsonl"
    async with recorded_link(profile, again) as connection:
        treadmill = connection.treadmill
        assert treadmill.capabilities is not None
        assert treadmill.capabilities.info.model == "FS-BT-DUAL"
        assert str(treadmill.speed_range) == "0.8–12.0 km/h in steps of 0.1"
        assert treadmill.incline_range is None
    header = lines(again)[0]
    assert service(header, "fff0") == {
        "fff1": ["notify"],
        "fff2": ["write-without-response"],
        "fff3": ["write-without-response", "notify"],  # served though nothing uses it
    }
    assert set(service(header, "180a")) == {"2a29", "2a24", "2a27", "2a28"}  # no serial
    assert header["static"] == F15_HEADER["static"]  # the NUL padding too
    assert header["fitshow_info"] == F15_HEADER["fitshow_info"]  # the extra 00 too


@fake_time
async def test_a_stage_runs_on_a_replayed_unit(tmp_path: Path) -> None:
    profile = profile_from_trace(f15_trace(tmp_path / "f15.jsonl"))
    path = tmp_path / "stage.yaml"
    path.write_text('name: "Walk, run"\nitems:\n  - walk: 1:00\n  - run: 1:00\n')
    # The F15 has no incline: the stage runs flat, as `treadlink run --flat` runs it.
    stage = load_stage(path, PROFILE, TreadmillLimits(incline=None, flat=True))
    async with recorded_link(profile, tmp_path / "run.jsonl") as connection:
        sim = connection.simulator
        speeds: list[float] = []
        async with SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard:
            session = Session(guard, stage, on_fault="end")
            session.subscribe(lambda _: speeds.append(sim.belt_speed_kmh))
            finished = await session.run()
        assert finished.completed
        assert max(speeds) == pytest.approx(8.5)
        assert sim.belt_speed_kmh == 0.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "treadlink-trace/1"}\n{"t": "soon"}\n', "trace {file}:2: op: is missing"),
        ("not json\n", "trace {file}:1: is not JSON"),
        (
            json.dumps({**F15_HEADER, "fitshow_info": {}}) + "\n",
            "it holds no speed range (FTMS 0x2AD4 read, or FitShow's INFO_SPEED reply)",
        ),
        (
            json.dumps({**F15_HEADER, "protocol": "ftms"}) + "\n",
            "shows no Fitness Machine Service (0x1826) and treadlink spoke no FitShow to it",
        ),
    ],
)
def test_a_bad_trace_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text(content)
    with pytest.raises(SystemExit) as exit_:
        sim_main(["--replay", str(trace)])
    assert exit_.value.code == 2
    assert message.format(file=trace) in capsys.readouterr().err


def test_replay_is_a_profile_of_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        sim_main(["--replay", str(f15_trace(tmp_path / "f.jsonl")), "--profile", "generic"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
