"""A bleak backend over a bumble central, so `--sim` runs the production bleak code path.

    client = BleakClient(ble_device, backend=BleakClientBumble)
    scanner = BleakScanner(backend=BleakScannerBumble, bumble_device=central)

The bumble central `Device` travels in `BLEDevice.details` (see `bumble_ble_device`): bleak's
own backends never look there, and a details object without a "path" key keeps helpers such as
bleak-retry-connector away from BlueZ.
"""

from treadlink.ble.bumble.client import BleakClientBumble, BumbleDetails, bumble_ble_device
from treadlink.ble.bumble.scanner import BleakScannerBumble

__all__ = ["BleakClientBumble", "BleakScannerBumble", "BumbleDetails", "bumble_ble_device"]
