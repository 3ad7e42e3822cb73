"""`TraceRecorder`: a tap on the GATT port the link offers the driver, written by a thread.

    recorder = TraceRecorder("unit.jsonl")           # the file is opened (or refused) here
    async with Link(device, recorder=recorder) as link: ...
    await recorder.close()                           # the last lines reach the disk

The link hands the driver `recorder.tap(port, ...)` instead of itself, so the trace holds exactly
what the driver read, wrote and was told, whichever protocol it speaks (and the Device Information
the link read through the same port). The event loop only stamps each frame and queues it: a
thread of the recorder's own formats the lines and writes them, so a slow disk never holds up a
notification. The queue is bounded; what does not fit is dropped and counted (`dropped`), never
waited for, so a long probe on a stalled disk costs no more memory than MAX_QUEUED frames.

The header (line 1) waits until the driver is attached, so that it can hold the static values
read while connecting; the frames of those first seconds are held until then (at most MAX_EARLY).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TextIO

from bleak.backends.service import BleakGATTServiceCollection

from treadlink import __version__
from treadlink.ble.trace.format import (
    INFO_NAMES,
    GattCharacteristic,
    GattService,
    Op,
    TraceError,
    TraceHeader,
    frame_line,
    short_uuid,
)
from treadlink.fitshow.frames import Frame, MalformedFrame
from treadlink.fitshow.protocol import TRANSPORTS, Command, Info
from treadlink.treadmill.base import GattPort

log = logging.getLogger(__name__)

MAX_QUEUED: Final = 10_000  # frames waiting for the disk: about 2 MB (make bench, "trace")
MAX_EARLY: Final = 1_000  # frames held before the header; a set-up takes a few dozen

_Item = tuple[float, Op, str, bytes]
_FITSHOW_NOTIFY: Final = frozenset(f"{t.notify:04x}" for t in TRANSPORTS)


def gatt_table(services: BleakGATTServiceCollection) -> tuple[GattService, ...]:
    """The GATT table as bleak discovered it: services, their characteristics and properties."""
    return tuple(
        GattService(
            short_uuid(s.uuid),
            tuple(
                GattCharacteristic(short_uuid(c.uuid), tuple(c.properties))
                for c in s.characteristics
            ),
        )
        for s in services
    )


class TraceRecorder:
    def __init__(self, path: Path | str) -> None:
        """Opens (creates or empties) `path` now: a file that cannot be written is a TraceError
        before any radio is touched."""
        self.path = Path(path)
        try:
            handle = open(path, "w", encoding="utf-8")  # noqa: SIM115  # the writer closes it
        except OSError as e:
            raise TraceError.of(str(path), f"cannot be written: {e.strerror}") from None
        self._writer = _Writer(handle)
        self._start: float | None = None
        self._header = TraceHeader(None)
        self._early: list[_Item] | None = []  # None once the header is written
        self.frames = 0  # frames recorded (queued for the disk or held for it)

    @property
    def dropped(self) -> int:
        """Frames that never reached the file: the disk did not keep up, or failed."""
        return self._writer.dropped + self._writer.lost

    @property
    def error(self) -> str | None:
        """Why the file stopped being written, if it did."""
        return self._writer.error

    # --- the link's side -------------------------------------------------------------------
    def tap(
        self,
        port: GattPort,
        name: str | None,
        address: str,
        services: BleakGATTServiceCollection,
    ) -> GattPort:
        """The port to hand the driver: `port`, with every read, write and notification
        recorded. The first call starts the clock and takes the GATT table."""
        if self._start is None:
            self._start = _now()
            self._header = TraceHeader(
                None,
                name,
                address,
                gatt_table(services),
                started=datetime.now(UTC).isoformat(timespec="seconds"),
                treadlink=__version__,
            )
        return _TappedPort(port, self)

    def chose(self, protocol: str, why: str) -> None:
        """The link chose the driver's protocol."""
        h = self._header
        self._header = TraceHeader(
            protocol, h.name, h.address, h.gatt, why=why, started=h.started, treadlink=h.treadlink
        )

    def attached(self) -> None:
        """The driver is attached: the static part is over, the header can be written."""
        self._write_header()

    def record(self, op: Op, uuid16: int, data: bytes) -> None:
        start = self._start if self._start is not None else _now()
        item = (_now() - start, op, f"{uuid16:04x}", data)
        self.frames += 1
        if self._early is None:
            self._writer.put(item)
            return
        self._early.append(item)
        if len(self._early) >= MAX_EARLY:  # a set-up that never ends: stop holding frames
            self._write_header()

    def subscription_op(self, uuid16: int) -> Op:
        """How the characteristic reports: bleak subscribes to notifications where it can."""
        properties = self._header.properties(f"{uuid16:04x}")
        return "indicate" if "indicate" in properties and "notify" not in properties else "notify"

    async def close(self) -> None:
        """Write the header if nothing did yet, then wait for the writer to finish the file."""
        self._write_header()
        await self._writer.close()

    # --- the header --------------------------------------------------------------------------
    def _write_header(self) -> None:
        early, self._early = self._early, None
        if early is None:
            return
        static: dict[str, bytes] = {}
        info: dict[str, bytes] = {}
        for _, op, uuid, data in early:
            if op == "read":
                static[uuid] = data
            elif uuid in _FITSHOW_NOTIFY and (name := _info_reply(data)) is not None:
                info[name] = data
        h = self._header
        header = TraceHeader(
            h.protocol, h.name, h.address, h.gatt, static, info, h.why, h.started, h.treadlink
        )
        self._writer.put_header(header)
        for item in early:
            self._writer.put(item)


