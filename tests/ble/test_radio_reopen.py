"""The radio reopens a lost transport (docs/decisions/0010): closed while a reopen is under way,
it leaves no central behind. Against `treadlink-sim` as its own process."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.support.sim_process import simulator
from treadlink.ble.bumble.radio import BumbleRadio

pytestmark = pytest.mark.slow


async def test_closing_the_radio_during_a_reopen_leaves_no_central_behind() -> None:
    """A close while a reopen is under way leaves no central powered on over a new transport that
    nobody would close: the simulator (one bridge per treadmill) takes the next bridge."""
    quick = ("--telemetry-hz", "10")
    async with asyncio.timeout(60), simulator(*quick) as first:
        radio = BumbleRadio(first.spec)
        await radio.__aenter__()
        try:
            transport = radio._transport
            assert transport is not None
            await first.kill()
            await transport.source.terminated  # bumble has seen the transport lost
            async with simulator(*quick, port=first.port) as second:
                reopen = asyncio.get_running_loop().create_task(radio.live_central())
                await asyncio.sleep(0)  # the reopen has begun: the dead central is let go
                assert radio._reopening.locked()
                await radio.close()
                with contextlib.suppress(Exception):  # refusing is fine: the radio is closed
                    await reopen
                leaked = radio._central
                try:
                    async with BumbleRadio(second.spec):
                        pass
                except Exception as e:
                    raise AssertionError(
                        f"after close() a central is still connected ({leaked}): {e!r}"
                    ) from e
                assert leaked is None, "a central powered on after the radio was closed"
        finally:
            await radio.close()
