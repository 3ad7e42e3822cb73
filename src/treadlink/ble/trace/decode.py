"""Each recorded frame through the drivers' own decoders: what `treadlink probe --replay` says.

    decoder = FrameDecoder(trace.header)
    for frame in trace.frames():
        decoded = decoder.decode(frame)      # or Undecodable, saying why
        decoded.fields                       # {"speed_kmh": 3.0, "distance_m": 32, ...}
        decoded.text                         # "treadmill data: speed 3.00 km/h, distance 32 m"

FTMS frames go through treadlink.ftms.layouts, FitShow frames through treadlink.fitshow (requests
written, replies notified), Device Information strings as the link reads them: the same code the
drivers run, so a replay says what the driver understood. Telemetry comes out under the replay's
names (`FIELDS`); FitShow's units (mph consoles, NoblePro's 0.5 % incline) are learnt as the
driver learns them, from the INFO_INCLINE reply and the service the console speaks on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from treadlink.ble.trace.format import Op, TraceFrame, TraceHeader
from treadlink.fitshow import protocol as fs
from treadlink.fitshow.replies import (
    ControlAck,
    InclineInfo,
    ModelInfo,
    OtherReply,
    ReadyAck,
    SpeedInfo,
    StatusReply,
    TargetAck,
    Unsupported,
    decode_reply,
)
from treadlink.fitshow.requests import ControlRequest as FitShowControl
from treadlink.fitshow.requests import (
    InfoRequest,
    OtherRequest,
    ReadyRequest,
    StatusRequest,
    TargetRequest,
    decode_request,
)
from treadlink.fitshow.units import NOBLEPRO_UNITS, STANDARD, SpeedUnit, Units
from treadlink.ftms.layouts import (
    CONTROL_PARAMETERS,
    MACHINE_STATUS_PARAMETERS,
    ControlRequest,
    ControlResponse,
    Features,
    MachineStatus,
    decode_incline_range,
    decode_speed_range,
    decode_text,
    decode_training_status,
    decode_treadmill_data,
)
from treadlink.ftms.protocol import (
    DEVICE_INFORMATION_FIELDS,
    Characteristic,
    MachineStatusOp,
    OpCode,
    ResultCode,
    StopPause,
    TrainingStatus,
)
from treadlink.treadmill.errors import MalformedFrame
from treadlink.treadmill.units import Range

# The replay's names for the telemetry fields (TreadmillState's names on the left), with how a
# human line shows each.
FIELDS: Final[dict[str, tuple[str, str, str]]] = {
    "speed_kmh": ("speed_kmh", "speed", "{:.2f} km/h"),
    "incline_pct": ("incline_pct", "incline", "{:g} %"),
    "distance_m": ("distance_m", "distance", "{:g} m"),
    "elapsed_time_s": ("elapsed_s", "elapsed", "{:g} s"),
    "heart_rate_bpm": ("heart_rate_bpm", "HR", "{:g} bpm"),
    "step_count": ("steps", "steps", "{:g}"),
    "energy_total_kcal": ("energy_kcal", "energy", "{:g} kcal"),
}
_DEVICE_INFORMATION: Final = {int(c): name for name, c in DEVICE_INFORMATION_FIELDS.items()}
_FITSHOW_WRITE: Final = {t.write: t for t in fs.TRANSPORTS}
_FITSHOW_NOTIFY: Final = {t.notify: t for t in fs.TRANSPORTS}
# A status parameter under the name a control request gives it.
_STATUS_PARAMETER: Final = {
    "speed_kmh": "target_speed_kmh",
    "incline_pct": "target_incline_pct",
    "stop_pause": "stop_pause",
}


class Undecodable(ValueError):
    """A frame treadlink cannot decode; the message says why."""


@dataclass(frozen=True, slots=True)
class Decoded:
    kind: str  # "treadmill_data", "fitshow_status", ...
    text: str  # one line for a human
    fields: dict[str, Any] = field(default_factory=dict)  # JSON values, present ones only


def telemetry(values: Mapping[str, float | int | None]) -> tuple[dict[str, Any], str]:
    """The replay's fields of a decoder's values, and how a human line says them."""
    fields: dict[str, Any] = {}
    words = []
    for name, (key, label, fmt) in FIELDS.items():
        value = values.get(name)
        if value is not None:
            fields[key] = value
            words.append(f"{label} {fmt.format(value)}")
    return fields, ", ".join(words) or "no values"


def _range(r: Range) -> list[float]:
    return [r.value(r.minimum), r.value(r.maximum), r.value(r.step)]


def _name(value: int, enum: Any) -> str | int:
    """An enum member's name in lower case, or the bare number."""
    return enum(value).name.lower() if value in enum._value2member_map_ else value


