"""E-stop latency: from the trigger (the guard's `trip`, what a key or a front end calls) to the
Stop bytes arriving at the simulated treadmill, with telemetry flowing at 10 Hz.

Trials alternate between an idle control point and one with a command pending that the treadmill
never answers (its indications lost): the case where a client that queues commands would make
the stop wait. (Ours is an incline command: after each trial's acknowledgement the interlock
lets no speed above the standing belt's through.) pyftms's own client `stop()` is measured
against the same simulator, side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pyftms
from pyftms import MachineType

from benchmarks.pyftms_baseline import backend_forwarded
from benchmarks.stats import summary
from treadlink.ble.bumble.radio import SimulatedLink, simulated_link
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.events import TelemetryUpdate
from treadlink.session.recorder import EventLog
from treadlink.treadmill.errors import CommandError
from treadlink.treadmill.state import Telemetry, TreadmillEvent
from treadlink.ui.lines import LinePrinter
from treadlink_sim.faults import Fault
from treadlink_sim.treadmill import TreadmillSimulator

STOP = 0x08
# Between trials: a trigger is an independent event, not one that lands on the previous stop's
# trailing status and indication traffic (measured: without it the idle p99 rises from ~2 ms to
# ~8–13 ms, the cost of queueing behind that traffic in bumble's virtual controllers).
SETTLE_S = 0.03
# Short procedure timeouts keep the trials with a never-answered command quick, and a short
# standstill window the settling between trials (the latency measured is trip -> bytes).
PROCEDURE_TIMEOUT_S = 0.2
SETTINGS = GuardSettings(still_window_s=0.05, still_frames=1)


def is_ftms_stop(data: bytes) -> bool:
    return data[:1] == bytes([STOP])


class StopArrival:
    """Resolves the moment Stop bytes reach the simulated treadmill (before it processes them).
    `is_stop` tells them among the writes the treadmill hears (FTMS by default)."""

    def __init__(
        self, sim: TreadmillSimulator, is_stop: Callable[[bytes], bool] = is_ftms_stop
    ) -> None:
        self._future: asyncio.Future[float] | None = None
        self._is_stop = is_stop
        sim.add_control_point_listener(self._on_write)

    def arm(self) -> asyncio.Future[float]:
        self._future = asyncio.get_running_loop().create_future()
        return self._future

    def _on_write(self, data: bytes) -> None:
        if self._is_stop(data) and self._future is not None and not self._future.done():
            self._future.set_result(time.perf_counter())


async def _pending_command(
    link: SimulatedLink, send: Callable[[], Coroutine[Any, Any, Any]]
) -> asyncio.Task[Any]:
    """A command the treadmill takes but never answers, left in flight."""
    await link.simulator.set_fault(Fault.INDICATIONS_LOST)
    before = len(link.simulator.control_point_log)
    task = asyncio.get_running_loop().create_task(send())
    await link.simulator.wait_for(lambda s: len(s.control_point_log) > before, timeout=5)
    return task


def _subscribe_front_ends(
    link: SimulatedLink, guard: SafetyGuard, stack: contextlib.ExitStack
) -> None:
    """What a real run hangs on the guard: the line display (live telemetry line included) and
    the events file, both hearing every guard event and every 10 Hz frame."""
    sink = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 - closed by the stack
    printer = LinePrinter(sink, keys=True)
    record = stack.enter_context(EventLog(Path(tempfile.mkdtemp()) / "bench.jsonl"))

    def on_frame(event: TreadmillEvent) -> None:
        if isinstance(event, Telemetry):
            update = TelemetryUpdate(
                at=event.at,
                speed_kmh=event.state.speed_kmh,
                incline_pct=event.state.incline_pct,
                distance_m=event.state.distance_m,
                elapsed_time_s=event.state.elapsed_time_s,
                heart_rate_bpm=event.state.heart_rate_bpm,
            )
            printer(update)
            record.write(update)

    for listener in (printer, record.write):
        guard.subscribe(listener)
    link.treadmill.subscribe(on_frame)


Pending = Callable[[SafetyGuard], Coroutine[Any, Any, Any]]


def _incline(guard: SafetyGuard) -> Coroutine[Any, Any, Any]:
    return guard.set_incline(1.0)


async def ours(
    trials: int,
    link: SimulatedLink,
    is_stop: Callable[[bytes], bool] = is_ftms_stop,
    pending_command: Pending = _incline,
) -> dict[str, Any]:
    """The trials on a link made with a short procedure timeout (`simulated_link(...,
    procedure_timeout=PROCEDURE_TIMEOUT_S)`): the protocol's own stop bytes (`is_stop`), and a
    command the guard lets through after an acknowledgement, left pending."""
    idle: list[float] = []
    pending: list[float] = []
    subscribed: list[float] = []
    async with SafetyGuard(link.link, settings=SETTINGS) as guard:
        await guard.request_control()
        arrival = StopArrival(link.simulator, is_stop)
        front_ends = contextlib.ExitStack()
        for i in range(trials + trials // 2):
            if i == trials:  # the last third: with the display and the events file listening
                _subscribe_front_ends(link, guard, front_ends)
            command = None
            if i % 2 and i < trials:
                command = await _pending_command(link, lambda: pending_command(guard))
            arrived = arrival.arm()
            t0 = time.perf_counter()
            guard.trip(FaultKind.STOP_INPUT, "bench")
            latency_ms = (await arrived - t0) * 1000
            (subscribed if i >= trials else pending if command else idle).append(latency_ms)
            if command is not None:
                with contextlib.suppress(CommandError):
                    await command  # times out: the treadmill never answers it
                await link.simulator.clear_fault(Fault.INDICATIONS_LOST)
            if not await guard.wait_belt_stopped(5):
                raise RuntimeError("stop not confirmed during the bench")
            guard.acknowledge()
            await asyncio.sleep(SETTLE_S)
        front_ends.close()
    return {
        "idle_ms": summary(idle),
        "pending_ms": summary(pending),
        "with_display_and_record_ms": summary(subscribed),
    }


async def _pyftms(trials: int, pending_trials: int) -> dict[str, Any]:
    idle: list[float] = []
    pending: list[float] = []
    async with simulated_link(telemetry_hz=10.0) as link:
        await link.link.disconnect()
        arrival = StopArrival(link.simulator)
        with backend_forwarded():
            client = pyftms.get_client(
                link.link.device, MachineType.TREADMILL, backend=link.radio.client_backend
            )
            async with client:
                for i in range(trials + pending_trials):
                    command = None
                    if i >= trials:
                        command = await _pending_command(link, lambda: client.set_target_speed(5.0))
                    arrived = arrival.arm()
                    t0 = time.perf_counter()
                    stop = asyncio.ensure_future(client.stop())
                    latency_ms = (await arrived - t0) * 1000
                    (pending if command else idle).append(latency_ms)
                    with contextlib.suppress(Exception):
                        await stop
                    if command is not None:
                        with contextlib.suppress(Exception):
                            await command
                        await link.simulator.clear_fault(Fault.INDICATIONS_LOST)
                    await asyncio.sleep(SETTLE_S)
    return {"idle_ms": summary(idle), "pending_ms": summary(pending)}


async def _ours(trials: int) -> dict[str, Any]:
    async with simulated_link(telemetry_hz=10.0, procedure_timeout=PROCEDURE_TIMEOUT_S) as link:
        return await ours(trials, link)


def measure(
    trials: int = 1000, pyftms_trials: int = 200, pyftms_pending: int = 10
) -> dict[str, Any]:
    return {
        "treadlink": asyncio.run(_ours(trials)),
        "pyftms": asyncio.run(_pyftms(pyftms_trials, pyftms_pending)),
        "telemetry_hz": 10.0,
    }
