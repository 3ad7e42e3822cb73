"""The Running Speed and Cadence service (0x1814) some treadmills add: a sensor, not a control.

NoblePro's units carry it beside FitShow (E8i, QZ #2073) or FTMS (E10i, QZ #2205); QZ reads the
cadence from byte 3 of RSC Measurement (0x2A53). Notified at the telemetry rate, true values:
RSC has units of its own (1/256 m/s, steps a minute), no console unit to mislabel.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, ClassVar, Final

from bumble.core import UUID
from bumble.gatt import Characteristic, Service

from treadlink_sim.faults import Fault
from treadlink_sim.physics import CADENCE_BASE_SPM, CADENCE_PER_KMH, KMH_TO_MS
from treadlink_sim.servers import ProtocolServer

if TYPE_CHECKING:
    from treadlink_sim.treadmill import TreadmillSimulator

RSC_SERVICE: Final = 0x1814
RSC_MEASUREMENT: Final = 0x2A53
RSC_FEATURE: Final = 0x2A54
_P = Characteristic.Properties
# Measurement flags: bit 1 total distance present, bit 2 running (else walking).
_TOTAL_DISTANCE: Final = 0x02
_RUNNING: Final = 0x04
RUNNING_FROM_KMH: Final = 7.0  # where the simulated runner stops walking
# Feature: bit 1 total distance measurement, bit 2 walking or running status.
FEATURES: Final = 0x0006


def measurement(speed_kmh: float, distance_m: float) -> bytes:
    """RSC Measurement: flags, speed (1/256 m/s), cadence (1/min), total distance (0.1 m)."""
    cadence = round(CADENCE_BASE_SPM + CADENCE_PER_KMH * speed_kmh) if speed_kmh > 0 else 0
    flags = _TOTAL_DISTANCE | (_RUNNING if speed_kmh >= RUNNING_FROM_KMH else 0)
    speed = min(round(speed_kmh * KMH_TO_MS * 256), 0xFFFF)
    distance = min(round(distance_m * 10), 0xFFFF_FFFF)
    return struct.pack("<BHBI", flags, speed, min(cadence, 0xFF), distance)


class RscServer(ProtocolServer):
    protocol = "RSC"
    controls: ClassVar[bool] = False

    def __init__(self, machine: TreadmillSimulator) -> None:
        super().__init__(machine)
        self._measurement = Characteristic(
            UUID.from_16_bits(RSC_MEASUREMENT), _P.NOTIFY, Characteristic.Permissions(0), b""
        )
        feature = Characteristic(
            UUID.from_16_bits(RSC_FEATURE),
            _P.READ,
            Characteristic.READABLE,
            struct.pack("<H", FEATURES),
        )
        self._service = Service(UUID.from_16_bits(RSC_SERVICE), [self._measurement, feature])

    def services(self) -> list[Service]:
        return [self._service]

    def advertised_uuids(self) -> list[UUID]:
        return [UUID.from_16_bits(RSC_SERVICE)]

    async def on_tick(self) -> None:
        machine = self.machine
        if Fault.TELEMETRY_SILENT in machine.fault_state:
            return
        value = measurement(machine.belt_speed_kmh, machine.console.counters().distance_m)
        await machine.notify(self._measurement, value)
