"""The Fitness Machine Control Point: one procedure at a time, every response matched to its
request, a timeout per procedure, and a stop that never queues behind anything.

FTMS allows one procedure in flight: a write before the previous response indication has been
confirmed gets ATT error 0xFE. Ordinary commands therefore take turns on a lock. A stop does not:
it is written at once, and if the machine answers 0xFE it is written again the moment the
procedure in flight ends (an earlier Stop's included: its answer answers this one too), or after
a short floor when no procedure of ours is known to be in flight.
Commands that were still waiting for their turn when a stop was asked for are dropped, so
nothing queued before a stop reaches the belt after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from treadlink.ftms.layouts import ControlResponse, encode_request, stop_parameter
from treadlink.ftms.protocol import (
    ATT_PROCEDURE_ALREADY_IN_PROGRESS,
    OpCode,
    ResultCode,
    StopPause,
)
from treadlink.treadmill.errors import (
    Command,
    CommandError,
    CommandPreempted,
    CommandRefused,
    CommandTimeout,
    LinkLost,
    MalformedFrame,
    Refusal,
    WriteRefused,
)

log = logging.getLogger(__name__)

Writer = Callable[[bytes], Awaitable[None]]
"""Writes one control-point request with response. Raises WriteRefused when the treadmill's ATT
layer refuses the write, LinkLost when there is no link to write on; the link translates its
stack's errors into these, so this layer knows no Bluetooth library."""

DEFAULT_TIMEOUT = 2.0  # s; FTMS gives the server 30 s, but a treadmill that slow is a fault
# s before a Stop refused with 0xFE is written again when no procedure of ours is in flight (a
# treadmill busy with another app's): a few tries within the 0.25 s attempt, never a flood.
STOP_BUSY_FLOOR = 0.05


# What each op code is, in the interface's words.
COMMAND_OF: Final[dict[OpCode, Command]] = {
    OpCode.REQUEST_CONTROL: Command.REQUEST_CONTROL,
    OpCode.START_OR_RESUME: Command.START,
    OpCode.SET_TARGET_SPEED: Command.SET_SPEED,
    OpCode.SET_TARGET_INCLINATION: Command.SET_INCLINE,
    OpCode.STOP_OR_PAUSE: Command.STOP,
}
REFUSAL_OF: Final[dict[ResultCode, Refusal]] = {
    ResultCode.OP_CODE_NOT_SUPPORTED: Refusal.NOT_SUPPORTED,
    ResultCode.INVALID_PARAMETER: Refusal.INVALID,
    ResultCode.OPERATION_FAILED: Refusal.FAILED,
    ResultCode.CONTROL_NOT_PERMITTED: Refusal.NOT_PERMITTED,
}


def _name(op: OpCode) -> str:
    return op.name.lower().replace("_", " ")


class ProcedureFailed(CommandRefused):
    """The treadmill answered with a result other than success."""

    def __init__(self, op: OpCode, response: ControlResponse) -> None:
        result = response.result
        name = result.name.lower().replace("_", " ") if isinstance(result, ResultCode) else result
        refusal = (
            REFUSAL_OF.get(result, Refusal.FAILED)
            if isinstance(result, ResultCode)
            else (Refusal.FAILED)
        )
        super().__init__(
            COMMAND_OF.get(op, Command.REQUEST_CONTROL),
            refusal,
            f"{_name(op)}: treadmill answered {name}",
        )
        self.op = op
        self.response = response


class ProcedureTimeout(CommandTimeout):
    def __init__(self, op: OpCode, timeout: float) -> None:
        super().__init__(COMMAND_OF.get(op, Command.REQUEST_CONTROL), timeout)
        self.args = (f"{_name(op)}: no response from the treadmill within {timeout:g} s",)
        self.op = op


class ProcedureRejected(CommandError):
    """The write itself failed with an ATT error (0xFE busy, 0xFD indications not enabled)."""

    def __init__(self, op: OpCode, att_error: int) -> None:
        super().__init__(f"{_name(op)}: write refused, ATT error 0x{att_error:02X}")
        self.op = op
        self.att_error = att_error


