"""A bleak backend over a bumble central, so `--sim` runs the production bleak code path.

    client = BleakClient(ble_device, backend=BleakClientBumble)
    scanner = BleakScanner(backend=BleakScannerBumble, bumble_centrals=radio)

Where the bumble central comes from (the radio, see `CentralSource`) travels in
`BLEDevice.details` (see `bumble_ble_device`): bleak's own backends never look there, and a details
object without a "path" key keeps helpers such as bleak-retry-connector away from BlueZ.
"""

from treadlink.ble.bumble.client import (
    BleakClientBumble,
    BumbleDetails,
    CentralSource,
    bumble_ble_device,
)
from treadlink.ble.bumble.scanner import BleakScannerBumble

__all__ = [
    "BleakClientBumble",
    "BleakScannerBumble",
    "BumbleDetails",
    "CentralSource",
    "bumble_ble_device",
]
