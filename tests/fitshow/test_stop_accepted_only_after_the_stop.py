"""On FitShow "stop accepted" is the console's own word after our STOP: a stopping, stopped or
idle state polled after it (docs/safety.md, contract items 2 and 9), never the state the last
poll read before it. A console that answers nothing has accepted nothing, and the runner is told
so (StopUnconfirmed says whether the treadmill at least accepted the stop)."""

from __future__ import annotations

import asyncio

from tests.support.events import Recorder
from tests.support.simulated import fake_time, link
from treadlink.safety.events import StopAccepted, StopUnconfirmed
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_silent_console_at_rest_has_not_accepted_the_stop() -> None:
    async with link(profile="noblepro-e8i", telemetry_hz=4.0) as connection:
        sim = connection.simulator
        async with SafetyGuard(connection.link) as guard:
            events = Recorder()
            guard.subscribe(events)
            assert await guard.wait_belt_reported()
            await sim.set_fault(SimFault.TELEMETRY_SILENT)
            await asyncio.sleep(2)
            guard.trip(FaultKind.STOP_INPUT, "space bar")
            await events.first(lambda e: isinstance(e, StopUnconfirmed), timeout=30)
            assert not any(isinstance(e, StopAccepted) for e in events)
            assert not guard.stop_accepted
            warned = [e for e in events if isinstance(e, StopUnconfirmed)]
            assert not warned[0].accepted

            await sim.clear_fault(SimFault.TELEMETRY_SILENT)  # its word comes now
            await events.first(lambda e: isinstance(e, StopAccepted), timeout=30)
            assert await guard.wait_belt_stopped(timeout=30)
