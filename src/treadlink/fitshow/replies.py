"""FitShow replies (console -> bridge), written once as data and used both ways.

The bridge decodes them; the simulator encodes them with the same layouts, so the two can only
disagree with the spec, never with each other. Values are wire units here; `Units` turns them into
km/h, % and metres, named like the fields of `treadlink.ftms.state.TreadmillState` so a driver can
write `state.updated(reply.values(units))`.

Decoders never raise anything but MalformedFrame, and keep bytes past the known fields in `extra`
instead of refusing them.
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
from treadlink.fitshow.protocol import (
    WORKOUT_STATES,
    BeltState,
    Command,
    Control,
    Info,
    StatusCode,
    belt_state,
)
from treadlink.fitshow.units import Range, SpeedUnit, Units

# The workout record of END/RUNNING/STOPPING/PAUSED, after the state byte: speed (0.1 unit),
# incline (signed, console units), time (s), distance (m, or 0.001 mile), energy (0.1 kcal), steps,
# heart rate (0 = none); then the program segment, which some frames leave out.
WORKOUT: Final = struct.Struct("<BbHHHHB")
MODEL: Final = struct.Struct("<HH")  # brand, model


@dataclass(frozen=True, slots=True)
class Workout:
    """The workout record, in the console's wire units."""

    speed: int
    incline: int
    elapsed_s: int
    distance: int
    energy: int  # 0.1 kcal
    steps: int
    heart_rate: int  # 0: no heart rate
    segment: int | None = None

    def encode(self) -> bytes:
        data = WORKOUT.pack(
            self.speed,
            self.incline,
            self.elapsed_s,
            self.distance,
            self.energy,
            self.steps,
            self.heart_rate,
        )
        return data if self.segment is None else data + bytes([self.segment])

    @classmethod
    def decode(cls, data: bytes, what: str) -> tuple[Workout, bytes]:
        if len(data) < WORKOUT.size:
            raise MalformedFrame(
                f"{what} has {len(data)} bytes of workout data, expected {WORKOUT.size + 1}"
            )
        segment = data[WORKOUT.size] if len(data) > WORKOUT.size else None
        speed, incline, elapsed, distance, energy, steps, hr = WORKOUT.unpack_from(data)
        workout = cls(speed, incline, elapsed, distance, energy, steps, hr, segment)
        return workout, bytes(data[WORKOUT.size + 1 :])


@dataclass(frozen=True, slots=True)
class StatusReply:
    code: StatusCode
    workout: Workout | None = None  # END, RUNNING, STOPPING, PAUSED
    countdown_s: int | None = None  # START, READY
    detail: int | None = None  # ERROR: the error code; DISABLE: 1 safety key, 2 sleep
    extra: bytes = b""

    @property
    def state(self) -> BeltState:
        return belt_state(self.code, self.detail)

    def values(self, units: Units) -> dict[str, float | int | None]:
        """The frame's values under TreadmillState's names, in km/h, %, m, s, kcal.

        Empty when the frame carries none (idle, countdown, error, safety key, sleep): what the
        belt does then is the driver's to decide. The speed byte is the belt's only while running
        or stopping: paused and stopped frames repeat the last speed (QZ f39ca765d), so it is
        left out of their values (it stays in `workout.speed`).
        """
        w = self.workout
        if w is None:
            return {}
        values: dict[str, float | int | None] = {
            "incline_pct": units.incline_pct(w.incline),
            "elapsed_time_s": w.elapsed_s,
            "distance_m": round(units.distance_m(w.distance)),
            "energy_total_kcal": round(w.energy / 10, 1),
            "step_count": w.steps,
            "heart_rate_bpm": w.heart_rate or None,
        }
        if self.code in (StatusCode.RUNNING, StatusCode.STOPPING):
            values["speed_kmh"] = units.speed_kmh(w.speed)
        return values

    def encode(self) -> bytes:
        data = bytes([self.code])
        if self.workout is not None:
            data += self.workout.encode()
        for value in (self.countdown_s, self.detail):
            if value is not None:
                data += bytes([unsigned_byte(value, "status byte")])
        return Frame(Command.SYS_STATUS, data + self.extra).encode()

    @classmethod
    def decode(cls, frame: Frame) -> StatusReply:
        if not frame.data:
            raise MalformedFrame(f"status reply {frame} has no state byte")
        code = frame.data[0]
        if code not in StatusCode._value2member_map_:
            raise MalformedFrame(f"status reply {frame}: unknown state 0x{code:02x}")
        status, rest = StatusCode(code), frame.data[1:]
        if status in WORKOUT_STATES:
            workout, extra = Workout.decode(rest, f"{status.name} status {frame}")
            return cls(status, workout=workout, extra=extra)
        first, extra = (rest[0] if rest else None), bytes(rest[1:])
        if status in (StatusCode.START, StatusCode.READY):
            return cls(status, countdown_s=first, extra=extra)
        if status in (StatusCode.ERROR, StatusCode.DISABLE):
            return cls(status, detail=first, extra=extra)
        return cls(status, extra=bytes(rest))


