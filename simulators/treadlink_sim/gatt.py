"""The FTMS and Device Information GATT services and the advertisement of one profile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bumble.core import UUID, AdvertisingData
from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service
from bumble.profiles.device_information_service import DeviceInformationService

from treadlink.ftms.layouts import Features, encode_range, encode_service_data
from treadlink.ftms.protocol import (
    FITNESS_MACHINE_SERVICE,
    MachineFeature,
    MachineType,
    TargetSettingFeature,
)
from treadlink.ftms.protocol import Characteristic as Char
from treadlink_sim.profile import MachineProfile

FTMS_UUID = UUID.from_16_bits(FITNESS_MACHINE_SERVICE, "Fitness Machine")

ControlPointWrite = Callable[[Connection, bytes], None]
Reader = Callable[[Connection], bytes]

_P = Characteristic.Properties
_ADVERTISEMENT = 31  # bytes of legacy advertising data


def features(profile: MachineProfile) -> Features:
    machine = MachineFeature(0)
    if profile.total_distance:
        machine |= MachineFeature.TOTAL_DISTANCE
    if profile.elapsed_time:
        machine |= MachineFeature.ELAPSED_TIME
    targets = TargetSettingFeature.SPEED_TARGET_SETTING
    if profile.incline:
        machine |= MachineFeature.INCLINATION
        targets |= TargetSettingFeature.INCLINATION_TARGET_SETTING
    if profile.heart_rate:
        machine |= MachineFeature.HEART_RATE_MEASUREMENT
    if profile.step_count:
        machine |= MachineFeature.STEP_COUNT
    if profile.energy:
        machine |= MachineFeature.EXPENDED_ENERGY
    return Features(machine, targets)


def _uuid(number: int) -> UUID:
    return UUID.from_16_bits(number)


def _readable(number: int, value: bytes) -> Characteristic[bytes]:
    return Characteristic(_uuid(number), _P.READ, Characteristic.READABLE, value)


def _notifying(number: int) -> Characteristic[bytes]:
    # Notify-only characteristics carry no readable value; the CCCD is all a client touches.
    return Characteristic(_uuid(number), _P.NOTIFY, Characteristic.Permissions(0), b"")


@dataclass(frozen=True, slots=True)
class FtmsCharacteristics:
    """The server-side characteristics the simulator notifies or indicates on."""

    treadmill_data: Characteristic[bytes]
    training_status: Characteristic[bytes]
    control_point: Characteristic[bytes]
    machine_status: Characteristic[bytes]


def build_ftms(
    profile: MachineProfile, on_control_point: ControlPointWrite, read_training_status: Reader
) -> tuple[Service, FtmsCharacteristics]:
    chars = FtmsCharacteristics(
        treadmill_data=_notifying(Char.TREADMILL_DATA),
        training_status=Characteristic(
            _uuid(Char.TRAINING_STATUS),
            _P.READ | _P.NOTIFY,
            Characteristic.READABLE,
            CharacteristicValue(read=read_training_status),
        ),
        control_point=Characteristic(
            _uuid(Char.FITNESS_MACHINE_CONTROL_POINT),
            _P.WRITE | _P.INDICATE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=on_control_point),
        ),
        machine_status=_notifying(Char.FITNESS_MACHINE_STATUS),
    )
    inclines = encode_range(profile.incline_range())
    ftms = Service(
        FTMS_UUID,
        [
            _readable(Char.FITNESS_MACHINE_FEATURE, features(profile).encode()),
            chars.treadmill_data,
            chars.training_status,
            _readable(Char.SUPPORTED_SPEED_RANGE, encode_range(profile.speed_range())),
            *([_readable(Char.SUPPORTED_INCLINATION_RANGE, inclines)] if profile.incline else []),
            chars.control_point,
            chars.machine_status,
        ],
    )
    return ftms, chars


def device_information(profile: MachineProfile) -> Service:
    return DeviceInformationService(
        manufacturer_name=profile.manufacturer,
        model_number=profile.model,
        serial_number=profile.serial,
        hardware_revision=profile.hardware_revision,
        firmware_revision=profile.firmware_revision,
        software_revision=profile.software_revision,
    )


def advertising_data(profile: MachineProfile, available: bool = True) -> bytes:
    """Flags, the services it speaks (FTMS, FitShow's, RSC), FTMS service data (available,
    treadmill) when it speaks FTMS and there is room, and the local name."""
    uuids = b"".join(bytes(_uuid(number)) for number in profile.advertised_services())
    structures = [
        (AdvertisingData.FLAGS, bytes([0x06])),  # LE general discoverable, no BR/EDR
        (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, uuids),
        (AdvertisingData.COMPLETE_LOCAL_NAME, profile.local_name.encode()),
    ]
    if profile.ftms:
        service_data = bytes(FTMS_UUID) + encode_service_data(MachineType.TREADMILL, available)
        if len(_encoded(structures)) + 2 + len(service_data) <= _ADVERTISEMENT:
            structures.insert(2, (AdvertisingData.SERVICE_DATA_16_BIT_UUID, service_data))
    return _encoded(structures)


def _encoded(structures: Sequence[tuple[int, bytes]]) -> bytes:
    return bytes(AdvertisingData(structures))
