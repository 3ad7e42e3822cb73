"""`treadlink probe --replay FILE [--json]`: traces decoded through the drivers' own decoders.

Traces recorded from the simulator (through the link, as `probe --record` does), and traces
written by hand from real frames: the CITYSPORTS CS-WP8 nRF logs (hughesjs/FitnessMachine
protocol/CS-WP8 @ b51f893), the FS-6041F1 nRF log (TrackMyIndoorWorkout issue #470) and the
Sportstech F15 btsnoop (syssi/esphome-treadmill-f15, quoted in docs/fitshow.md), with their
real times where the source gives them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_process import treadlink_without_bluetooth as treadlink
from tests.support.simulated import commanded, fake_time
from tests.support.trace import recorded_link, telemetry
from treadlink.ble.trace.format import FORMAT
from treadlink.cli import main

Frame = tuple[float, str, str, str]  # t, op, uuid, hex


def write_trace(path: Path, frames: list[Frame], **header: Any) -> Path:
    lines = [json.dumps({"format": FORMAT, "protocol": "ftms", **header})]
    lines += [json.dumps({"t": t, "op": op, "uuid": uuid, "hex": hx}) for t, op, uuid, hx in frames]
    path.write_text("\n".join(lines) + "\n")
    return path


def replayed(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The --json replay of `path`, one object per frame; it must exit 0."""
    assert main(["probe", "--replay", str(path), "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def without(objects: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in o.items() if k not in {"t", "op", "uuid", *keys}} for o in objects]


# --- real frames ----------------------------------------------------------------------------------
CS_WP8 = [  # Treadmill Data, person on the belt, 1 -> 3 km/h, 60 s, 49 m, then the stop ramp
    "84 24 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    "84 24 64 00 00 00 00 00 00 00 00 00 01 00 01 00 00",
    "84 24 2C 01 20 00 00 01 00 00 00 00 28 00 38 00 00",
    "84 24 2C 01 31 00 00 02 00 00 00 00 3D 00 5B 00 00",
    "84 24 14 00 31 00 00 03 00 00 00 00 46 00 64 00 00",
    "84 24 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
]


def test_citysports_treadmill_data_decodes_to_its_logged_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = [(0.48 * i, "notify", "2acd", hx) for i, hx in enumerate(CS_WP8)]
    trace = write_trace(
        tmp_path / "wp8.jsonl",
        [(0.0, "read", "2ad4", "64 00 58 02 32 00"), *frames],
        name="CITYSPORTS-Linker",
    )
    objects = replayed(trace, capsys)
    assert objects[0] == {
        "t": 0.0,
        "op": "read",
        "uuid": "2ad4",
        "kind": "speed_range",
        "speed_range_kmh": [1.0, 6.0, 0.5],
    }
    counters = {"distance_m": 0, "energy_kcal": 0, "elapsed_s": 0, "steps": 0}
    assert without(objects[1:], "kind") == [
        {"speed_kmh": 0.0, **counters},
        {"speed_kmh": 1.0, **counters, "elapsed_s": 1, "steps": 1},
        {"speed_kmh": 3.0, "distance_m": 32, "energy_kcal": 1, "elapsed_s": 40, "steps": 56},
        {"speed_kmh": 3.0, "distance_m": 49, "energy_kcal": 2, "elapsed_s": 61, "steps": 91},
        {"speed_kmh": 0.2, "distance_m": 49, "energy_kcal": 3, "elapsed_s": 70, "steps": 100},
        {"speed_kmh": 0.0, **counters},  # stopped: every counter reset
    ]
    assert objects[3]["t"] == pytest.approx(0.96)


def test_citysports_machine_status_keeps_its_extra_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = write_trace(
        tmp_path / "status.jsonl",
        [
            (0.0, "notify", "2ada", "04 00 00"),
            (1.0, "notify", "2ada", "05 96 00"),
            (2.0, "notify", "2ada", "05 58 02"),
            (3.0, "notify", "2ada", "02 01 00"),
        ],
    )
    assert without(replayed(trace, capsys), "kind") == [
        {"machine_status": "started_or_resumed_by_user", "extra": "00 00"},
        {"machine_status": "target_speed_changed", "target_speed_kmh": 1.5},
        {"machine_status": "target_speed_changed", "target_speed_kmh": 6.0},
        {"machine_status": "stopped_or_paused_by_user", "stop_pause": "stop", "extra": "00"},
    ]


def test_fs_6041f1_features_and_training_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = write_trace(
        tmp_path / "fs6041.jsonl",
        [(0.0, "read", "2acc", "5C 16 00 00 03 00 00 00"), (0.1, "read", "2ad3", "01 01")],
        name="FS-6041F1",
    )
    features, training = replayed(trace, capsys)
    assert features["reports"] == [
        "total_distance",
        "inclination",
        "elevation_gain",
        "step_count",
        "expended_energy",
        "heart_rate_measurement",
        "elapsed_time",
    ]
    assert features["targets"] == ["speed_target_setting", "inclination_target_setting"]
    assert training["training_status"] == "idle"


F15 = [  # the official app starting the belt, then the console stopping it (btsnoop times)
    (3.335, "write", "fff2", "02 50 02 52 03"),
    (3.459, "notify", "fff1", "02 50 02 78 08 00 22 03"),
    (3.833, "write", "fff2", "02 50 03 53 03"),
    (3.955, "notify", "fff1", "02 50 03 53 03"),
    (4.335, "write", "fff2", "02 51 51 03"),
    (4.449, "notify", "fff1", "02 51 00 51 03"),
    (5.335, "write", "fff2", "02 53 01 00 00 00 00 00 00 00 00 52 03"),
    (5.440, "notify", "fff1", "02 53 01 05 57 03"),
    (5.934, "notify", "fff1", "02 51 02 05 56 03"),
    (10.974, "notify", "fff1", "02 51 03 08 00 00 00 00 00 00 00 00 00 00 00 5a 03"),
    (43.959, "notify", "fff1", "02 51 04 0a 00 21 00 09 00 03 00 00 00 54 00 20 03"),
    (45.444, "notify", "fff1", "02 51 00 51 03"),
]


def test_the_f15_capture_decodes_request_by_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = write_trace(tmp_path / "f15.jsonl", F15, protocol="fitshow", name="FS-46CEE4")
    objects = replayed(trace, capsys)
    assert [o["t"] for o in objects] == [t for t, *_ in F15]
    assert without(objects, "kind") == [
        {"asks": "speed"},
        {"speed_range_kmh": [0.8, 12.0, 0.1]},
        {"asks": "incline"},
        {"unsupported": "incline"},
        {},
        {"belt_state": "idle"},
        {"request": "ready"},
        {"countdown_s": 5},
        {"belt_state": "countdown", "countdown_s": 5},
        {
            "belt_state": "running",
            "speed_kmh": 0.8,  # its minimum: it starts there
            "incline_pct": 0.0,
            "distance_m": 0,
            "elapsed_s": 0,
            "steps": 0,
            "energy_kcal": 0.0,
        },
        {
            "belt_state": "stopping",
            "speed_kmh": 1.0,
            "incline_pct": 0.0,
            "distance_m": 9,
            "elapsed_s": 33,
            "heart_rate_bpm": 84,
            "steps": 0,
            "energy_kcal": 0.3,
        },
        {"belt_state": "idle"},
    ]


def test_the_human_replay_says_each_frame_on_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = write_trace(tmp_path / "f15.jsonl", F15, protocol="fitshow", name="FS-46CEE4")
    assert main(["probe", "--replay", str(trace)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"trace      {trace} ({FORMAT}): {len(F15)} frames")
    assert out[1] == "device     FS-46CEE4 (address not recorded)"
    frames = out[-len(F15) :]
    assert frames[1] == "    3.459  notify   fff1  speed range 0.8–12.0 km/h in steps of 0.1"
    assert "status stopping: speed 1.00 km/h" in frames[10]
    assert "HR 84 bpm" in frames[10]


# --- what cannot be decoded -----------------------------------------------------------------------
def test_an_undecodable_frame_is_said_and_the_replay_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = write_trace(
        tmp_path / "bad-frames.jsonl",
        [
            (1.0, "notify", "2acd", "84 24 2c 01"),  # flags announce more than the frame has
            (1.5, "notify", "fff1", "02 51 00 50 03"),  # checksum wrong
            (2.0, "notify", "2a53", "02 00 01 00"),  # RSC: no driver reads it
            (2.5, "write", "2acd", "00"),  # not something the driver does
            (3.0, "notify", "2acd", CS_WP8[2]),
        ],
    )
    objects = replayed(trace, capsys)
    assert [set(o) for o in objects[:4]] == [{"t", "uuid", "error"}] * 4
    assert objects[0] == {
        "t": 1.0,
        "uuid": "2acd",
        "error": "treadmill data flags 0x2484 announce distance_m at byte 4, but the frame has "
        "only 4 bytes",
    }
    assert "checksum 0x50" in objects[1]["error"]
    assert objects[2]["error"] == "treadlink decodes no frames of characteristic 2a53"
    assert "a write of Treadmill Data" in objects[3]["error"]
    assert objects[4]["speed_kmh"] == 3.0


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "{file}: is empty: not a trace (treadlink-trace/1)"),
        ("name: stage\n", "{file}:1: is not JSON: Expecting value at column 1"),
        (
            '{"name": "x"}\n',
            '{file}:1: is not a trace: line 1 has no "format": "treadlink-trace/1"',
        ),
        ('{"format": "treadlink-trace/9"}\n', "{file}:1: format: 'treadlink-trace/9' is not"),
        (
            '{"format": "treadlink-trace/1", "protocol": "ant+"}\n',
            "{file}:1: protocol: 'ant+' is not 'ftms', 'fitshow' or null",
        ),
        (
            '{"format": "treadlink-trace/1", "protocol": "ftms"}\n'
            '{"t": 0.1, "op": "notify", "uuid": "2acd", "hex": "84 24"}\n'
            '{"t": 0.2, "op": "shout", "uuid": "2acd"}\n',
            "{file}:3: hex: is missing",
        ),
        (
            '{"format": "treadlink-trace/1", "protocol": "ftms"}\n'
            '{"t": -1, "op": "shout", "uuid": "2acd0", "hex": "8 4"}\n',
            "{file}:2: t: -1 is not a number of seconds (0 or more)\n"
            "{file}:2: op: 'shout' is not one of notify, indicate, read, write\n"
            "{file}:2: uuid: '2acd0' is not a UUID (like '2acd' or a 128-bit one)\n"
            "{file}:2: hex: '8 4' is not bytes in hex, like '84 24 00'",
        ),
        (
            '{"format": "treadlink-trace/1", "protocol": "ftms"}\n{"t": 1\n',
            "{file}:2: is not JSON",
        ),
    ],
)
def test_bad_input_names_the_file_and_line_and_prints_no_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text(content)
    assert main(["probe", "--replay", str(trace), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # a bad line is found before any frame is printed
    expected = message.format(file=trace)
    assert "\n".join(f"treadlink probe: {line}" for line in expected.splitlines()) in err


def test_a_missing_trace_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--replay", str(tmp_path / "none.jsonl")]) == 2
    assert f"{tmp_path / 'none.jsonl'}: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json"], "--json is for --replay"),
        (["--replay", "t.jsonl", "--sim"], "--replay reads a trace and connects to nothing: --sim"),
        (["--replay", "t.jsonl", "--protocol", "ftms"], "--protocol is not for it"),
    ],
)
def test_options_that_do_not_go_together(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["probe", *args]) == 2
    assert message in capsys.readouterr().err


