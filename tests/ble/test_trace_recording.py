"""A trace recorded at the link (treadlink.ble.trace.recorder): the in-process simulator reached
through the production path (bleak → the bumble radio → Link → driver), FTMS and FitShow, read
back line by line as docs/trace.md describes them."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path

import pytest

from tests.support.simulated import commanded
from tests.support.trace import lines, recorded_link, service, telemetry
from treadlink.ble.protocols import NotATreadmill
from treadlink.ble.trace.format import FORMAT, TraceError
from treadlink.ble.trace.recorder import MAX_QUEUED, TraceRecorder
from treadlink.ftms.layouts import decode_treadmill_data


async def test_an_ftms_trace_holds_the_table_the_static_values_and_every_frame(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wp8.jsonl"
    async with recorded_link("citysports-wp8", path) as connection:
        treadmill = commanded(connection.treadmill)
        await treadmill.request_control()
        await treadmill.start()
        await telemetry(connection, 5)

    header, frames = lines(path)
    assert header["format"] == FORMAT
    assert header["protocol"] == "ftms"
    assert header["name"] == "CITYSPORTS-Linker"
    assert header["address"] == "F0:F0:F0:F0:F0:24"
    assert service(header, "1826")["2ad9"] == ["write", "indicate"]
    assert service(header, "1826")["2acd"] == ["notify"]
    # The static values read while connecting: the range fixture of the real unit, its DIS.
    assert header["static"]["2ad4"] == "64 00 58 02 32 00"
    assert bytes.fromhex(header["static"]["2a29"]) == b"CITYSPORTS"
    assert header["fitshow_info"] == {}

    assert all(set(f) == {"t", "op", "uuid", "hex"} for f in frames)
    times = [f["t"] for f in frames]
    assert times == sorted(times) and times[0] >= 0
    reads = {f["uuid"]: f["hex"] for f in frames if f["op"] == "read"}
    assert reads.items() >= {"2ad4": "64 00 58 02 32 00"}.items()
    # The driver's writes and the answers it was told, in order, as they passed.
    control = [(f["op"], f["hex"]) for f in frames if f["uuid"] == "2ad9"]
    assert control == [
        ("write", "00"),
        ("indicate", "80 00 01"),
        ("write", "07"),
        ("indicate", "80 07 01"),
    ]
    data = [bytes.fromhex(f["hex"]) for f in frames if f["uuid"] == "2acd"]
    assert len(data) >= 5
    assert all(f["op"] == "notify" for f in frames if f["uuid"] == "2acd")
    assert all(d[:2] == bytes.fromhex("84 24") for d in data)  # the unit's vendor flags
    assert all(decode_treadmill_data(d).values for d in data)


@pytest.mark.parametrize(
    ("profile", "uuids", "incline"),
    [
        ("fitshow-f15", ("fff0", "fff2", "fff1"), "02 50 03 53 03"),  # echoed: no incline
        ("noblepro-e8i", ("ae00", "ae01", "ae02"), None),
    ],
)
async def test_a_fitshow_trace_holds_the_info_replies_and_the_polls(
    tmp_path: Path, profile: str, uuids: tuple[str, str, str], incline: str | None
) -> None:
    on, write, notify = uuids
    path = tmp_path / f"{profile}.jsonl"
    async with recorded_link(profile, path) as connection:
        await telemetry(connection, 3)

    header, frames = lines(path)
    assert header["protocol"] == "fitshow"
    assert "FitShow console" in header["why"]
    assert set(header["fitshow_info"]) == {"speed", "incline"}
    if incline is not None:
        assert header["fitshow_info"]["incline"] == incline
    assert service(header, on)[write] == ["write-without-response"]
    assert {(f["op"], f["uuid"], f["hex"]) for f in frames} >= {
        ("write", write, "02 50 02 52 03"),  # INFO_SPEED asked
        ("notify", notify, header["fitshow_info"]["speed"]),  # and answered
        ("write", write, "02 51 51 03"),  # the status poll
    }
    assert sum(f["op"] == "notify" and f["hex"].startswith("02 51") for f in frames) >= 3


async def test_a_unit_treadlink_cannot_drive_still_leaves_its_table(tmp_path: Path) -> None:
    path = tmp_path / "refused.jsonl"
    with pytest.raises(NotATreadmill):
        async with recorded_link("citysports-wp8", path, protocol="fitshow"):
            pass
    header, frames = lines(path)
    assert header["protocol"] is None
    assert "2acd" in service(header, "1826")
    assert frames == []


def test_a_trace_that_cannot_be_written_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="cannot be written"):
        TraceRecorder(tmp_path / "no-such-folder" / "t.jsonl")


async def test_a_stalled_disk_costs_frames_never_the_event_loop(tmp_path: Path) -> None:
    """The trace goes to a pipe nobody reads yet: the writer thread blocks on it. Recording goes
    on regardless: what does not fit the bounded queue is counted, and once the reader comes,
    every frame not counted reaches it."""
    read_end, write_end = os.pipe()
    recorder = TraceRecorder(f"/dev/fd/{write_end}")
    os.close(write_end)  # the recorder holds its own
    recorder.attached()
    total = 3 * MAX_QUEUED
    for i in range(total):
        recorder.record("notify", 0x2ACD, i.to_bytes(4, "little"))
    assert recorder.frames == total
    assert recorder.dropped > 0

    received = bytearray()
    reader = threading.Thread(target=lambda: received.extend(_drain(read_end)))
    reader.start()
    await recorder.close()
    await asyncio.to_thread(reader.join)
    written = received.decode().splitlines()
    assert json.loads(written[0])["format"] == FORMAT
    assert len(written) == 1 + total - recorder.dropped
    assert recorder.error is None


def _drain(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read()