@dataclass(frozen=True, slots=True)
class SpeedInfo:
    """INFO_SPEED: the speed range in 0.1 of the console's unit, which this reply does not name."""

    maximum: int
    minimum: int
    extra: bytes = b""  # the F15 sends one more byte, 00; QZ reads it as "UNIT", unconfirmed

    def range(self, units: Units) -> Range:
        return units.speed_range(self.minimum, self.maximum)

    def encode(self) -> bytes:
        data = bytes(
            [Info.SPEED, unsigned_byte(self.maximum, "max"), unsigned_byte(self.minimum, "min")]
        )
        return Frame(Command.SYS_INFO, data + self.extra).encode()


@dataclass(frozen=True, slots=True)
class InclineInfo:
    """INFO_INCLINE: the incline range in console units (minimum signed) and the config byte:
    bit 0 the console's distance unit (0 km, 1 miles), bit 1 pause supported."""

    maximum: int
    minimum: int
    config: int | None = None
    extra: bytes = b""

    def range(self, units: Units) -> Range:
        return units.incline_range(self.minimum, self.maximum)

    @property
    def speed_unit(self) -> SpeedUnit | None:
        """The km/mph setting the console reports; None when it sent no config byte."""
        if self.config is None:
            return None
        return SpeedUnit.MPH if self.config & 0x01 else SpeedUnit.KMH

    @property
    def pause_supported(self) -> bool | None:
        return None if self.config is None else bool(self.config & 0x02)

    def encode(self) -> bytes:
        data = bytes(
            [Info.INCLINE, unsigned_byte(self.maximum, "max"), signed_byte(self.minimum, "min")]
        )
        if self.config is not None:
            data += bytes([unsigned_byte(self.config, "config")])
        return Frame(Command.SYS_INFO, data + self.extra).encode()


@dataclass(frozen=True, slots=True)
class ModelInfo:
    brand: int
    model: int
    extra: bytes = b""

    def encode(self) -> bytes:
        data = bytes([Info.MODEL]) + MODEL.pack(self.brand, self.model)
        return Frame(Command.SYS_INFO, data + self.extra).encode()


@dataclass(frozen=True, slots=True)
class Unsupported:
    """An INFO or DATA request echoed with no data: the console does not have it (an echoed
    INFO_INCLINE: no incline)."""

    command: Command
    sub: int

    def encode(self) -> bytes:
        return Frame(self.command, bytes([self.sub])).encode()


@dataclass(frozen=True, slots=True)
class ReadyAck:
    countdown_s: int | None  # seconds of countdown the console will run
    extra: bytes = b""

    def encode(self) -> bytes:
        data = bytes([Control.READY])
        if self.countdown_s is not None:
            data += bytes([unsigned_byte(self.countdown_s, "countdown")])
        return Frame(Command.SYS_CONTROL, data + self.extra).encode()


