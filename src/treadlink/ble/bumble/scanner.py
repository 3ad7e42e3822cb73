"""`BleakScannerBumble`: bleak's scanner interface over a bumble central `Device`."""

from __future__ import annotations

from typing import Any, Literal, cast

from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_str
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Device

from treadlink.ble.bumble.client import BumbleDetails, CentralSource, bleak_uuid

_UUID_LISTS = (
    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)


class BleakScannerBumble(BaseBleakScanner):
    """Pass the radio as `bumble_centrals=` to `BleakScanner(backend=BleakScannerBumble, ...)`:
    each scan runs on the central alive when it starts."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None = None,
        service_uuids: list[str] | None = None,
        scanning_mode: Literal["active", "passive"] = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            detection_callback,
            [normalize_uuid_str(u) for u in service_uuids] if service_uuids else None,
        )
        centrals = kwargs.get("bumble_centrals")
        if centrals is None or not hasattr(centrals, "live_central"):
            raise BleakError("BleakScannerBumble needs bumble_centrals=<BumbleRadio>")
        self._centrals: CentralSource = centrals
        self._central: Device | None = None
        self._active = scanning_mode == "active"

    async def start(self) -> None:
        self.seen_devices = {}
        central = self._central = await self._centrals.live_central()
        central.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await central.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self) -> None:
        central, self._central = self._central, None
        if central is None:
            return
        await central.stop_scanning()
        central.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        data: AdvertisingData = advertisement.data
        uuids = [
            bleak_uuid(u)
            for kind in _UUID_LISTS
            for lst in data.get_all(kind)
            for u in cast(list[UUID], lst)
        ]
        if not self.is_allowed_uuid(uuids):
            return
        name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(
            AdvertisingData.SHORTENED_LOCAL_NAME
        )
        service_data = {
            bleak_uuid(u): bytes(v)
            for kind in (
                AdvertisingData.SERVICE_DATA_16_BIT_UUID,
                AdvertisingData.SERVICE_DATA_128_BIT_UUID,
            )
            for u, v in data.get_all(kind)
        }
        advertisement_data = AdvertisementData(
            local_name=name,
            manufacturer_data={
                company: bytes(v)
                for company, v in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA)
            },
            service_data=service_data,
            service_uuids=uuids,
            tx_power=data.get(AdvertisingData.TX_POWER_LEVEL),
            rssi=advertisement.rssi,
            platform_data=(advertisement,),
        )
        # bumble prints the address type after a slash; bleak wants the bare address.
        address = str(advertisement.address).split("/")[0]
        device = self.create_or_update_device(
            address, address, name, BumbleDetails(self._centrals), advertisement_data
        )
        self.call_detection_callbacks(device, advertisement_data)