class ControlPoint:
    def __init__(
        self,
        write: Writer,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        on_response: Callable[[ControlResponse], None] | None = None,
    ) -> None:
        self._write = write
        # Told of every response, matched or late: a late "success" to a Stop whose attempt
        # timed out still means the treadmill accepted a stop.
        self._on_response = on_response
        self.timeout = timeout
        self._turn = asyncio.Lock()
        self._responses: dict[int, asyncio.Future[ControlResponse]] = {}
        self._stops_asked = 0  # bumped by every stop: commands queued before it are stale

    # --- inputs from the link ------------------------------------------------------------
    def on_indication(self, data: bytes) -> None:
        """Feed every control-point indication here. Never raises."""
        try:
            response = ControlResponse.decode(data)
        except MalformedFrame as e:
            log.warning("dropped control point indication: %s", e)
            return
        if self._on_response is not None:
            self._on_response(response)
        waiter = self._responses.pop(response.request, None)
        if waiter is None or waiter.done():
            log.warning("control point response %s matches no request in flight", data.hex(" "))
            return
        waiter.set_result(response)

    def link_lost(self, reason: str = "link lost") -> None:
        """Fail every procedure in flight. Later ones fail in the writer, which raises LinkLost
        while there is no link: the link alone knows whether it has one."""
        for waiter in self._responses.values():
            if not waiter.done():
                waiter.set_exception(LinkLost(reason))
        self._responses.clear()

    # --- procedures ----------------------------------------------------------------------
    async def execute(self, op: OpCode, parameter: bytes = b"") -> ControlResponse:
        """Run one procedure after those before it; raise unless the treadmill says success."""
        ticket = self._stops_asked
        async with self._turn:
            if ticket != self._stops_asked:
                raise CommandPreempted(f"{_name(op)}: dropped, a stop was asked for first")
            waiter = self._expect(op)
            return await self._run(op, encode_request(op, parameter), waiter, None)

    async def stop(
        self, kind: StopPause = StopPause.STOP, *, timeout: float | None = None
    ) -> ControlResponse:
        """Write Stop (or Pause) now, whatever else is in flight or queued, and wait at most
        `timeout` (the whole attempt, write included) for the treadmill's answer."""
        self._stops_asked += 1
        op = OpCode.STOP_OR_PAUSE
        request = encode_request(op, stop_parameter(kind))
        limit = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            waiter = self._expect(op)
            try:
                return await self._run(op, request, waiter, deadline - loop.time())
            except ProcedureRejected as e:
                if e.att_error != ATT_PROCEDURE_ALREADY_IN_PROGRESS or loop.time() >= deadline:
                    raise
            # Busy: a procedure's answer is outstanding. Write again as soon as it ends.
            outstanding = [w for w in self._responses.values() if not w.done()]
            left = max(0.0, deadline - loop.time())
            if outstanding:
                await asyncio.wait(outstanding, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(min(STOP_BUSY_FLOOR, left))
            if waiter.done() and not waiter.exception():
                # An earlier Stop's answer, come late: the treadmill took a stop.
                response = waiter.result()
                if response.result != ResultCode.SUCCESS:
                    raise ProcedureFailed(op, response)
                return response
            if loop.time() >= deadline:
                raise ProcedureTimeout(op, limit)

    # --- internals -------------------------------------------------------------------------
    def _expect(self, op: OpCode) -> asyncio.Future[ControlResponse]:
        """The waiter for the answer to `op`. Requests with the same op code share one: an
        answer names only its op code, so it answers every caller waiting (two stops at once
        both learn that the treadmill took a stop). A caller that gives up leaves the waiter
        to the others; it goes when answered or when the link is lost."""
        waiter = self._responses.get(op)
        if waiter is None or waiter.done():
            waiter = asyncio.get_running_loop().create_future()
            # It may outlive every caller (timed out, write refused): its outcome is then no
            # one's news, and not an "exception never retrieved" either.
            waiter.add_done_callback(_retrieved)
            self._responses[op] = waiter
        return waiter

    async def _run(
        self,
        op: OpCode,
        request: bytes,
        waiter: asyncio.Future[ControlResponse],
        timeout: float | None,
    ) -> ControlResponse:
        limit = self.timeout if timeout is None else max(timeout, 0.0)
        try:
            # The write is inside the limit too: a write that hangs on a dying link must not
            # hold up the next stop attempt.
            async with asyncio.timeout(limit):
                try:
                    await self._write(request)
                except WriteRefused as e:
                    raise ProcedureRejected(op, e.att_error) from e
                response = await asyncio.shield(waiter)
        except TimeoutError:
            raise ProcedureTimeout(op, limit) from None
        if response.result != ResultCode.SUCCESS:
            raise ProcedureFailed(op, response)
        return response


def _retrieved(waiter: asyncio.Future[ControlResponse]) -> None:
    waiter.exception()  # never cancelled: callers wait through a shield
