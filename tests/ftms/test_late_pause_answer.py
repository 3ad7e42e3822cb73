"""A Pause's answer that comes late, while the guard writes Stop, is not the treadmill taking
the stop: an answer names only its op code (0x08, Stop and Pause alike), so the driver tells
them apart by the order of the writes it answers."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.simulated import fake_time, link
from treadlink.ftms.control import ProcedureTimeout
from treadlink.treadmill.state import StopTaken, TreadmillEvent
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_late_answer_to_a_pause_is_not_a_stop_taken() -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        taken: list[StopTaken] = []

        def heard(event: TreadmillEvent) -> None:
            if isinstance(event, StopTaken):
                taken.append(event)

        commands = connection.treadmill.take_control(heard)
        await commands.request_control()
        await commands.start()
        await sim.set_fault(SimFault.LATE_ANSWERS, late_s=1.0)
        with pytest.raises(ProcedureTimeout):
            await commands.pause(timeout=0.25)
        await asyncio.sleep(1.0)  # the Pause's success arrives now
        assert taken == [], "a Pause's answer was taken for a Stop's"
        await sim.clear_fault(SimFault.LATE_ANSWERS)
        await commands.stop(timeout=2.0)
        assert [t.how for t in taken] == ["indication"]  # the Stop's own answer counts
