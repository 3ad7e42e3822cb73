"""What a recorded unit serves as it was recorded: its GATT table, its static values, and its
FitShow INFO replies (a profile's `gatt` and `fitshow_info`, filled by `treadlink-sim --replay`).

The protocol servers still build their own services, for they notify and answer on them; the
recorded table then decides what is served around them:

* a service the recording lacks is not served (the Device Information a unit does not have);
* in a recorded service, a read-only characteristic with a fixed value (features, ranges, Device
  Information) is served with the recorded value, or not at all when the recording lacks it;
* recorded characteristics and services no server builds (vendor ones, FitShow's unused FFF3)
  are served too, inert: their recorded value if it was read, writes kept and never answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

from bumble.core import UUID
from bumble.gatt import Characteristic, Service
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from treadlink.ble.trace.format import (
    INFO_NAMES,
    NOT_A_UUID,
    PROPERTIES,
    normal_uuid,
    short_uuid,
)
from treadlink.fitshow.frames import Frame
from treadlink.fitshow.protocol import Command, Info
from treadlink.fitshow.replies import OtherReply

if TYPE_CHECKING:
    from treadlink_sim.profile import MachineProfile

_P = Characteristic.Properties
# bumble serves its own GAP and GATT services on every device.
_GENERIC: Final = frozenset({"1800", "1801"})
_PROPERTY: Final = {
    "broadcast": _P.BROADCAST,
    "read": _P.READ,
    "write-without-response": _P.WRITE_WITHOUT_RESPONSE,
    "write": _P.WRITE,
    "notify": _P.NOTIFY,
    "indicate": _P.INDICATE,
    "authenticated-signed-writes": _P.AUTHENTICATED_SIGNED_WRITES,
    "extended-properties": _P.EXTENDED_PROPERTIES,
}


def _uuid(value: str) -> str:
    uuid = normal_uuid(value)
    if uuid is None:
        raise ValueError(f"{value!r} {NOT_A_UUID}")
    return uuid


def _hex(value: str) -> str:
    try:
        return bytes.fromhex(value).hex(" ")
    except ValueError:
        raise ValueError(f"{value!r} is not bytes in hex, like '84 24 00'") from None


Uuid = Annotated[str, AfterValidator(_uuid)]
Hex = Annotated[str, AfterValidator(_hex)]


class RecordedCharacteristic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    uuid: Uuid
    properties: list[str] = Field(default_factory=list)
    value: Hex | None = Field(default=None, description="the value read, in hex")

    @field_validator("properties")
    @classmethod
    def _properties(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PROPERTIES]
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not characteristic properties")
        return value


class RecordedService(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    uuid: Uuid
    characteristics: list[RecordedCharacteristic] = Field(default_factory=list)


def check_info_replies(replies: dict[str, str]) -> dict[str, str]:
    """Each recorded INFO reply is a FitShow frame answering the INFO it is filed under."""
    for name, raw in replies.items():
        if name not in INFO_NAMES:
            raise ValueError(f"{name!r} is not a FitShow INFO ({', '.join(INFO_NAMES)})")
        frame = Frame.decode(bytes.fromhex(_hex(raw)))  # MalformedFrame is a ValueError
        if frame.command != Command.SYS_INFO or frame.sub != INFO_NAMES[name]:
            raise ValueError(f"{name}: {frame} is not a reply to INFO {name}")
    return replies


def info_reply(profile: MachineProfile, info: Info | int) -> OtherReply | None:
    """The INFO reply the recorded unit gave, to be answered as it was; None if none was."""
    name = Info(info).name.lower() if info in Info._value2member_map_ else None
    raw = profile.fitshow_info.get(name) if name is not None else None
    return None if raw is None else OtherReply(Frame.decode(bytes.fromhex(raw)))


def served(profile: MachineProfile, built: list[Service]) -> list[Service]:
    """The services to serve: `built` as the recorded table has it (see the module's doc)."""
    if not profile.gatt:
        return built
    recorded = {s.uuid: s for s in profile.gatt}
    services = [
        _merged(service, recorded.pop(uuid))
        for service in built
        if (uuid := _short(service.uuid)) in recorded
    ]
    return services + [_service(s) for uuid, s in recorded.items() if uuid not in _GENERIC]


def _merged(service: Service, recorded: RecordedService) -> Service:
    wanted = {c.uuid: c for c in recorded.characteristics}
    characteristics: list[Characteristic[bytes]] = []
    for c in service.characteristics:
        r = wanted.pop(_short(c.uuid), None)
        fixed = c.properties == _P.READ and isinstance(c.value, bytes)
        if not fixed:
            characteristics.append(c)  # the server's own: it notifies, answers or computes it
        elif r is not None:
            if r.value is not None:
                c.value = bytes.fromhex(r.value)
            characteristics.append(c)
    characteristics += [_characteristic(r) for r in wanted.values()]
    return Service(service.uuid, characteristics, primary=service.primary)


def _service(recorded: RecordedService) -> Service:
    return Service(
        _bumble_uuid(recorded.uuid), [_characteristic(c) for c in recorded.characteristics]
    )


def _characteristic(recorded: RecordedCharacteristic) -> Characteristic[bytes]:
    properties = _P(0)
    for name in recorded.properties:
        properties |= _PROPERTY.get(name, _P(0))
    permissions = Characteristic.Permissions(0)
    if properties & _P.READ:
        permissions |= Characteristic.READABLE
    if properties & (_P.WRITE | _P.WRITE_WITHOUT_RESPONSE):
        permissions |= Characteristic.WRITEABLE
    value = bytes.fromhex(recorded.value) if recorded.value is not None else b""
    return Characteristic(_bumble_uuid(recorded.uuid), properties, permissions, value)


def _short(uuid: UUID) -> str:
    if len(uuid.to_bytes()) == 2:
        return uuid.to_hex_str().lower()
    return short_uuid(str(uuid))


def _bumble_uuid(uuid: str) -> UUID:
    return UUID.from_16_bits(int(uuid, 16)) if len(uuid) == 4 else UUID(uuid)
