"""Control-point requests: bytes in, a checked request or the result code that refuses it.

Pure: no Bluetooth and no machine state, so every FTMS result rule is testable on its own.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from treadlink.ftms.protocol import OpCode, ResultCode, StopPause
from treadlink.treadmill.units import Range

_NO_PARAMETER = {OpCode.REQUEST_CONTROL, OpCode.RESET, OpCode.START_OR_RESUME}
SUPPORTED = _NO_PARAMETER | {
    OpCode.SET_TARGET_SPEED,
    OpCode.SET_TARGET_INCLINATION,
    OpCode.STOP_OR_PAUSE,
}


@dataclass(frozen=True, slots=True)
class Request:
    op: OpCode
    units: int = 0  # wire units of a speed (0.01 km/h) or incline (0.1 %) setpoint
    stop_pause: StopPause = StopPause.STOP


@dataclass(frozen=True, slots=True)
class Refusal:
    op: int
    result: ResultCode


def op_code(data: bytes) -> OpCode | None:
    """The op code of a request the simulator implements, else None (answer 02)."""
    if data and data[0] in OpCode._value2member_map_ and OpCode(data[0]) in SUPPORTED:
        return OpCode(data[0])
    return None


def parse(data: bytes, speeds: Range, inclines: Range) -> Request | Refusal:
    """Decode and check a non-empty control-point write against the machine's ranges."""
    op = op_code(data)
    if op is None:
        return Refusal(data[0], ResultCode.OP_CODE_NOT_SUPPORTED)
    parameter = data[1:]
    invalid = Refusal(op, ResultCode.INVALID_PARAMETER)
    if op in _NO_PARAMETER:
        return Request(op) if not parameter else invalid
    if op is OpCode.STOP_OR_PAUSE:
        if len(parameter) != 1 or parameter[0] not in StopPause._value2member_map_:
            return invalid
        return Request(op, stop_pause=StopPause(parameter[0]))
    if len(parameter) != 2:
        return invalid
    if op is OpCode.SET_TARGET_SPEED:
        (units,) = struct.unpack("<H", parameter)
        return Request(op, units) if speeds.contains(units) else invalid
    (units,) = struct.unpack("<h", parameter)
    return Request(op, units) if inclines.contains(units) else invalid
