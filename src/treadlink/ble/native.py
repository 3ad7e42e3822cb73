"""`NativeRadio`: real treadmills through the operating system's Bluetooth, bleak's own backend."""

from __future__ import annotations

from treadlink.ble.radio import Radio


class NativeRadio(Radio):
    """bleak picks the platform backend (BlueZ, CoreBluetooth, WinRT) itself."""
