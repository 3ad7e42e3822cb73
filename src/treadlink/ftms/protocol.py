"""Fitness Machine Service (FTMS v1.0) names and numbers, as the specification gives them.

Only what a treadmill uses. Byte layouts live in :mod:`treadlink.ftms.layouts`.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

FITNESS_MACHINE_SERVICE = 0x1826
DEVICE_INFORMATION_SERVICE = 0x180A


class Characteristic(IntEnum):
    """FTMS and Device Information characteristics (16-bit assigned numbers)."""

    FITNESS_MACHINE_FEATURE = 0x2ACC
    TREADMILL_DATA = 0x2ACD
    TRAINING_STATUS = 0x2AD3
    SUPPORTED_SPEED_RANGE = 0x2AD4
    SUPPORTED_INCLINATION_RANGE = 0x2AD5
    FITNESS_MACHINE_CONTROL_POINT = 0x2AD9
    FITNESS_MACHINE_STATUS = 0x2ADA
    # Device Information Service
    MODEL_NUMBER = 0x2A24
    SERIAL_NUMBER = 0x2A25
    FIRMWARE_REVISION = 0x2A26
    HARDWARE_REVISION = 0x2A27
    SOFTWARE_REVISION = 0x2A28
    MANUFACTURER_NAME = 0x2A29


# Device Information strings, by the name `treadlink.treadmill.base.DeviceInfo` gives each.
DEVICE_INFORMATION_FIELDS: dict[str, Characteristic] = {
    "manufacturer": Characteristic.MANUFACTURER_NAME,
    "model": Characteristic.MODEL_NUMBER,
    "serial": Characteristic.SERIAL_NUMBER,
    "hardware_revision": Characteristic.HARDWARE_REVISION,
    "firmware_revision": Characteristic.FIRMWARE_REVISION,
    "software_revision": Characteristic.SOFTWARE_REVISION,
}


def uuid16(number: int) -> str:
    """The 128-bit UUID string bleak uses for a 16-bit assigned number."""
    return f"0000{number:04x}-0000-1000-8000-00805f9b34fb"


class OpCode(IntEnum):
    """Fitness Machine Control Point op codes (FTMS 4.16.1, table 4.15)."""

    REQUEST_CONTROL = 0x00
    RESET = 0x01
    SET_TARGET_SPEED = 0x02
    SET_TARGET_INCLINATION = 0x03
    START_OR_RESUME = 0x07
    STOP_OR_PAUSE = 0x08
    RESPONSE_CODE = 0x80


class ResultCode(IntEnum):
    """Result codes of a control-point response indication (FTMS table 4.24)."""

    SUCCESS = 0x01
    OP_CODE_NOT_SUPPORTED = 0x02
    INVALID_PARAMETER = 0x03
    OPERATION_FAILED = 0x04
    CONTROL_NOT_PERMITTED = 0x05


class StopPause(IntEnum):
    """Parameter of Stop or Pause, and of the matching machine status."""

    STOP = 0x01
    PAUSE = 0x02


class MachineStatusOp(IntEnum):
    """Fitness Machine Status op codes (FTMS table 4.26)."""

    RESET = 0x01
    STOPPED_OR_PAUSED_BY_USER = 0x02
    STOPPED_BY_SAFETY_KEY = 0x03
    STARTED_OR_RESUMED_BY_USER = 0x04
    TARGET_SPEED_CHANGED = 0x05
    TARGET_INCLINE_CHANGED = 0x06
    CONTROL_PERMISSION_LOST = 0xFF


class TrainingStatus(IntEnum):
    """Training Status field values (FTMS 4.10.1.2)."""

    OTHER = 0x00
    IDLE = 0x01
    WARMING_UP = 0x02
    LOW_INTENSITY_INTERVAL = 0x03
    HIGH_INTENSITY_INTERVAL = 0x04
    RECOVERY_INTERVAL = 0x05
    ISOMETRIC = 0x06
    HEART_RATE_CONTROL = 0x07
    FITNESS_TEST = 0x08
    SPEED_OUTSIDE_CONTROL_REGION_LOW = 0x09
    SPEED_OUTSIDE_CONTROL_REGION_HIGH = 0x0A
    COOL_DOWN = 0x0B
    WATT_CONTROL = 0x0C
    MANUAL_MODE = 0x0D
    PRE_WORKOUT = 0x0E
    POST_WORKOUT = 0x0F


class MachineFeature(IntFlag):
    """Fitness Machine Features field (FTMS 4.3.1.1), the first uint32 of 0x2ACC."""

    AVERAGE_SPEED = 1 << 0
    CADENCE = 1 << 1
    TOTAL_DISTANCE = 1 << 2
    INCLINATION = 1 << 3
    ELEVATION_GAIN = 1 << 4
    PACE = 1 << 5
    STEP_COUNT = 1 << 6
    RESISTANCE_LEVEL = 1 << 7
    STRIDE_COUNT = 1 << 8
    EXPENDED_ENERGY = 1 << 9
    HEART_RATE_MEASUREMENT = 1 << 10
    METABOLIC_EQUIVALENT = 1 << 11
    ELAPSED_TIME = 1 << 12
    REMAINING_TIME = 1 << 13
    POWER_MEASUREMENT = 1 << 14
    FORCE_ON_BELT_AND_POWER_OUTPUT = 1 << 15
    USER_DATA_RETENTION = 1 << 16


class TargetSettingFeature(IntFlag):
    """Target Setting Features field (FTMS 4.3.1.2), the second uint32 of 0x2ACC."""

    SPEED_TARGET_SETTING = 1 << 0
    INCLINATION_TARGET_SETTING = 1 << 1
    RESISTANCE_TARGET_SETTING = 1 << 2
    POWER_TARGET_SETTING = 1 << 3
    HEART_RATE_TARGET_SETTING = 1 << 4
    TARGETED_EXPENDED_ENERGY = 1 << 5
    TARGETED_STEP_NUMBER = 1 << 6
    TARGETED_STRIDE_NUMBER = 1 << 7
    TARGETED_DISTANCE = 1 << 8
    TARGETED_TRAINING_TIME = 1 << 9


class MachineType(IntFlag):
    """Fitness Machine Type field of the FTMS advertisement service data (FTMS 3.1.1)."""

    TREADMILL = 1 << 0
    CROSS_TRAINER = 1 << 1
    STEP_CLIMBER = 1 << 2
    STAIR_CLIMBER = 1 << 3
    ROWER = 1 << 4
    INDOOR_BIKE = 1 << 5


# ATT error a server returns for a control-point write while a procedure is still in progress.
ATT_PROCEDURE_ALREADY_IN_PROGRESS = 0xFE
# ATT error for a control-point write when the client has not enabled indications.
ATT_CCCD_IMPROPERLY_CONFIGURED = 0xFD
