"""`Radio`: how the bridge reaches treadmills. One interface, two backends:

* `NativeRadio` (treadlink.ble.native): the OS's Bluetooth through bleak's own backend;
* `BumbleRadio` (treadlink.ble.bumble.radio): a bumble central on a virtual or USB controller,
  used for the simulator.

Everything above this layer sees a `BLEDevice` and a bleak client backend, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from bleak import BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from treadlink.ble.protocols import fitshow_name
from treadlink.ftms.layouts import decode_service_data
from treadlink.ftms.protocol import FITNESS_MACHINE_SERVICE, MachineType, uuid16
from treadlink.treadmill.errors import MalformedFrame

FTMS_UUID = uuid16(FITNESS_MACHINE_SERVICE)
DEFAULT_SCAN_TIMEOUT = 5.0


class TreadmillNotFound(BleakError):
    pass


class RadioUnavailable(BleakError):
    """The radio cannot be used at all; the message says what is missing and what to do.
    `bad_input`: the user named something that cannot work (a malformed transport spec)."""

    def __init__(self, message: str, *, bad_input: bool = False) -> None:
        super().__init__(message)
        self.bad_input = bad_input


@dataclass(frozen=True, slots=True)
class Sighting:
    """A device heard while scanning, and what its advertisement says it is."""

    device: BLEDevice
    name: str | None
    rssi: int
    ftms: bool  # advertises the Fitness Machine Service
    treadmill: bool  # FTMS service data says "treadmill" (or no service data to say otherwise)
    fitshow: bool  # no FTMS, and a FitShow console's name (FS-…, NOBLEPRO CONNECT…)

    @property
    def drivable(self) -> bool:
        """A treadmill treadlink can drive: FTMS (a treadmill, or no service data to say
        otherwise), or a FitShow console."""
        return (self.ftms and self.treadmill) or self.fitshow

    @property
    def protocol(self) -> str | None:
        """The protocol the advertisement points to, and why, for `scan`."""
        if self.ftms:
            return "FTMS treadmill (it advertises the Fitness Machine Service, 0x1826)"
        if self.fitshow:
            return f"FitShow treadmill (its name {self.name!r} is a FitShow console's)"
        return None

    @classmethod
    def from_advertisement(cls, device: BLEDevice, adv: AdvertisementData) -> Sighting:
        ftms = FTMS_UUID in adv.service_uuids or FTMS_UUID in adv.service_data
        treadmill = ftms
        if FTMS_UUID in adv.service_data:
            with contextlib.suppress(MalformedFrame):
                _, types = decode_service_data(adv.service_data[FTMS_UUID])
                treadmill = bool(types & MachineType.TREADMILL)
        name = adv.local_name or device.name
        return cls(device, name, adv.rssi, ftms, treadmill, not ftms and fitshow_name(name))


class Radio:
    """A way to reach treadmills. Use as an async context manager.

    Subclasses name their bleak backends and, when they need set-up, override open/close.
    """

    client_backend: type[BaseBleakClient] | None = None
    scanner_backend: type[BaseBleakScanner] | None = None

    def scanner_kwargs(self) -> dict[str, Any]:
        return {}

    @property
    def known_address(self) -> str | None:
        """The one treadmill's address when the radio knows it without a scan."""
        return None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def scan(self, timeout: float = DEFAULT_SCAN_TIMEOUT) -> list[Sighting]:
        """Every device heard within `timeout`, treadmills first."""
        seen: dict[str, Sighting] = {}

        def heard(device: BLEDevice, adv: AdvertisementData) -> None:
            seen[device.address] = Sighting.from_advertisement(device, adv)

        async with BleakScanner(heard, backend=self.scanner_backend, **self.scanner_kwargs()):
            await asyncio.sleep(timeout)
        return sorted(seen.values(), key=lambda s: (not s.treadmill, not s.ftms, -s.rssi))

    async def find_treadmill(
        self, device: str | None = None, timeout: float = DEFAULT_SCAN_TIMEOUT
    ) -> BLEDevice:
        """The first FTMS treadmill heard, as soon as it is heard; or, with `device`, the one
        with that address or whose advertised name contains it (case ignored)."""
        found: asyncio.Future[BLEDevice] = asyncio.get_running_loop().create_future()
        others: dict[str, Sighting] = {}

        wanted = device.casefold() if device else None

        def heard(heard_device: BLEDevice, adv: AdvertisementData) -> None:
            sighting = Sighting.from_advertisement(heard_device, adv)
            if wanted is None:
                match = sighting.drivable
            else:
                name = (sighting.name or "").casefold()
                match = heard_device.address.casefold() == wanted or wanted in name
            if match and not found.done():
                found.set_result(heard_device)
            elif not match:
                others[heard_device.address] = sighting

        async with BleakScanner(heard, backend=self.scanner_backend, **self.scanner_kwargs()):
            try:
                async with asyncio.timeout(timeout):
                    return await found
            except TimeoutError:
                raise TreadmillNotFound(_not_found_message(device, timeout, others)) from None


def _not_found_message(device: str | None, timeout: float, others: dict[str, Sighting]) -> str:
    what = f"device {device!r}" if device else "treadmill (FTMS, or a FitShow console)"
    message = f"no {what} heard within {timeout:g} s."
    heard = [s.name or s.device.address for s in others.values()]
    if heard and device:
        message += f" Heard {', '.join(sorted(heard))}."
    return message + " Is the treadmill on, and not connected to another app?"
