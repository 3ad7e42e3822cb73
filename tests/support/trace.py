"""Traces recorded at the link, for the tests of recording and replay (docs/trace.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from treadlink.ble.bumble.radio import BumbleRadio, SimulatedLink
from treadlink.ble.link import Link
from treadlink.ble.protocols import Protocol
from treadlink.ble.trace.recorder import TraceRecorder
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink_sim.profile import MachineProfile


@asynccontextmanager
async def recorded_link(
    profile: str | MachineProfile, path: Path, protocol: Protocol | None = None
) -> AsyncIterator[SimulatedLink]:
    """The simulator with `profile`, connected through a link that records to `path`; the
    recorder is closed (its file complete) when the block ends, whatever happened in it."""
    recorder = TraceRecorder(path)
    try:
        async with BumbleRadio(profile=profile, telemetry_hz=20) as radio:
            assert radio.simulator is not None
            device = await radio.find_treadmill(timeout=5)
            async with Link(
                device, backend=radio.client_backend, protocol=protocol, recorder=recorder
            ) as link:
                yield SimulatedLink(radio, radio.simulator, link)
    finally:
        await recorder.close()


async def telemetry(connection: SimulatedLink, count: int) -> None:
    """Until the driver has decoded `count` telemetry frames."""
    seen = 0
    enough = asyncio.Event()

    def on_event(event: TreadmillEvent) -> None:
        nonlocal seen
        seen += isinstance(event, Telemetry)
        if seen >= count:
            enough.set()

    unsubscribe = connection.treadmill.subscribe(on_event)
    try:
        async with asyncio.timeout(20):
            await enough.wait()
    finally:
        unsubscribe()


def lines(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header, *frames = (json.loads(line) for line in path.read_text().splitlines())
    return header, frames


def service(header: dict[str, Any], uuid: str) -> dict[str, list[str]]:
    """A recorded service's characteristics and their properties."""
    found = next(s for s in header["gatt"] if s["uuid"] == uuid)
    return {c["uuid"]: c["properties"] for c in found["characteristics"]}
