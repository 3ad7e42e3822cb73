"""The guard's timing when the treadmill is slow or shuts us out, in fake time: the reconnect
backoff (a treadmill that refuses links at once) and the stop loop's cadence when every attempt
outlasts its period (Stop refused late, control asked back and never answered).

Written to kill the mutants docs/safety.md once listed as test gaps (`_reconnect`'s backoff,
`_stop_loop` 17 and 25): each assertion fails when the timing it names is broken.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.support.guard import rig
from tests.support.simulated import fake_time
from treadlink.ftms.protocol import OpCode
from treadlink.safety.events import Reconnected
from treadlink.safety.guard import GuardSettings
from treadlink_sim.faults import Fault as SimFault
from treadlink_sim.treadmill import TreadmillSimulator


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


# --- reconnecting ----------------------------------------------------------------------------
@fake_time
async def test_reconnect_attempts_back_off_from_the_first_delay_doubling_up_to_the_cap() -> None:
    first, cap = GuardSettings().reconnect_backoff_s  # the documented backoff: 0.5 s up to 5 s
    refusals = 7  # enough to reach the cap and stay there
    backoff = [min(first * 2**n, cap) for n in range(refusals)]  # 0.5 1 2 4 5 5 5
    async with rig() as r:
        await r.run_at(8.0)
        loop = asyncio.get_running_loop()
        dropped_at = loop.time()
        await r.sim.set_fault(SimFault.LINK_REFUSED)  # drops us, then every link as it is made

        def refused(sim: TreadmillSimulator) -> list[float]:
            return [c.at for c in sim.connection_log if c.refused]

        await r.sim.wait_for(lambda s: len(refused(s)) == refusals, timeout=sum(backoff) + 1)
        await r.sim.clear_fault(SimFault.LINK_REFUSED)  # the next attempt gets through
        reconnected = await r.events.first(lambda e: isinstance(e, Reconnected), timeout=cap + 1)
        assert isinstance(reconnected, Reconnected)
        attempts = [c.at for c in r.sim.connection_log if c.at >= dropped_at]
        assert attempts[:-1] == refused(r.sim)
        # The first attempt at once, then each after the backoff: doubling from the first
        # delay, never longer than the cap. (Each attempt itself waits for an advertisement.)
        assert attempts[0] == pytest.approx(dropped_at, abs=0.05)
        assert gaps(attempts) == pytest.approx(backoff, abs=0.05)
        assert reconnected.attempts == len(attempts) == refusals + 1
        assert reconnected.at == pytest.approx(attempts[-1], abs=0.05)
        restarted = r.restart_alarms()
        assert restarted == [], "reconnecting ended on a refused link"
        await r.stopped()  # and the Stop went out on the new link


# --- the stop loop's cadence -----------------------------------------------------------------
@fake_time
async def test_stop_keeps_its_cadence_when_each_attempt_outlasts_the_period() -> None:
    period = GuardSettings().stop_retry_s
    late = 0.8 * period
    async with rig() as r:
        await r.run_at(8.0)
        # Another app takes control: our Stop is answered 05 (control not permitted), late,
        # and the Request Control the guard then sends is never answered. Each attempt takes
        # late + period: the loop falls further behind its deadlines at every one.
        await r.sim.set_fault(SimFault.LATE_ANSWERS, late_s=late)
        await r.sim.set_fault(SimFault.REQUEST_CONTROL_UNANSWERED)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await r.sim.set_fault(SimFault.CONTROL_TAKEN)
        await asyncio.sleep(5.0)
        slow = r.wire.stops(t0)
        asks = [at for at, _ in r.wire.ops(OpCode.REQUEST_CONTROL, t0)]
        # Not stalled behind its own deadlines, not died: Stop after Stop, each as soon as the
        # attempt before it has given up, control asked back after each refusal.
        assert slow[0] == pytest.approx(t0, abs=0.01)
        assert gaps(slow) == pytest.approx([late + period] * (len(slow) - 1), abs=0.01)
        assert len(slow) == pytest.approx(5.0 / (late + period), abs=1)
        assert asks == pytest.approx([at + late for at in slow][: len(asks)], abs=0.01)
        assert len(asks) >= len(slow) - 1
        restarted = r.restart_alarms()
        assert restarted == [], "the stop loop ended on an unanswered Request Control"

        # The treadmill answers in good time again (05 to both, a fifth of a period late):
        # an attempt takes less than a period. The loop, behind its deadlines, writes at once
        # until it is back on them, then once per period. It makes up at most a period of
        # lateness, never a burst of writes for all the time lost, and it does not write as
        # soon as each attempt is over either.
        await r.sim.set_fault(SimFault.LATE_ANSWERS, late_s=0.2 * period)
        await r.sim.clear_fault(SimFault.REQUEST_CONTROL_UNANSWERED)
        t1 = loop.time()
        await asyncio.sleep(3.0)
        fast = r.wire.stops(t1)
        in_a_second = max(len([b for b in fast if a <= b < a + 1.0]) for a in fast)
        assert in_a_second <= 1.0 / period + 1, fast
        assert gaps(fast)[-8:] == pytest.approx([period] * 8, abs=0.01)
        assert len(fast) == pytest.approx(3.0 / period, abs=1)
        assert not r.restart_alarms()

        await r.sim.clear_fault(SimFault.CONTROL_TAKEN)  # the other app lets go
        await r.stopped()
