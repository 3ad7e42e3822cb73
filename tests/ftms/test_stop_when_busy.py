"""A Stop refused with 0xFE (a procedure still in flight: the treadmill's answers come late) is
written again when that procedure ends, not every few milliseconds: the guard keeps its 0.25 s
cadence instead of flooding the control point."""

from __future__ import annotations

import asyncio

from tests.support.guard import rig
from tests.support.simulated import fake_time
from treadlink.ftms.protocol import ATT_PROCEDURE_ALREADY_IN_PROGRESS, OpCode
from treadlink.safety.faults import FaultKind
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_late_answers_do_not_turn_the_stop_into_a_flood() -> None:
    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.LATE_ANSWERS, late_s=0.4)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(2.0)
        stops = [
            c for c in r.sim.control_point_log if c.at >= t0 and c.data[0] == OpCode.STOP_OR_PAUSE
        ]
        busy = [c for c in stops if c.att_error == ATT_PROCEDURE_ALREADY_IN_PROGRESS]
        # One attempt per 0.25 s, each written at most once more when the treadmill's procedure
        # ends: 8 periods, not 40 writes a period.
        assert len(stops) <= 2 * (2.0 / 0.25) + 1, len(stops)
        assert len(busy) <= 2.0 / 0.25 + 1, len(busy)
        await r.sim.clear_fault(SimFault.LATE_ANSWERS)
        await r.stopped()


@fake_time
async def test_a_stop_refused_while_a_command_is_in_flight_goes_out_when_it_ends() -> None:
    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.LATE_ANSWERS, late_s=0.1)
        loop = asyncio.get_running_loop()
        pending = loop.create_task(r.guard.set_speed(7.0))  # answered 0.1 s after its write
        await r.sim.wait_for(lambda s: s.target_speed_kmh == 7.0, timeout=5)
        t0 = loop.time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.sim.wait_for(
            lambda s: any(
                c.at >= t0 and c.data[0] == OpCode.STOP_OR_PAUSE and c.att_error is None
                for c in s.control_point_log
            ),
            timeout=5,
        )
        accepted = [
            c.at
            for c in r.sim.control_point_log
            if c.at >= t0 and c.data[0] == OpCode.STOP_OR_PAUSE and c.att_error is None
        ]
        # At the end of the speed's procedure (its answer 0.1 s after its write), not later.
        assert accepted[0] - t0 <= 0.1 + 0.02
        refused_writes = [
            c for c in r.sim.control_point_log if c.at >= t0 and c.att_error is not None
        ]
        assert len(refused_writes) <= 2
        await r.sim.clear_fault(SimFault.LATE_ANSWERS)
        await r.stopped()
        pending.cancel()