def test_replay_opens_no_radio(tmp_path: Path) -> None:
    """Run where no Bluetooth can be reached: a probe would fail (status 1); a replay works."""
    trace = write_trace(tmp_path / "t.jsonl", [(0.0, "notify", "2acd", CS_WP8[2])])
    done = treadlink(["probe", "--replay", str(trace)], str(tmp_path / "no-bus"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "speed 3.00 km/h" in done.stdout


# --- recorded from the simulator --------------------------------------------------------------
@fake_time
@pytest.mark.parametrize("profile", ["noblepro-elite", "noblepro-e8i"])
async def test_a_recorded_run_replays_as_the_driver_saw_it(
    profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{profile}.jsonl"
    async with recorded_link(profile, path) as connection:
        sim = connection.simulator
        treadmill = commanded(connection.treadmill)
        await treadmill.request_control()
        await treadmill.start()
        await sim.wait_for(lambda s: s.running and s.belt_speed_kmh > 0, timeout=30)
        await treadmill.set_speed(5.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh == 5.0, timeout=30)
        await telemetry(connection, 2)
        await treadmill.stop()

    objects = replayed(path, capsys)
    ranges = {k: o[k] for o in objects for k in ("speed_range_kmh", "incline_range_pct") if k in o}
    assert ranges == {"speed_range_kmh": [1.0, 20.0, 0.1], "incline_range_pct": [0.0, 15.0, 0.5]}
    assert {"manufacturer": "NoblePro"}.items() <= objects[0].items()
    assert any(o.get("target_speed_kmh") == 5.0 and o["op"] == "write" for o in objects)
    assert any(o.get("speed_kmh") == 5.0 for o in objects)
    if profile == "noblepro-e8i":
        assert {o.get("belt_state") for o in objects} >= {"countdown", "running", "stopping"}
    assert not any("error" in o for o in objects)