class FrameDecoder:
    """Decodes the frames of one trace, in order (FitShow's units are learnt on the way)."""

    def __init__(self, header: TraceHeader) -> None:
        self._speed_unit = SpeedUnit.KMH
        incline = header.fitshow_info.get("incline")
        if incline is not None:
            self._learn(incline)
        self._handlers: dict[int, Callable[[Op, bytes], Decoded]] = {
            Characteristic.TREADMILL_DATA: self._treadmill_data,
            Characteristic.FITNESS_MACHINE_FEATURE: self._feature,
            Characteristic.SUPPORTED_SPEED_RANGE: self._speed_range,
            Characteristic.SUPPORTED_INCLINATION_RANGE: self._incline_range,
            Characteristic.TRAINING_STATUS: self._training_status,
            Characteristic.FITNESS_MACHINE_STATUS: self._machine_status,
            Characteristic.FITNESS_MACHINE_CONTROL_POINT: self._control_point,
        }

    def decode(self, frame: TraceFrame) -> Decoded:
        uuid, op, data = frame.uuid16, frame.op, frame.data
        try:
            if uuid in self._handlers:
                return self._handlers[uuid](op, data)
            if uuid in _DEVICE_INFORMATION:
                _only(op, ("read",), "Device Information")
                name = _DEVICE_INFORMATION[uuid]
                text = decode_text(data)
                return Decoded("device_information", f"{name} {text!r}", {name: text})
            if uuid in _FITSHOW_WRITE:
                _only(op, ("write",), "FitShow's write characteristic")
                return self._fitshow_request(data, _FITSHOW_WRITE[uuid])
            if uuid in _FITSHOW_NOTIFY:
                _only(op, ("notify", "indicate"), "FitShow's notify characteristic")
                return self._fitshow_reply(data, _FITSHOW_NOTIFY[uuid])
        except MalformedFrame as e:
            raise Undecodable(str(e)) from None
        raise Undecodable(f"treadlink decodes no frames of characteristic {frame.uuid}")

    # --- FTMS ---------------------------------------------------------------------------------
    def _treadmill_data(self, op: Op, data: bytes) -> Decoded:
        _only(op, ("notify",), "Treadmill Data")
        frame = decode_treadmill_data(data)
        fields, text = telemetry(frame.values)
        text += _extra(fields, frame.extra)
        return Decoded("treadmill_data", f"treadmill data: {text}", fields)

    def _feature(self, op: Op, data: bytes) -> Decoded:
        _only(op, ("read",), "Fitness Machine Feature")
        features = Features.decode(data)
        reports = [str(f.name).lower() for f in features.machine]
        targets = [str(f.name).lower() for f in features.targets]
        text = f"features: reports {', '.join(reports) or 'nothing'}; targets "
        return Decoded(
            "feature",
            text + (", ".join(targets) or "none"),
            {"reports": reports, "targets": targets},
        )

    def _speed_range(self, op: Op, data: bytes) -> Decoded:
        _only(op, ("read",), "Supported Speed Range")
        r = decode_speed_range(data)
        return Decoded("speed_range", f"speed range {r}", {"speed_range_kmh": _range(r)})

    def _incline_range(self, op: Op, data: bytes) -> Decoded:
        _only(op, ("read",), "Supported Inclination Range")
        r = decode_incline_range(data)
        return Decoded("incline_range", f"incline range {r}", {"incline_range_pct": _range(r)})

    def _training_status(self, op: Op, data: bytes) -> Decoded:
        _only(op, ("read", "notify"), "Training Status")
        name = _name(int(decode_training_status(data)), TrainingStatus)
        return Decoded("training_status", f"training status {name}", {"training_status": name})

    def _machine_status(self, op: Op, data: bytes) -> Decoded:
        _only(op, ("notify", "indicate"), "Fitness Machine Status")
        status = MachineStatus.decode(data)
        name = _name(status.op, MachineStatusOp)
        fields: dict[str, Any] = {"machine_status": name}
        layout = None
        if isinstance(name, str):
            layout = MACHINE_STATUS_PARAMETERS[MachineStatusOp(status.op)]
        text = f"machine status {name}"
        if layout is not None:
            text += _parameter(fields, _STATUS_PARAMETER[layout.name], status.value)
        text += _extra(fields, data[1 + (layout.size if layout else 0) :])
        return Decoded("machine_status", text, fields)

    def _control_point(self, op: Op, data: bytes) -> Decoded:
        if op == "write":
            return _control_request(data)
        _only(op, ("indicate", "notify"), "the control point")
        response = ControlResponse.decode(data)
        request, result = _name(response.request, OpCode), _name(response.result, ResultCode)
        fields = {"response_to": request, "result": result}
        return Decoded("control_response", f"control point: {request} answered {result}", fields)

    # --- FitShow ------------------------------------------------------------------------------
    def _units(self, transport: fs.Transport) -> Units:
        base = NOBLEPRO_UNITS if transport == fs.NOBLEPRO else STANDARD
        return Units(self._speed_unit, base.incline_step_pct)

    def _learn(self, raw: bytes) -> None:
        """An INFO_INCLINE reply says the console's speed unit (its config bit 0)."""
        try:
            reply = decode_reply(raw)
        except MalformedFrame:
            return
        if isinstance(reply, InclineInfo) and reply.speed_unit is not None:
            self._speed_unit = reply.speed_unit

    def _fitshow_request(self, data: bytes, transport: fs.Transport) -> Decoded:
        request = decode_request(data)
        units = self._units(transport)
        if isinstance(request, StatusRequest):
            hr = request.heart_rate_bpm
            return Decoded("fitshow_poll", "status poll" + (f" (HR {hr})" if hr else ""))
        if isinstance(request, InfoRequest):
            what = _name(request.info, fs.Info)
            return Decoded("fitshow_info_request", f"asks INFO {what}", {"asks": what})
        if isinstance(request, ReadyRequest):
            mode = _name(request.mode, fs.SportMode)
            return Decoded("fitshow_ready", f"READY (start), mode {mode}", {"request": "ready"})
        if isinstance(request, TargetRequest):
            incline = None if request.incline is None else units.incline_pct(request.incline)
            fields = _targets(units.speed_kmh(request.speed), incline)
            return Decoded("fitshow_target", f"TARGET {_values(fields)}", fields)
        if isinstance(request, FitShowControl):
            name = _name(request.control, fs.Control)
            return Decoded("fitshow_control", f"{name}".upper(), {"request": name})
        assert isinstance(request, OtherRequest)
        return Decoded("fitshow_request", f"request {request.frame}")

    def _fitshow_reply(self, data: bytes, transport: fs.Transport) -> Decoded:
        reply = decode_reply(data)
        if isinstance(reply, InclineInfo):
            self._learn(data)
        units = self._units(transport)
        fields: dict[str, Any]
        if isinstance(reply, StatusReply):
            return _status(reply, units)
        if isinstance(reply, SpeedInfo):
            r = reply.range(units)
            kmh = [units.speed_kmh(reply.minimum), units.speed_kmh(reply.maximum)]
            fields = {"speed_range_kmh": [*kmh, units.speed_kmh(r.step)]}
            return Decoded("speed_range", f"speed range {r}", fields)
        if isinstance(reply, InclineInfo):
            r = reply.range(units)
            fields = {"incline_range_pct": [r.lowest, r.highest, r.value(r.step)]}
            if reply.speed_unit is not None:
                fields["speed_unit"] = str(reply.speed_unit)
                fields["pause_supported"] = reply.pause_supported
            return Decoded("incline_range", f"incline range {r}, speeds in {units.speed}", fields)
        if isinstance(reply, ModelInfo):
            fields = {"brand": reply.brand, "model_code": reply.model}
            return Decoded(
                "fitshow_model", f"brand {reply.brand:#06x}, model {reply.model:#06x}", fields
            )
        if isinstance(reply, Unsupported):
            what = _name(reply.sub, fs.Info if reply.command == fs.Command.SYS_INFO else fs.Data)
            text = f"no {what} (asked, echoed without data)"
            return Decoded("fitshow_unsupported", text, {"unsupported": what})
        if isinstance(reply, ReadyAck):
            return Decoded(
                "fitshow_ready_ack",
                f"READY taken: {reply.countdown_s} s countdown",
                {"countdown_s": reply.countdown_s},
            )
        if isinstance(reply, TargetAck):
            fields = _targets(reply.speed_kmh(units), reply.incline_pct(units))
            return Decoded("fitshow_target_ack", f"target taken: {_values(fields)}", fields)
        if isinstance(reply, ControlAck):
            name = _name(reply.control, fs.Control)
            return Decoded("fitshow_control_ack", f"{name} echoed".upper(), {"echo": name})
        assert isinstance(reply, OtherReply)
        return Decoded("fitshow_reply", f"reply {reply.frame}")


