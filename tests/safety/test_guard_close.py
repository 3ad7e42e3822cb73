"""`SafetyGuard.close()`: the connection is ending. It ends the stop loop and reconnecting and
returns once both have ended, a write or a connect under way included, whatever error a transport
turns their cancellation into; it raises nothing, lets the caller's own cancellation through, and
leaves no error unretrieved. After it nothing is watched or written."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.support.guard import (
    rig,
)
from tests.support.simulated import fake_time
from treadlink.safety.faults import FaultKind
from treadlink.safety.stopping import StopPhase
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_a_closed_guard_watches_nothing_and_writes_nothing() -> None:
    """close(): the connection is ending. A belt above the cap after it (the console) is no
    longer the guard's: no fault, no Stop written on a link about to go."""

    async with rig(cap_kmh=8.0) as r:
        await r.run_at(6.0)
        await r.guard.close()
        closed_at = asyncio.get_running_loop().time()
        seen = len(r.events)
        await r.sim.console_set_speed(10.0)
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 10.0, timeout=30)
        await asyncio.sleep(3.0)
        assert r.guard.latched is None
        assert not r.wire.stops(closed_at)
        assert len(r.events) == seen


@fake_time
async def test_close_ends_a_stop_loop_under_way_before_it_returns() -> None:
    """The runner quit while the treadmill refuses every Stop: close() ends the loop, and no
    Stop is written once it has returned."""

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(1.0)
        assert r.wire.stops()
        await r.guard.close()
        closed_at = asyncio.get_running_loop().time()
        await asyncio.sleep(3.0)
        assert not r.wire.stops(closed_at)
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)


def hang_then_fail_on_cancel(
    monkeypatch: pytest.MonkeyPatch, connection: object, op: int
) -> tuple[asyncio.Event, asyncio.Event]:
    """From now on every write of `op` hangs, and raises OSError when cancelled, as a transport
    torn down under it may: the cancellation comes back as another exception. Returns (hanging,
    released): set `released` to let the writes through (so a failing test can still end)."""
    link_ = connection.link  # type: ignore[attr-defined]
    real_write = link_.write
    hanging, released = asyncio.Event(), asyncio.Event()

    async def write(uuid: int, data: bytes, *, response: bool) -> None:
        if data[0] == op and not released.is_set():
            hanging.set()
            try:
                await released.wait()
            except asyncio.CancelledError:
                raise OSError(5, "Input/output error") from None
        await real_write(uuid, data, response=response)

    monkeypatch.setattr(link_, "write", write)
    return hanging, released


def never_retrieved(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """With the rig let go (`del r` first): no task ended in an error nobody looked at."""
    import gc

    monkeypatch.undo()  # the patched link holds the guard (its watcher), and so its tasks
    gc.collect()
    assert not [x for x in caplog.records if "never retrieved" in x.getMessage()]


@fake_time
async def test_close_returns_when_a_cancelled_stop_write_raises_something_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stop loop logs any exception from an attempt and goes on; a cancellation that the
    transport turns into OSError must not keep it going after close(), or close() never
    returns and the runner's quit hangs."""
    from treadlink.ftms.protocol import OpCode

    async with rig() as r:
        await r.run_at(6.0)
        hanging, released = hang_then_fail_on_cancel(
            monkeypatch, r.connection, OpCode.STOP_OR_PAUSE
        )
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await hanging.wait()
        try:
            async with asyncio.timeout(10):
                await r.guard.close()
        except TimeoutError:
            r.guard._stop.phase = StopPhase.NONE  # only so that the failing test can end
            released.set()
            pytest.fail("close() did not return: the stop loop went on after it")


@fake_time
async def test_close_raises_nothing_when_reconnecting_ends_in_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Closed while reconnecting asks for control, over a transport whose cancelled write raises
    OSError: the task ends in that error, and close() must not pass it to the runner's quit,
    nor leave it to asyncio's "exception was never retrieved"."""

    from treadlink.ftms.protocol import OpCode
    from treadlink.safety.events import Reconnected

    async with rig() as r:
        await r.run_at(6.0)
        hanging, _ = hang_then_fail_on_cancel(monkeypatch, r.connection, OpCode.REQUEST_CONTROL)
        await r.sim.drop_link()
        await r.events.first(lambda e: isinstance(e, Reconnected), timeout=30)
        await hanging.wait()
        await r.guard.close()  # raises nothing
    del r
    never_retrieved(monkeypatch, caplog)


@fake_time
async def test_close_during_a_reconnect_attempt_leaves_no_link_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """close() cancels a connect under way and returns once it has ended: the caller then
    closes the link, and no connection made after that is left open."""

    async with rig() as r:
        await r.run_at(6.0)
        link_ = r.connection.link
        real_connect = link_.connect
        connecting, ended = asyncio.Event(), asyncio.Event()

        async def connect() -> None:
            connecting.set()
            try:
                await real_connect()
            except asyncio.CancelledError:
                await asyncio.sleep(0.1)  # a stack takes a moment to tear a connect down
                raise
            finally:
                ended.set()

        monkeypatch.setattr(link_, "connect", connect)
        await r.sim.drop_link()
        await connecting.wait()
        await r.guard.close()
        assert ended.is_set(), "close() returned with the connect still under way"
        await asyncio.sleep(5.0)
        assert not link_.is_connected


@fake_time
async def test_close_cancelled_by_its_caller_still_ends_reconnecting() -> None:
    """The caller's cancel (a second Ctrl-C, a shutdown timeout) landing while close() waits gets
    through, and reconnecting is cancelled first: the link never comes back after close()."""
    from treadlink.safety.events import LinkDown, Reconnected

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.LINK_LOST)  # dropped, not advertising
        await r.events.first(lambda e: isinstance(e, LinkDown), timeout=5)
        closing = asyncio.ensure_future(r.guard.close())
        await asyncio.sleep(0)  # close() now waits for the tasks
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        await r.sim.clear_fault(SimFault.LINK_LOST)
        await asyncio.sleep(10.0)
        assert not [e for e in r.events if isinstance(e, Reconnected)]
        assert not r.connection.link.is_connected, "reconnected after close()"