@dataclass(frozen=True, slots=True)
class TargetAck:
    """The target the console actually took (the spec), in wire units; either may be absent."""

    speed: int | None
    incline: int | None = None
    extra: bytes = b""

    def speed_kmh(self, units: Units) -> float | None:
        return None if self.speed is None else units.speed_kmh(self.speed)

    def incline_pct(self, units: Units) -> float | None:
        return None if self.incline is None else units.incline_pct(self.incline)

    def encode(self) -> bytes:
        data = bytes([Control.TARGET])
        if self.speed is not None:
            data += bytes([unsigned_byte(self.speed, "speed")])
            if self.incline is not None:
                data += bytes([signed_byte(self.incline, "incline")])
        return Frame(Command.SYS_CONTROL, data + self.extra).encode()


@dataclass(frozen=True, slots=True)
class ControlAck:
    """The echo of STOP, START, PAUSE (or any other control without data)."""

    control: Control | int
    extra: bytes = b""

    def encode(self) -> bytes:
        return Frame(Command.SYS_CONTROL, bytes([self.control]) + self.extra).encode()


@dataclass(frozen=True, slots=True)
class OtherReply:
    """A well-framed reply this layer does not interpret (SYS_DATA, INFO_DATE, ...)."""

    frame: Frame

    def encode(self) -> bytes:
        return self.frame.encode()


Reply = (
    StatusReply
    | SpeedInfo
    | InclineInfo
    | ModelInfo
    | Unsupported
    | ReadyAck
    | TargetAck
    | ControlAck
    | OtherReply
)


def decode_reply(raw: bytes) -> Reply:
    """The reply in one notification, or MalformedFrame saying why it is none."""
    frame = Frame.decode(raw)
    if frame.command == Command.SYS_STATUS:
        return StatusReply.decode(frame)
    sub, rest = frame.sub, bytes(frame.data[1:])
    if sub is None:
        return OtherReply(frame)
    if frame.command == Command.SYS_INFO:
        return _info_reply(frame, sub, rest)
    if frame.command == Command.SYS_CONTROL:
        return _control_reply(sub, rest)
    if frame.command == Command.SYS_DATA and not rest:
        return Unsupported(Command.SYS_DATA, sub)
    return OtherReply(frame)


def _info_reply(frame: Frame, sub: int, rest: bytes) -> Reply:
    if not rest:
        return Unsupported(Command.SYS_INFO, sub)
    if sub == Info.SPEED:
        if len(rest) < 2:
            raise MalformedFrame(f"speed info {frame} has no minimum speed")
        if rest[1] > rest[0]:
            raise MalformedFrame(f"speed info {frame}: minimum {rest[1]} above maximum {rest[0]}")
        return SpeedInfo(rest[0], rest[1], rest[2:])
    if sub == Info.INCLINE:
        if len(rest) < 2:
            raise MalformedFrame(f"incline info {frame} has no minimum incline")
        minimum = as_signed(rest[1])
        if minimum > rest[0]:
            raise MalformedFrame(f"incline info {frame}: minimum {minimum} above maximum {rest[0]}")
        config = rest[2] if len(rest) > 2 else None
        return InclineInfo(rest[0], minimum, config, rest[3:])
    if sub == Info.MODEL:
        if len(rest) < MODEL.size:
            raise MalformedFrame(f"model info {frame} is shorter than brand and model")
        brand, model = MODEL.unpack_from(rest)
        return ModelInfo(brand, model, rest[MODEL.size :])
    return OtherReply(frame)


def _control_reply(sub: int, rest: bytes) -> Reply:
    if sub == Control.READY:
        return ReadyAck(rest[0] if rest else None, rest[1:])
    if sub == Control.TARGET:
        speed = rest[0] if rest else None
        incline = as_signed(rest[1]) if len(rest) > 1 else None
        return TargetAck(speed, incline, rest[2:])
    return ControlAck(known(Control, sub), rest)