def _status(reply: StatusReply, units: Units) -> Decoded:
    state = reply.state
    fields, text = telemetry(reply.values(units))
    fields = {"belt_state": str(state), **fields}
    if reply.countdown_s is not None:
        fields["countdown_s"] = reply.countdown_s
        text = f"{reply.countdown_s} s"
    elif reply.detail is not None:
        fields["code"] = reply.detail
        text = f"code {reply.detail}"
    elif reply.workout is None:
        text = ""
    return Decoded("fitshow_status", f"status {state}" + (f": {text}" if text else ""), fields)


def _control_request(data: bytes) -> Decoded:
    request = ControlRequest.decode(data)
    op = _name(request.op, OpCode)
    fields: dict[str, Any] = {"request": op}
    text = f"control point: {op}"
    layout = CONTROL_PARAMETERS.get(OpCode(request.op)) if isinstance(op, str) else None
    if layout is not None:
        text += _parameter(fields, layout.name, request.value)
    text += _extra(fields, request.extra)
    return Decoded("control_request", text, fields)


def _parameter(fields: dict[str, Any], key: str, value: float | None) -> str:
    """Adds a control or status parameter to `fields` (a stop or pause by name); its words."""
    if value is None:
        return ""
    shown = _name(int(value), StopPause) if key == "stop_pause" else value
    fields[key] = shown
    return f" {shown}"


def _extra(fields: dict[str, Any], extra: bytes) -> str:
    """Adds the bytes past a frame's known fields to `fields`; the words for them."""
    if not extra:
        return ""
    fields["extra"] = extra.hex(" ")
    return f" (+{len(extra)} byte(s) past its fields: {fields['extra']})"


def _targets(speed_kmh: float | None, incline_pct: float | None) -> dict[str, Any]:
    """The targets a FitShow TARGET (or its answer) carries, the ones it carries."""
    values = {"target_speed_kmh": speed_kmh, "target_incline_pct": incline_pct}
    return {key: value for key, value in values.items() if value is not None}


def _only(op: Op, ops: tuple[Op, ...], what: str) -> None:
    if op not in ops:
        raise Undecodable(f"a {op} of {what}: treadlink decodes only its {' and '.join(ops)}")


def _values(fields: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.removeprefix('target_')} {v}" for k, v in fields.items()) or "nothing"
