"""FitShow requests (bridge -> console), written once as data and used both ways.

The bridge encodes them (the convenience functions below are what it writes); the simulator
decodes them with the same layouts. Decoding raises nothing but MalformedFrame.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from treadlink.fitshow.frames import (
    Frame,
    MalformedFrame,
    as_signed,
    known,
    signed_byte,
    unsigned_byte,
)
from treadlink.fitshow.protocol import Command, Control, Info, SportMode
from treadlink.fitshow.units import SpeedUnit, Units

READY: Final = struct.Struct("<IBBH")  # sportID, mode, segments, mode countdown


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """The poll. The spec lets the app push the runner's heart rate in it."""

    heart_rate_bpm: int | None = None

    def encode(self) -> bytes:
        hr = (
            b""
            if self.heart_rate_bpm is None
            else bytes([unsigned_byte(self.heart_rate_bpm, "HR")])
        )
        return Frame(Command.SYS_STATUS, hr).encode()


@dataclass(frozen=True, slots=True)
class InfoRequest:
    info: Info | int
    data: bytes = b""  # QZ appends the date and time to INFO_MODEL

    def encode(self) -> bytes:
        return Frame(Command.SYS_INFO, bytes([self.info]) + self.data).encode()


@dataclass(frozen=True, slots=True)
class ReadyRequest:
    """CONTROL_READY. With the mode's bit 7 clear (compatibility mode) the console starts the belt
    on it, after its countdown."""

    sport_id: int = 0
    mode: SportMode | int = SportMode.NORMAL
    segments: int = 0
    mode_value: int = 0  # the countdown target of the timed modes

    def encode(self) -> bytes:
        data = READY.pack(self.sport_id, self.mode, self.segments, self.mode_value)
        return Frame(Command.SYS_CONTROL, bytes([Control.READY]) + data).encode()


@dataclass(frozen=True, slots=True)
class TargetRequest:
    """CONTROL_TARGET in wire units; no incline byte for a console without incline."""

    speed: int
    incline: int | None = None

    def encode(self) -> bytes:
        data = bytes([Control.TARGET, unsigned_byte(self.speed, "speed")])
        if self.incline is not None:
            data += bytes([signed_byte(self.incline, "incline")])
        return Frame(Command.SYS_CONTROL, data).encode()


@dataclass(frozen=True, slots=True)
class ControlRequest:
    """A SYS_CONTROL sub-command without data: STOP, START (resume), PAUSE."""

    control: Control | int

    def encode(self) -> bytes:
        return Frame(Command.SYS_CONTROL, bytes([self.control])).encode()


@dataclass(frozen=True, slots=True)
class OtherRequest:
    """A well-framed request of a kind this layer does not interpret."""

    frame: Frame

    def encode(self) -> bytes:
        return self.frame.encode()


Request = StatusRequest | InfoRequest | ReadyRequest | TargetRequest | ControlRequest | OtherRequest


def decode_request(raw: bytes) -> Request:
    frame = Frame.decode(raw)
    data, sub = frame.data, frame.sub
    if frame.command == Command.SYS_STATUS:
        return StatusRequest(data[0] if data else None)
    if frame.command == Command.SYS_INFO and sub is not None:
        return InfoRequest(known(Info, sub), data[1:])
    if frame.command == Command.SYS_CONTROL and sub is not None:
        if sub == Control.READY:
            # tyge68's shortened READY (`53 01 00 00 00 00 00`) is read with zeros after it.
            fields = READY.unpack(data[1 : 1 + READY.size].ljust(READY.size, b"\0"))
            return ReadyRequest(fields[0], known(SportMode, fields[1]), fields[2], fields[3])
        if sub == Control.TARGET:
            if len(data) < 2:
                raise MalformedFrame(f"target request {frame} has no speed byte")
            incline = as_signed(data[2]) if len(data) > 2 else None
            return TargetRequest(data[1], incline)
        return ControlRequest(known(Control, sub))
    return OtherRequest(frame)


# --- the convenience encoders the bridge writes ---------------------------------------------------
def status_request(heart_rate_bpm: int | None = None) -> bytes:
    return StatusRequest(heart_rate_bpm).encode()


def speed_info_request() -> bytes:
    return InfoRequest(Info.SPEED).encode()


def incline_info_request() -> bytes:
    return InfoRequest(Info.INCLINE).encode()


def model_info_request() -> bytes:
    return InfoRequest(Info.MODEL).encode()


def ready_request() -> bytes:
    """READY in compatibility mode: the belt starts after the console's countdown."""
    return ReadyRequest().encode()


def target_request(
    speed: float,
    incline_pct: float | None,
    units: Units,
    *,
    unit: SpeedUnit = SpeedUnit.KMH,
) -> bytes:
    """TARGET for `speed` (in `unit`) and `incline_pct` (None: no incline byte), exact in the
    console's units or SetpointError: nothing is rounded or clamped."""
    incline = None if incline_pct is None else units.incline_wire(incline_pct)
    return TargetRequest(units.speed_wire(speed, unit), incline).encode()


def stop_request() -> bytes:
    return ControlRequest(Control.STOP).encode()


def pause_request(sub: int = Control.PAUSE) -> bytes:
    """PAUSE: the spec's 0x0A, or QZ's 0x06 (protocol.QZ_PAUSE) for a console that wants it."""
    return ControlRequest(sub).encode()


def start_request() -> bytes:
    """START: resume from pause (the spec; a stopped belt is started with READY)."""
    return ControlRequest(Control.START).encode()
