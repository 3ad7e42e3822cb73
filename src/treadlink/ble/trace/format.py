"""The trace format `treadlink-trace/1` (docs/trace.md): JSON lines, a header then one frame a line.

    {"format": "treadlink-trace/1", "protocol": "ftms", "name": ..., "gatt": [...], ...}
    {"t": 0.412, "op": "read", "uuid": "2ad4", "hex": "64 00 d0 07 0a 00"}
    {"t": 1.250, "op": "notify", "uuid": "2acd", "hex": "84 24 2c 01 ..."}

`TraceFile` reads one back, checking every line as it goes: what is wrong is an InputError
naming the file, the line and the field (`trace.jsonl:7: hex: ...`), as treadlink's other files.
Frames are read one at a time, never the whole file at once: a trace of an hour is megabytes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from treadlink.fitshow.protocol import Info
from treadlink.sources import InputError, Problem, excerpt, format_path, open_regular

FORMAT: Final = "treadlink-trace/1"
Op = Literal["notify", "indicate", "read", "write"]
OPS: Final[tuple[Op, ...]] = ("notify", "indicate", "read", "write")
PROTOCOLS: Final = ("ftms", "fitshow")
# Characteristic properties, as bleak names them (the Core spec's, in lower case with dashes).
PROPERTIES: Final = (
    "broadcast",
    "read",
    "write-without-response",
    "write",
    "notify",
    "indicate",
    "authenticated-signed-writes",
    "extended-properties",
    "reliable-write",
    "writable-auxiliaries",
)
# The FitShow INFO replies a header holds, by sub-command name.
INFO_NAMES: Final = {info.name.lower(): info for info in Info}
NOT_A_UUID: Final = "is not a UUID (like '2acd' or a 128-bit one)"
MAX_LINE_BYTES: Final = 1024 * 1024  # a frame is at most ~1.5 kB of hex; a GATT table far less

_BASE_UUID: Final = "-0000-1000-8000-00805f9b34fb"
_UUID: Final = re.compile(
    r"^([0-9a-f]{4}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def normal_uuid(value: object) -> str | None:
    """`value` as a trace writes a UUID (`2acd`, or 128 bits in lower case), or None if it is
    not one."""
    if not isinstance(value, str) or not _UUID.match(value.lower()):
        return None
    return short_uuid(value)


def short_uuid(uuid: str) -> str:
    """`0000fff0-0000-1000-8000-00805f9b34fb` -> `fff0`; other UUIDs whole, in lower case."""
    uuid = uuid.lower()
    if len(uuid) == 36 and uuid.startswith("0000") and uuid.endswith(_BASE_UUID):
        return uuid[4:8]
    return uuid


def uuid16_of(uuid: str) -> int | None:
    """The 16-bit number of a short UUID; None for a 128-bit one."""
    return int(uuid, 16) if len(uuid) == 4 else None


def frame_line(t: float, op: Op, uuid: str, data: bytes) -> str:
    return json.dumps({"t": round(t, 4), "op": op, "uuid": uuid, "hex": data.hex(" ")})


@dataclass(frozen=True, slots=True)
class GattCharacteristic:
    uuid: str
    properties: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "properties": list(self.properties)}


@dataclass(frozen=True, slots=True)
class GattService:
    uuid: str
    characteristics: tuple[GattCharacteristic, ...]

    def to_json(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "characteristics": [c.to_json() for c in self.characteristics]}


@dataclass(frozen=True, slots=True)
class TraceHeader:
    """Line 1: the treadmill, its GATT table, and the static values read while connecting."""

    protocol: str | None  # None: treadlink could not choose one (the trace says why not)
    name: str | None = None
    address: str | None = None
    gatt: tuple[GattService, ...] = ()
    static: Mapping[str, bytes] = field(default_factory=dict)  # uuid -> the value read
    fitshow_info: Mapping[str, bytes] = field(default_factory=dict)  # "speed" -> the reply
    why: str | None = None
    started: str | None = None  # wall-clock time of t = 0, ISO 8601 UTC
    treadlink: str | None = None  # the version that recorded it

    def has_service(self, uuid: str) -> bool:
        return any(s.uuid == uuid for s in self.gatt)

    def properties(self, uuid: str) -> tuple[str, ...]:
        """The properties of the characteristic `uuid` (the first of that UUID), or ()."""
        for service in self.gatt:
            for c in service.characteristics:
                if c.uuid == uuid:
                    return c.properties
        return ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "protocol": self.protocol,
            "why": self.why,
            "name": self.name,
            "address": self.address,
            "started": self.started,
            "treadlink": self.treadlink,
            "gatt": [s.to_json() for s in self.gatt],
            "static": {uuid: data.hex(" ") for uuid, data in self.static.items()},
            "fitshow_info": {name: data.hex(" ") for name, data in self.fitshow_info.items()},
        }


@dataclass(frozen=True, slots=True)
class TraceFrame:
    t: float  # seconds since the start of the trace
    op: Op
    uuid: str
    data: bytes

    @property
    def uuid16(self) -> int | None:
        return uuid16_of(self.uuid)


class TraceError(InputError):
    """A file that is not a trace, or a line of one that cannot be read."""


class TraceFile:
    """A trace on disk. The header is read (and checked) on opening; `frames()` reads the rest
    one line at a time, and raises TraceError at the first line that is wrong."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.file = str(path)
        lines = self._lines()
        try:
            first = next(lines, None)
        finally:
            lines.close()
        if first is None:
            raise TraceError.of(self.file, f"is empty: not a trace ({FORMAT})")
        self.header = _Reader(self.file, first[0]).header(first[1])

    def frames(self) -> Iterator[TraceFrame]:
        lines = self._lines()
        next(lines, None)  # the header, read already
        for number, value in lines:
            yield _Reader(self.file, number).frame(value)

    def check(self) -> int:
        """Read every frame, so that a bad line is found before anything is done; their count."""
        return sum(1 for _ in self.frames())

    def _lines(self) -> Generator[tuple[int, Any]]:
        """(line number, JSON value) of each line that is not blank."""
        with open_regular(self.path) as handle:
            number = 0
            while True:
                try:
                    raw = handle.readline(MAX_LINE_BYTES + 1)
                except OSError as e:
                    raise TraceError.of(self.file, f"cannot be read: {e.strerror}") from e
                if not raw:
                    return
                number += 1
                yield number, self._json(raw, number)

    def _json(self, raw: bytes, number: int) -> Any:
        def bad(message: str) -> TraceError:
            return TraceError.of(self.file, message, number)

        if len(raw) > MAX_LINE_BYTES:
            raise bad(f"is longer than {MAX_LINE_BYTES // 1024} KiB, the most a trace line may be")
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as e:
            raise bad(f"is not UTF-8 text ({e.reason})") from None
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise bad(f"is not JSON: {e.msg} at column {e.colno}") from None
        except RecursionError:
            raise bad("is not JSON a trace holds: it nests too deeply") from None


