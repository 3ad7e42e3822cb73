"""Reconnecting after a link drop: again after a drop right after reconnecting, started again when
it ends in an error, and no false alarm when the treadmill then refuses control."""

from __future__ import annotations

import asyncio

from tests.support.guard import (
    rig,
)
from tests.support.simulated import fake_time, link
from treadlink.safety.guard import SafetyGuard
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_second_drop_right_after_reconnecting_is_reconnected_too() -> None:
    """A drop while control is being asked for again, right after a reconnect (a link at the edge of
    range), is reconnected too: the stop loop gets a link to write its Stop on."""
    from treadlink.safety.events import Reconnected

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        loop = asyncio.get_running_loop()
        reconnects: list[float] = []
        drops: list[asyncio.Task[None]] = []

        def on_event(event: object) -> None:
            if isinstance(event, Reconnected):
                reconnects.append(loop.time())
                if len(reconnects) == 1:  # drop again at once, while control is being asked
                    drops.append(loop.create_task(sim.drop_link()))

        guard.subscribe(on_event)
        await guard.request_control()
        await guard.start()
        await guard.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.0)
        await sim.drop_link()
        await asyncio.sleep(30.0)
        up, moving = guard.link_up, sim.belt_speed_kmh
    assert up and len(reconnects) >= 2, (
        f"link up: {up}, reconnects: {reconnects}, belt at {moving} km/h after 30 s"
    )


@fake_time
async def test_reconnecting_that_ends_in_an_error_is_started_again() -> None:
    """Asking for control after a reconnect raised OSError (a transport failing under the
    write): the reconnect task ends in it; the guard starts it again and tells the runner."""
    from treadlink.ftms.protocol import OpCode
    from treadlink.safety.events import Fault

    async with rig() as r:
        await r.run_at(6.0)
        link_ = r.connection.link
        real_write = link_.write
        failed = False

        async def write(uuid: int, data: bytes, *, response: bool) -> None:
            nonlocal failed
            if data[0] == OpCode.REQUEST_CONTROL and not failed:
                failed = True
                raise OSError(5, "Input/output error")
            await real_write(uuid, data, response=response)

        link_.write = write  # type: ignore[method-assign]
        await r.sim.drop_link()
        restarted = await r.events.first(
            lambda e: isinstance(e, Fault) and "reconnecting restarted" in e.message, timeout=30
        )
        assert isinstance(restarted, Fault) and "OSError" in restarted.message
        await r.stopped()


@fake_time
async def test_control_refused_after_a_reconnect_raises_no_false_alarm() -> None:
    """Back after a drop, the treadmill refuses control (another app took it): the reconnect
    has done its part (the stop loop asks again); it must not end in error and be restarted."""
    from treadlink.safety.events import Reconnected

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.CONTROL_TAKEN)
        await r.sim.drop_link()
        await r.events.first(lambda e: isinstance(e, Reconnected), timeout=30)
        await asyncio.sleep(2.0)
        alarms = r.restart_alarms()
        await r.sim.clear_fault(SimFault.CONTROL_TAKEN)
    assert not alarms, alarms