def _info_reply(data: bytes) -> str | None:
    """The name of the FitShow INFO reply in `data` ("speed", "incline", ...), or None."""
    try:
        frame = Frame.decode(data)
    except MalformedFrame:
        return None
    if frame.command != Command.SYS_INFO or frame.sub not in Info._value2member_map_:
        return None
    assert frame.sub is not None
    name = Info(frame.sub).name.lower()
    return name if name in INFO_NAMES else None


def _now() -> float:
    return asyncio.get_running_loop().time()


class _TappedPort:
    """A GattPort that records what passes through it, then passes it on."""

    def __init__(self, port: GattPort, recorder: TraceRecorder) -> None:
        self._port = port
        self._recorder = recorder

    def has(self, uuid16: int) -> bool:
        return self._port.has(uuid16)

    async def read(self, uuid16: int) -> bytes:
        data = await self._port.read(uuid16)
        self._recorder.record("read", uuid16, data)
        return data

    async def write(self, uuid16: int, data: bytes, *, response: bool) -> None:
        self._recorder.record("write", uuid16, data)  # what the driver sent, sent or not
        await self._port.write(uuid16, data, response=response)

    async def subscribe(self, uuid16: int, handler: Callable[[bytes], None]) -> None:
        recorder, op = self._recorder, self._recorder.subscription_op(uuid16)

        def tapped(data: bytes) -> None:
            recorder.record(op, uuid16, data)
            handler(data)

        await self._port.subscribe(uuid16, tapped)


class _Writer:
    """The thread that owns the file: formats each line and writes it, flushing whenever it has
    caught up, so a probe killed mid-way leaves every line written so far."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        self._queue: queue.Queue[_Item | TraceHeader | None] = queue.Queue(MAX_QUEUED)
        self.dropped = 0  # counted by the event loop: the queue was full
        self.lost = 0  # counted by the thread: the file could not be written
        self.error: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="trace-writer", daemon=True)
        self._thread.start()

    def put(self, item: _Item) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def put_header(self, header: TraceHeader) -> None:
        self._queue.put_nowait(header)  # the first item ever: the queue is empty

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Both may wait on the disk: in a worker thread, never on the event loop.
        await asyncio.to_thread(self._queue.put, None)
        await asyncio.to_thread(self._thread.join)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is not None:
                self.lost += 1
                continue
            if isinstance(item, TraceHeader):
                line = json.dumps(item.to_json(), ensure_ascii=False)
            else:
                line = frame_line(*item)
            try:
                self._handle.write(line + "\n")
                if self._queue.empty():
                    self._handle.flush()
            except OSError as e:
                self.error = e.strerror or str(e)
                self.lost += 1
                log.error("the trace %s cannot be written: %s", self._handle.name, self.error)
        with contextlib.suppress(OSError):
            self._handle.close()
