"""A control-point write whose caller gives up (cancelled: the guard's stop loop closed, a
timeout) while the request is on the air. ATT allows one request at a time and its answer comes
whatever the caller does; the next write must get its own answer, never the old one, and the
old answer must not land on a request cancelled under it (bumble's InvalidStateError from its
packet handler, which the fake-time programme bench printed at the end of every stage).

The caller is cancelled after every number of loop turns from "not yet sent" to "answered", so
every interleaving of the cancel with the request, its answer and the next write is met."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.simulated import fake_time, link
from treadlink.ftms.protocol import Characteristic
from treadlink.treadmill.errors import WriteRefused
from treadlink_sim.profile import load_profile

CONTROL_POINT = Characteristic.FITNESS_MACHINE_CONTROL_POINT
REQUEST_CONTROL = bytes([0x00])
START = bytes([0x07])
# The treadmill holds a procedure until it indicates its answer: a write in that second is
# refused with ATT error 0xFE, which tells the second write's own answer from the first's.
SLOW_ANSWERS = load_profile("noblepro-elite", indication_delay_s=1.0)


@fake_time
@pytest.mark.parametrize("turns", range(12))
async def test_the_next_write_gets_its_own_answer(turns: int) -> None:
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        async with link(profile=SLOW_ANSWERS) as connection:
            port, sim = connection.link, connection.simulator
            given_up = asyncio.create_task(
                port.write(CONTROL_POINT, REQUEST_CONTROL, response=True)
            )
            for _ in range(turns):
                await asyncio.sleep(0)
            given_up.cancel()
            await asyncio.gather(given_up, return_exceptions=True)

            refused: int | None
            try:
                await port.write(CONTROL_POINT, START, response=True)
                refused = None
            except WriteRefused as e:
                refused = e.att_error
            await sim.wait_for(lambda s: any(r.data == START for r in s.control_point_log), 5)
            verdict = next(r for r in sim.control_point_log if r.data == START)
            assert refused == verdict.att_error, (
                f"the treadmill said {verdict.att_error}, the write reported {refused}"
            )
    finally:
        loop.set_exception_handler(previous)
    assert not errors, [context.get("exception") for context in errors]
