"""Set-speed round trip (write → response indication) through our link and through pyftms's own
client, against the same simulator in the same run."""

from __future__ import annotations

import time
from typing import Any

import pyftms
from pyftms import MachineType, ResultCode

from benchmarks.pyftms_baseline import backend_forwarded
from benchmarks.stats import summary
from treadlink.ble.bumble.radio import simulated_link

# Whole km/h only: pyftms truncates on encoding, so 8.2 would go out as 8.19 and be refused.
SPEEDS = [float(v) for v in range(5, 13)]


async def measure(n: int = 300, warmup: int = 20) -> dict[str, Any]:
    async with simulated_link() as link:
        commands = link.treadmill.take_control(lambda _event: None)  # no guard: the wire alone
        await commands.request_control()
        ours: list[float] = []
        for i in range(warmup + n):
            t0 = time.perf_counter()
            await commands.set_speed(SPEEDS[i % len(SPEEDS)])
            if i >= warmup:
                ours.append((time.perf_counter() - t0) * 1000)
        await link.link.disconnect()

        theirs: list[float] = []
        with backend_forwarded():
            client = pyftms.get_client(
                link.link.device, MachineType.TREADMILL, backend=link.radio.client_backend
            )
            async with client:
                for i in range(warmup + n):
                    t0 = time.perf_counter()
                    result = await client.set_target_speed(SPEEDS[i % len(SPEEDS)])
                    if i >= warmup:
                        theirs.append((time.perf_counter() - t0) * 1000)
                    if result != ResultCode.SUCCESS:
                        raise RuntimeError(f"pyftms set_target_speed: {result!r}")
    return {"treadlink_ms": summary(ours), "pyftms_ms": summary(theirs)}