@fake_time
async def test_close_returns_at_once_when_a_cancelled_connect_raises_oserror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A transport that turns close()'s cancel of a connect into OSError: reconnecting ends at once,
    without sleeping out its backoff (5 s here), and never tries to connect again."""

    async with rig(reconnect_backoff_s=(5.0, 5.0)) as r:
        await r.run_at(6.0)
        link_ = r.connection.link
        connecting = asyncio.Event()
        calls = 0

        async def connect() -> None:
            nonlocal calls
            calls += 1
            if calls > 1:
                raise OSError(113, "No route to host")
            connecting.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                raise OSError(5, "Input/output error") from None

        monkeypatch.setattr(link_, "connect", connect)
        await r.sim.drop_link()
        await connecting.wait()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        async with asyncio.timeout(10):
            await r.guard.close()
        assert loop.time() - t0 < 0.5, f"close() took {loop.time() - t0:g} s"
        assert calls == 1, "connect tried again after close()"


@fake_time
async def test_close_waits_for_a_stop_write_under_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """close() does not return while the stop loop's write is still under way."""
    from treadlink.ftms.protocol import OpCode

    async with rig() as r:
        await r.run_at(6.0)
        hanging, released = hang_then_fail_on_cancel(
            monkeypatch, r.connection, OpCode.STOP_OR_PAUSE
        )
        link_ = r.connection.link
        hung_write, ended = link_.write, asyncio.Event()

        async def tracked(uuid: int, data: bytes, *, response: bool) -> None:
            try:
                await hung_write(uuid, data, response=response)
            finally:
                if data[0] == OpCode.STOP_OR_PAUSE:
                    ended.set()

        monkeypatch.setattr(link_, "write", tracked)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await hanging.wait()
        try:
            async with asyncio.timeout(10):
                await r.guard.close()
            assert ended.is_set(), "close() returned with a Stop write still under way"
        finally:
            r.guard._stop.phase = StopPhase.NONE  # only so that a failing test can end
            released.set()


@fake_time
async def test_a_stop_loop_ending_in_an_error_at_close_is_retrieved(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop loop that ends in an error at close (control asked back after a 05, the write's cancel
    turned into OSError): its done callback still looks at the error."""
    from treadlink.ftms.protocol import OpCode

    async with rig() as r:
        await r.run_at(6.0)
        hanging, released = hang_then_fail_on_cancel(
            monkeypatch, r.connection, OpCode.REQUEST_CONTROL
        )
        await r.sim.set_fault(SimFault.CONTROL_REFUSED)  # Stop answered 05: control asked back
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await hanging.wait()
        await r.guard.close()
        released.set()
        await r.sim.clear_fault(SimFault.CONTROL_REFUSED)
    del r
    never_retrieved(monkeypatch, caplog)


@fake_time
async def test_a_connect_that_swallows_closes_cancel_is_not_followed_by_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stack that ignores the cancel and finishes the connect: reconnecting, closed by now,
    neither reports the link back nor asks for control on it."""
    from treadlink.ftms.protocol import OpCode
    from treadlink.safety.events import Reconnected

    async with rig() as r:
        await r.run_at(6.0)
        link_ = r.connection.link
        real_connect = link_.connect
        connecting = asyncio.Event()

        async def connect() -> None:
            connecting.set()
            with contextlib.suppress(asyncio.CancelledError):  # the stack goes on regardless
                await asyncio.sleep(1.0)
            await real_connect()

        monkeypatch.setattr(link_, "connect", connect)
        await r.sim.drop_link()
        await connecting.wait()
        closed_at = asyncio.get_running_loop().time()
        await r.guard.close()
        assert not [e for e in r.events if isinstance(e, Reconnected)]
        assert not r.wire.ops(OpCode.REQUEST_CONTROL, closed_at)
