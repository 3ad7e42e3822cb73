"""`NativeRadio`: real treadmills through the operating system's Bluetooth, bleak's own backend.

When the computer's Bluetooth cannot be used at all (no BlueZ D-Bus system bus, no adapter, adapter
powered off, no permission), bleak and dbus_fast fail with low-level errors (a FileNotFoundError
from a socket, a D-Bus error name). `NativeRadio` turns those into one `BluetoothUnavailable` whose
message says what is missing and how to fix it; the commands print it and exit with status 1.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import AsyncIterator
from typing import Final

from bleak.backends.device import BLEDevice
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakError,
)

from treadlink.ble.radio import (
    DEFAULT_SCAN_TIMEOUT,
    Radio,
    RadioUnavailable,
    Sighting,
    TreadmillNotFound,
)

# dbus_fast's default when $DBUS_SYSTEM_BUS_ADDRESS is not set (the D-Bus specification's).
DEFAULT_SYSTEM_BUS: Final = "unix:path=/var/run/dbus/system_bus_socket"
OR_SIM: Final = "or use --sim for the simulated treadmill"

_PERMISSION_ERRORS: Final = frozenset(
    {
        "org.freedesktop.DBus.Error.AccessDenied",
        "org.freedesktop.DBus.Error.AuthFailed",
        "org.bluez.Error.NotPermitted",
        "org.bluez.Error.NotAuthorized",
    }
)
_NO_BLUEZ_ERRORS: Final = frozenset(
    {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"}
)
_POWERED_OFF_ERRORS: Final = frozenset({"org.bluez.Error.NotReady"})


class BluetoothUnavailable(RadioUnavailable):
    """The computer's Bluetooth cannot be used; the message says what is missing and what to do."""


def system_bus_path() -> str:
    """Where D-Bus's system bus socket is expected (for messages; dbus_fast does the connecting)."""
    address = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS
    transport, _, options = address.split(";")[0].partition(":")
    if transport == "unix":
        for option in options.split(","):
            key, _, value = option.partition("=")
            if key in ("path", "abstract"):
                return value
    return address


def explain(error: BaseException) -> BluetoothUnavailable | None:
    """What `error`, raised while opening the OS's Bluetooth, means for the runner; None when it
    is not about Bluetooth being unavailable (a treadmill not found, a bug): let it through."""
    if isinstance(error, BluetoothUnavailable):
        return error
    if isinstance(error, TreadmillNotFound):  # Bluetooth works: its own message says the rest
        return None
    message: str | None = None
    if isinstance(error, OSError):
        message = _explain_socket(error)
    elif isinstance(error, BleakBluetoothNotAvailableError):
        message = _explain_reason(error.reason, str(error.args[0]) if error.args else "")
    elif isinstance(error, BleakDBusError):
        message = _explain_dbus(error)
    elif _is_dbus_auth_error(error):
        message = _permission(f"the D-Bus system bus refused us ({error})")
    elif isinstance(error, BleakError) and "powered" in str(error).lower():
        message = _powered_off(str(error))
    return None if message is None else BluetoothUnavailable(message)


@contextlib.asynccontextmanager
async def bluetooth_in_use() -> AsyncIterator[None]:
    """Around anything that opens the OS's Bluetooth: raise `BluetoothUnavailable` for the
    failures `explain` knows, chained to the original for the log."""
    try:
        yield
    except Exception as error:
        unavailable = explain(error)
        if unavailable is None or unavailable is error:
            raise
        raise unavailable from error


class NativeRadio(Radio):
    """bleak picks the platform backend (BlueZ, CoreBluetooth, WinRT) itself."""

    async def scan(self, timeout: float = DEFAULT_SCAN_TIMEOUT) -> list[Sighting]:
        async with bluetooth_in_use():
            return await super().scan(timeout)

    async def find_treadmill(
        self, device: str | None = None, timeout: float = DEFAULT_SCAN_TIMEOUT
    ) -> BLEDevice:
        async with bluetooth_in_use():
            return await super().find_treadmill(device, timeout)


def _explain_socket(error: OSError) -> str | None:
    bus = system_bus_path()
    if error.errno == errno.ENOENT:
        return (
            f"no Bluetooth: the BlueZ D-Bus system bus is not running ({bus} not found). "
            f"Start dbus and bluetoothd (systemctl start bluetooth) and check the adapter, {OR_SIM}"
        )
    if error.errno in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EPIPE):
        return (
            f"no Bluetooth: the D-Bus system bus is not answering ({bus}: {error.strerror}). "
            f"Start dbus and bluetoothd (systemctl start bluetooth), {OR_SIM}"
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return _permission(f"{bus}: {error.strerror}")
    return None


def _explain_reason(reason: BleakBluetoothNotAvailableReason, said: str) -> str:
    why = BleakBluetoothNotAvailableReason
    if reason is why.NO_BLUETOOTH:
        return (
            "no Bluetooth adapter found. Plug in or enable one (bluetoothctl list; rfkill list), "
            f"{OR_SIM}"
        )
    if reason is why.NO_BLE_CENTRAL_ROLE:
        return (
            "the Bluetooth adapter cannot scan for Bluetooth LE devices (no 'central' role): "
            f"a Bluetooth 4.0 or later adapter is needed, {OR_SIM}"
        )
    if reason is why.POWERED_OFF:
        return _powered_off(said)
    if reason in (why.DENIED_BY_USER, why.DENIED_BY_SYSTEM, why.DENIED_BY_UNKNOWN):
        return _permission(said)
    return f"Bluetooth is not available: {said}. Check the adapter, {OR_SIM}"


def _explain_dbus(error: BleakDBusError) -> str | None:
    name = error.dbus_error
    if name in _PERMISSION_ERRORS:
        return _permission(f"BlueZ said {name}: {error.dbus_error_details or 'denied'}")
    if name in _NO_BLUEZ_ERRORS:
        return (
            "no Bluetooth: BlueZ (bluetoothd) is not running on the D-Bus system bus. "
            f"Start it (systemctl start bluetooth), {OR_SIM}"
        )
    if name in _POWERED_OFF_ERRORS:
        return _powered_off(f"BlueZ said {name}")
    return None


def _powered_off(said: str) -> str:
    return (
        f"the Bluetooth adapter is powered off ({said}). Turn it on "
        f"(bluetoothctl power on; rfkill unblock bluetooth), {OR_SIM}"
    )


def _permission(said: str) -> str:
    return (
        f"no permission to use Bluetooth ({said}). Run treadlink as a user BlueZ allows "
        f"(on most systems: in the 'bluetooth' group), {OR_SIM}"
    )


def _is_dbus_auth_error(error: BaseException) -> bool:
    # dbus_fast exists only where bleak uses BlueZ (Linux): import it only to recognise its error.
    try:
        from dbus_fast.errors import AuthError
    except ImportError:
        return False
    return isinstance(error, AuthError)
