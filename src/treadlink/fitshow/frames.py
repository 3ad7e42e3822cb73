"""The frame every FitShow message travels in: `02 CMD DATA... FCS 03`.

FCS is the XOR of CMD and every DATA byte. There is no escaping: 0x02 and 0x03 occur inside DATA
and as the FCS, so a frame is found by its ends and its checksum together, and one notification
carries one frame (every source reads it so: QZ's checkIncomingPacket, syssi's decoder).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce
from operator import xor

from treadlink.fitshow.protocol import END_BYTE, START_BYTE
from treadlink.treadmill import errors


class MalformedFrame(errors.MalformedFrame):
    """Bytes that are not a FitShow frame, or a frame whose data does not fit its message.

    A subclass of the interface's own, so code that catches "a frame we cannot read" catches both.
    """


def checksum(body: bytes) -> int:
    """The FCS of CMD and DATA."""
    return reduce(xor, body, 0)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame: the command byte and its data (sub-command first, where it has one)."""

    command: int
    data: bytes = b""

    @property
    def sub(self) -> int | None:
        """The first data byte: the sub-command of INFO/CONTROL/DATA, the state of STATUS."""
        return self.data[0] if self.data else None

    def encode(self) -> bytes:
        body = bytes([self.command]) + self.data
        return bytes([START_BYTE]) + body + bytes([checksum(body), END_BYTE])

    @classmethod
    def decode(cls, raw: bytes) -> Frame:
        """The frame in `raw`, or MalformedFrame saying what is wrong with it."""
        raw = bytes(raw)
        if len(raw) < 4:
            raise MalformedFrame(f"{_show(raw)}: {len(raw)} byte(s), a frame has at least 4")
        if raw[0] != START_BYTE:
            raise MalformedFrame(f"{_show(raw)}: starts with 0x{raw[0]:02x}, not 0x02")
        if raw[-1] != END_BYTE:
            raise MalformedFrame(f"{_show(raw)}: ends with 0x{raw[-1]:02x}, not 0x03")
        body, fcs = raw[1:-2], raw[-2]
        if checksum(body) != fcs:
            raise MalformedFrame(
                f"{_show(raw)}: checksum 0x{fcs:02x}, the bytes give 0x{checksum(body):02x}"
            )
        return cls(body[0], body[1:])

    def __str__(self) -> str:
        return self.encode().hex(" ")


def encode_frame(command: int, data: bytes = b"") -> bytes:
    return Frame(command, data).encode()


def decode_frame(raw: bytes) -> Frame:
    return Frame.decode(raw)


def _show(raw: bytes) -> str:
    shown = raw[:24].hex(" ")
    return f"frame {shown}…" if len(raw) > 24 else f"frame {shown or '(empty)'}"


# --- field helpers shared by the message layouts --------------------------------------------------
def unsigned_byte(value: int, what: str) -> int:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{what} {value} does not fit a byte")
    return value


def signed_byte(value: int, what: str) -> int:
    if not -0x80 <= value <= 0x7F:
        raise ValueError(f"{what} {value} does not fit a signed byte")
    return value & 0xFF


def as_signed(value: int) -> int:
    return value - 0x100 if value & 0x80 else value


def known[E: IntEnum](enum: type[E], value: int) -> E | int:
    """`value` as a member of `enum` when it is one; the bare number otherwise."""
    return enum(value) if value in enum._value2member_map_ else value