class _Reader:
    """Checks one line's value, collecting every problem on it before raising."""

    def __init__(self, file: str, line: int) -> None:
        self.file, self.line = file, line
        self.problems: list[Problem] = []

    def problem(self, path: Sequence[str | int], message: str) -> None:
        self.problems.append(Problem(self.file, self.line, format_path(path), message))

    def done(self) -> None:
        if self.problems:
            raise TraceError(self.problems)

    # --- lines --------------------------------------------------------------------------------
    def header(self, value: Any) -> TraceHeader:
        if not isinstance(value, dict) or "format" not in value:
            raise TraceError.of(
                self.file, f'is not a trace: line 1 has no "format": "{FORMAT}"', self.line
            )
        if value["format"] != FORMAT:
            self.problem(["format"], f"{excerpt(value['format'])} is not {FORMAT!r}")
            self.done()
        protocol = value.get("protocol")
        if protocol is not None and protocol not in PROTOCOLS:
            self.problem(["protocol"], f"{excerpt(protocol)} is not 'ftms', 'fitshow' or null")
        text = {key: self.text(value, key) for key in ("name", "address", "why", "started")}
        version = self.text(value, "treadlink")
        gatt = tuple(
            self.service(s, ["gatt", i]) for i, s in enumerate(self.items(value, "gatt", list))
        )
        static = {
            uuid: data
            for key, hexed in self.items(value, "static", dict).items()
            if (uuid := self.uuid(key, ["static", key])) is not None
            and (data := self.hex(hexed, ["static", key])) is not None
        }
        info: dict[str, bytes] = {}
        for key, hexed in self.items(value, "fitshow_info", dict).items():
            if key not in INFO_NAMES:
                self.problem(["fitshow_info", key], f"is not one of {', '.join(INFO_NAMES)}")
            elif (data := self.hex(hexed, ["fitshow_info", key])) is not None:
                info[key] = data
        self.done()
        return TraceHeader(
            protocol,
            text["name"],
            text["address"],
            gatt,
            static,
            info,
            text["why"],
            text["started"],
            version,
        )

    def frame(self, value: Any) -> TraceFrame:
        if not isinstance(value, dict):
            raise TraceError.of(
                self.file, "is not a frame: a JSON object with t, op, uuid, hex", self.line
            )
        for key in ("t", "op", "uuid", "hex"):
            if key not in value:
                self.problem([key], "is missing")
        self.done()
        t = value["t"]
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
            self.problem(["t"], f"{excerpt(t)} is not a number of seconds (0 or more)")
        op = value["op"]
        if op not in OPS:
            self.problem(["op"], f"{excerpt(op)} is not one of {', '.join(OPS)}")
        uuid = self.uuid(value["uuid"], ["uuid"])
        data = self.hex(value["hex"], ["hex"])
        self.done()
        assert uuid is not None
        assert data is not None
        return TraceFrame(float(t), cast(Op, op), uuid, data)

    # --- fields -------------------------------------------------------------------------------
    def service(self, value: Any, path: list[str | int]) -> GattService:
        if not isinstance(value, dict):
            self.problem(path, "is not a service: an object with uuid and characteristics")
            return GattService("", ())
        uuid = self.uuid(value.get("uuid"), [*path, "uuid"]) or ""
        characteristics = []
        for i, c in enumerate(self.items(value, "characteristics", list, path)):
            where = [*path, "characteristics", i]
            if not isinstance(c, dict):
                self.problem(where, "is not a characteristic: an object with uuid and properties")
                continue
            properties = self.items(c, "properties", list, where)
            for j, name in enumerate(properties):
                if name not in PROPERTIES:
                    self.problem([*where, "properties", j], f"{excerpt(name)} is not a property")
            c_uuid = self.uuid(c.get("uuid"), [*where, "uuid"]) or ""
            characteristics.append(GattCharacteristic(c_uuid, tuple(map(str, properties))))
        return GattService(uuid, tuple(characteristics))

    def items[C: (list[Any], dict[str, Any])](
        self, value: dict[str, Any], key: str, kind: type[C], path: Sequence[str | int] = ()
    ) -> C:
        """`value[key]` if it is a `kind` (an absent one is empty)."""
        found = value.get(key)
        if found is None:
            return kind()
        if not isinstance(found, kind):
            what = "a list" if kind is list else "an object"
            self.problem([*path, key], f"is not {what}")
            return kind()
        return found

    def text(self, value: dict[str, Any], key: str) -> str | None:
        found = value.get(key)
        if found is not None and not isinstance(found, str):
            self.problem([key], f"{excerpt(found)} is not text or null")
            return None
        return found

    def uuid(self, value: Any, path: Sequence[str | int]) -> str | None:
        uuid = normal_uuid(value)
        if uuid is None:
            self.problem(path, f"{excerpt(value)} {NOT_A_UUID}")
        return uuid

    def hex(self, value: Any, path: Sequence[str | int]) -> bytes | None:
        if isinstance(value, str):
            try:
                return bytes.fromhex(value)
            except ValueError:
                pass
        self.problem(path, f"{excerpt(value)} is not bytes in hex, like '84 24 00'")
        return None
