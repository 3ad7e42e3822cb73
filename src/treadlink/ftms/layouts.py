"""FTMS byte layouts, written once as data and used both ways.

The bridge decodes with these tables and the simulator encodes with them, so the two can only
disagree with the specification, never with each other; the tests check the bytes against
hand-written frames and against pyftms's decoders.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Final

from treadlink.ftms.protocol import (
    MachineFeature,
    MachineStatusOp,
    OpCode,
    ResultCode,
    StopPause,
    TargetSettingFeature,
    TrainingStatus,
)
from treadlink.treadmill.errors import MalformedFrame
from treadlink.treadmill.units import Range, incline_range, speed_range


@dataclass(frozen=True, slots=True)
class Field:
    """One value inside a flagged record: its name, struct code and resolution."""

    name: str
    fmt: str  # a struct code, or "U24" for the 3-byte unsigned integers FTMS uses
    scale: float = 1.0
    # Worked out once: every Treadmill Data frame goes through them, on both ends of the link.
    size: int = field(init=False, repr=False, compare=False)
    not_available: int = field(init=False, repr=False, compare=False)
    layout: struct.Struct | None = field(init=False, repr=False, compare=False)  # None: U24

    def __post_init__(self) -> None:
        layout = None if self.fmt == "U24" else struct.Struct("<" + self.fmt)
        size = 3 if layout is None else layout.size
        # "Data not available" is all ones (0x7FFF when signed).
        signed = self.fmt.islower()
        object.__setattr__(self, "layout", layout)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "not_available", (1 << (8 * size - signed)) - 1)


# Treadmill Data (FTMS 4.9): the flag bit that announces each group, then the group's fields, in
# wire order. Bit 0 is "More Data" and inverted: Instantaneous Speed is present when it is 0.
# Bit 13 (step count, uint24) is not in FTMS 1.0 but NoblePro-class firmware sends it.
TREADMILL_DATA_GROUPS: Final[tuple[tuple[int, tuple[Field, ...]], ...]] = (
    (0, (Field("speed_kmh", "H", 0.01),)),
    (1, (Field("average_speed_kmh", "H", 0.01),)),
    (2, (Field("distance_m", "U24"),)),
    (3, (Field("incline_pct", "h", 0.1), Field("ramp_angle_deg", "h", 0.1))),
    (4, (Field("elevation_gain_pos_m", "H", 0.1), Field("elevation_gain_neg_m", "H", 0.1))),
    (5, (Field("pace_instant_km_min", "B", 0.1),)),
    (6, (Field("pace_average_km_min", "B", 0.1),)),
    (
        7,
        (
            Field("energy_total_kcal", "H"),
            Field("energy_per_hour_kcal", "H"),
            Field("energy_per_minute_kcal", "B"),
        ),
    ),
    (8, (Field("heart_rate_bpm", "B"),)),
    (9, (Field("metabolic_equivalent", "B", 0.1),)),
    (10, (Field("elapsed_time_s", "H"),)),
    (11, (Field("remaining_time_s", "H"),)),
    (12, (Field("force_on_belt_n", "h"), Field("power_output_w", "h"))),
    (13, (Field("step_count", "U24"),)),
)
TREADMILL_DATA_FIELDS: Final = tuple(f.name for _, group in TREADMILL_DATA_GROUPS for f in group)
_TREADMILL_DATA_FIELD_SET: Final = frozenset(TREADMILL_DATA_FIELDS)
_MORE_DATA = 1 << 0


def _unpack(f: Field, data: bytes, offset: int) -> float | int | None:
    if f.layout is None:
        raw: int = int.from_bytes(data[offset : offset + 3], "little")
    else:
        (raw,) = f.layout.unpack_from(data, offset)
    if raw == f.not_available:
        return None
    return raw if f.scale == 1.0 else round(raw * f.scale, 2)


def _pack(f: Field, value: float) -> bytes:
    return _raw(f, round(value / f.scale))


def _raw(f: Field, raw: int) -> bytes:
    if f.layout is None:
        return raw.to_bytes(3, "little")
    return f.layout.pack(raw)


@dataclass(frozen=True, slots=True)
class TreadmillDataFrame:
    """One decoded Treadmill Data notification: only the fields the frame carried."""

    values: dict[str, float | int]
    extra: bytes = b""  # bytes past the last announced field; kept for the log, not interpreted


def decode_treadmill_data(data: bytes) -> TreadmillDataFrame:
    """Decode a Treadmill Data notification; MalformedFrame if shorter than its flags announce.

    Bytes after the announced fields (unknown flag bits, vendor padding) are returned as `extra`
    rather than refused: real treadmills send them and the known fields are still good.
    """
    if len(data) < 2:
        raise MalformedFrame(f"treadmill data of {len(data)} byte(s) has no flags field")
    flags = int.from_bytes(data[:2], "little") ^ _MORE_DATA
    offset, values, length = 2, {}, len(data)
    for bit, group in TREADMILL_DATA_GROUPS:
        if not flags & (1 << bit):
            continue
        for f in group:
            if offset + f.size > length:
                raise MalformedFrame(
                    f"treadmill data flags 0x{flags ^ _MORE_DATA:04x} announce {f.name} at byte "
                    f"{offset}, but the frame has only {len(data)} bytes"
                )
            value = _unpack(f, data, offset)
            if value is not None:
                values[f.name] = value
            offset += f.size
    return TreadmillDataFrame(values, bytes(data[offset:]))


def encode_treadmill_data(values: dict[str, float]) -> bytes:
    """Encode the given fields (names from TREADMILL_DATA_FIELDS) as one Treadmill Data frame.

    A group is sent when its first field is given; its other fields are sent as "not available".
    """
    unknown = values.keys() - _TREADMILL_DATA_FIELD_SET
    if unknown:
        raise KeyError(f"not Treadmill Data fields: {sorted(unknown)}")
    flags, body = 0, []
    for bit, group in TREADMILL_DATA_GROUPS:
        if group[0].name in values:
            flags |= 1 << bit
            for f in group:
                given = f.name in values
                body.append(_pack(f, values[f.name]) if given else _raw(f, f.not_available))
    return struct.pack("<H", flags ^ _MORE_DATA) + b"".join(body)


# --- Fitness Machine Feature (4.3) ----------------------------------------------------------------
_FEATURE = struct.Struct("<II")


@dataclass(frozen=True, slots=True)
class Features:
    machine: MachineFeature
    targets: TargetSettingFeature

    def encode(self) -> bytes:
        return _FEATURE.pack(self.machine, self.targets)

    @classmethod
    def decode(cls, data: bytes) -> Features:
        if len(data) < _FEATURE.size:
            raise MalformedFrame(f"fitness machine feature is {len(data)} bytes, expected 8")
        machine, targets = _FEATURE.unpack_from(data)
        return cls(MachineFeature(machine), TargetSettingFeature(targets))


# --- Supported ranges (4.12, 4.13) ----------------------------------------------------------------
_SPEED_RANGE = struct.Struct("<HHH")
_INCLINE_RANGE = struct.Struct("<hhH")


def encode_range(r: Range) -> bytes:
    """Supported Speed Range or Supported Inclination Range, as the treadmill serves it."""
    layout = _SPEED_RANGE if r.kind == "speed" else _INCLINE_RANGE
    return layout.pack(r.minimum, r.maximum, r.step)


def decode_speed_range(data: bytes) -> Range:
    if len(data) < _SPEED_RANGE.size:
        raise MalformedFrame(f"supported speed range is {len(data)} bytes, expected 6")
    return speed_range(*_SPEED_RANGE.unpack_from(data))


def decode_incline_range(data: bytes) -> Range:
    if len(data) < _INCLINE_RANGE.size:
        raise MalformedFrame(f"supported inclination range is {len(data)} bytes, expected 6")
    return incline_range(*_INCLINE_RANGE.unpack_from(data))


# --- Setpoints: physical value -> wire units, exact or refused ------------------------------------
# --- Control point (4.16) -------------------------------------------------------------------------
def encode_request(op: OpCode, parameter: bytes = b"") -> bytes:
    return bytes([op]) + parameter


def speed_parameter(units: int) -> bytes:
    return struct.pack("<H", units)


def incline_parameter(units: int) -> bytes:
    return struct.pack("<h", units)


def stop_parameter(kind: StopPause) -> bytes:
    return bytes([kind])


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """`80 <request op> <result> [parameter]`: the indication that ends a procedure."""

    request: int
    result: ResultCode | int
    parameter: bytes = b""

    def encode(self) -> bytes:
        return bytes([OpCode.RESPONSE_CODE, self.request, self.result]) + self.parameter

    @classmethod
    def decode(cls, data: bytes) -> ControlResponse:
        if len(data) < 3 or data[0] != OpCode.RESPONSE_CODE:
            raise MalformedFrame(f"control point indication {data.hex(' ')} is not a response")
        result: ResultCode | int = data[2]
        if data[2] in ResultCode._value2member_map_:
            result = ResultCode(data[2])
        return cls(data[1], result, bytes(data[3:]))


# Parameter layout of each request op code a treadmill takes (FTMS 4.16.2, table 4.15).
CONTROL_PARAMETERS: Final[dict[OpCode, Field]] = {
    OpCode.SET_TARGET_SPEED: Field("target_speed_kmh", "H", 0.01),
    OpCode.SET_TARGET_INCLINATION: Field("target_incline_pct", "h", 0.1),
    OpCode.STOP_OR_PAUSE: Field("stop_pause", "B"),
}


@dataclass(frozen=True, slots=True)
class ControlRequest:
    """A control-point write, read back: its op code and its parameter, scaled."""

    op: OpCode | int
    value: float | int | None = None  # None for the op codes without a parameter
    extra: bytes = b""  # bytes past the parameter (or of an op code without a known layout)

    @classmethod
    def decode(cls, data: bytes) -> ControlRequest:
        if not data:
            raise MalformedFrame("empty control point request")
        if data[0] not in OpCode._value2member_map_:
            return cls(data[0], None, bytes(data[1:]))
        op = OpCode(data[0])
        layout = CONTROL_PARAMETERS.get(op)
        if layout is None:
            return cls(op, None, bytes(data[1:]))
        if len(data) < 1 + layout.size:
            raise MalformedFrame(f"control point request {data.hex(' ')} is missing its parameter")
        return cls(op, _unpack(layout, data, 1), bytes(data[1 + layout.size :]))


# --- Fitness Machine Status (4.17) ----------------------------------------------------------------
# Parameter layout of each status op code we interpret; others are passed on undecoded.
MACHINE_STATUS_PARAMETERS: Final[dict[MachineStatusOp, Field | None]] = {
    MachineStatusOp.RESET: None,
    MachineStatusOp.STOPPED_OR_PAUSED_BY_USER: Field("stop_pause", "B"),
    MachineStatusOp.STOPPED_BY_SAFETY_KEY: None,
    MachineStatusOp.STARTED_OR_RESUMED_BY_USER: None,
    MachineStatusOp.TARGET_SPEED_CHANGED: Field("speed_kmh", "H", 0.01),
    MachineStatusOp.TARGET_INCLINE_CHANGED: Field("incline_pct", "h", 0.1),
    MachineStatusOp.CONTROL_PERMISSION_LOST: None,
}


@dataclass(frozen=True, slots=True)
class MachineStatus:
    op: MachineStatusOp | int
    value: float | int | None = None  # the parameter, scaled; None when the op has none
    raw: bytes = field(default=b"", compare=False)

    @property
    def stop_pause(self) -> StopPause | None:
        if self.op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER and self.value in (1, 2):
            return StopPause(int(self.value))
        return None

    def encode(self) -> bytes:
        layout = MACHINE_STATUS_PARAMETERS.get(MachineStatusOp(self.op))
        parameter = b"" if layout is None or self.value is None else _pack(layout, self.value)
        return bytes([self.op]) + parameter

    @classmethod
    def decode(cls, data: bytes) -> MachineStatus:
        if not data:
            raise MalformedFrame("empty fitness machine status")
        if data[0] not in MachineStatusOp._value2member_map_:
            return cls(data[0], None, bytes(data))
        op = MachineStatusOp(data[0])
        layout = MACHINE_STATUS_PARAMETERS[op]
        if layout is None:
            return cls(op, None, bytes(data))
        if len(data) < 1 + layout.size:
            raise MalformedFrame(f"fitness machine status {data.hex(' ')} is missing its parameter")
        value = _unpack(layout, data, 1)
        if value is None:
            raise MalformedFrame(f"fitness machine status {data.hex(' ')}: parameter not available")
        return cls(op, value, bytes(data))


# --- Training Status (4.10) -----------------------------------------------------------------------
def encode_training_status(status: TrainingStatus, text: str = "") -> bytes:
    return bytes([0x01 if text else 0x00, status]) + text.encode()


def decode_training_status(data: bytes) -> TrainingStatus | int:
    if len(data) < 2:
        raise MalformedFrame(f"training status {data.hex(' ')} is shorter than 2 bytes")
    code = data[1]
    return TrainingStatus(code) if code in TrainingStatus._value2member_map_ else code


# --- Device Information strings (DIS 1.1) ---------------------------------------------------------
def decode_text(data: bytes) -> str:
    """A Device Information string: UTF-8 (what is not is replaced), NUL padding dropped."""
    return data.decode("utf-8", "replace").rstrip("\x00")


# --- Advertisement service data (3.1) -------------------------------------------------------------
def encode_service_data(machine_types: int, available: bool = True) -> bytes:
    return bytes([0x01 if available else 0x00]) + struct.pack("<H", machine_types)


def decode_service_data(data: bytes) -> tuple[bool, int]:
    """(machine available, machine type bits) of FTMS service data."""
    if len(data) < 3:
        raise MalformedFrame(f"FTMS service data {data.hex(' ')} is shorter than 3 bytes")
    return bool(data[0] & 0x01), int.from_bytes(data[1:3], "little")
