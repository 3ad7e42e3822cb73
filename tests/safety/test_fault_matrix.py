"""Every fault in the safety contract × the invariants, against the simulator's fault injection,
through the full stack in fake time. docs/safety.md lists each fault with the test that covers it.

Invariants checked for every fault:
  stopped   — the stop is confirmed and the belt reaches 0 km/h;
  latched   — the guard holds a latched fault and says so in the event stream;
  no rise   — from the fault until the runner acknowledges, no Start and no speed or incline
              above the belt's own reaches the treadmill (the simulator's log shows every write),
              and trying either raises InterlockError;
  ease in   — after the acknowledgement the first speed written is not above the belt's;
  record    — the JSONL record on disk holds the fault and the confirmed stop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.events import Recorder
from tests.support.session import matrix_stage
from tests.support.simulated import SimulatedLink, fake_time, link
from treadlink.ftms.protocol import OpCode
from treadlink.safety.faults import FaultKind, InterlockError
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    Acknowledged,
    BeltStopped,
    Event,
    Fault,
    Reconnected,
    SegmentStarted,
    SetpointSent,
    StopAccepted,
    StopUnconfirmed,
)
from treadlink.session.recorder import EventLog
from treadlink_sim.faults import Fault as SimFault
from treadlink_sim.treadmill import TreadmillSimulator


@dataclass
class Write:
    """A control-point write as the treadmill received it, with the belt's speed at that time."""

    at: float
    data: bytes
    belt_kmh: float


@dataclass
class Watch:
    sim: TreadmillSimulator
    writes: list[Write] = field(default_factory=list)

    def __post_init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.sim.add_control_point_listener(
            lambda data: self.writes.append(Write(loop.time(), data, self.sim.belt_speed_kmh))
        )

    def rises(self, since: float, until: float) -> list[Write]:
        """Writes that could start the belt or make it faster or steeper."""
        return [w for w in self.writes if since <= w.at < until and is_rise(w, self.sim)]

    def speeds(self, since: float) -> list[Write]:
        return [w for w in self.writes if w.at >= since and w.data[:1] == b"\x02"]


def is_rise(w: Write, sim: TreadmillSimulator) -> bool:
    if not w.data:
        return False
    op, parameter = w.data[0], int.from_bytes(w.data[1:], "little", signed=True)
    faster = op == OpCode.SET_TARGET_SPEED and parameter / 100 > w.belt_kmh + 0.005
    steeper = op == OpCode.SET_TARGET_INCLINATION and parameter / 10 > sim.incline_pct + 0.05
    return op == OpCode.START_OR_RESUME or faster or steeper


Trigger = Callable[[SimulatedLink, Session], Awaitable[None]]


async def _safety_key(c: SimulatedLink, s: Session) -> None:
    await c.simulator.set_fault(SimFault.SAFETY_KEY)


async def _put_key_back(c: SimulatedLink) -> None:
    await c.simulator.clear_fault(SimFault.SAFETY_KEY)


async def _stop_input(c: SimulatedLink, s: Session) -> None:
    s.guard.trip(FaultKind.STOP_INPUT, "space bar")


async def _console_stop(c: SimulatedLink, s: Session) -> None:
    await c.simulator.console_stop()


async def _console_pause(c: SimulatedLink, s: Session) -> None:
    await c.simulator.console_pause()


async def _control_taken(c: SimulatedLink, s: Session) -> None:
    await c.simulator.set_fault(SimFault.CONTROL_TAKEN)


async def _release_control(c: SimulatedLink) -> None:
    await c.simulator.clear_fault(SimFault.CONTROL_TAKEN)  # the other app lets go


async def _link_drop(c: SimulatedLink, s: Session) -> None:
    await c.simulator.drop_link()


async def _command_fails(c: SimulatedLink, s: Session) -> None:
    await c.simulator.set_fault(SimFault.CONTROL_FAILING)  # the next setpoint is answered 04
    s.skip()


async def _stop_failing(c: SimulatedLink) -> None:
    await c.simulator.clear_fault(SimFault.CONTROL_FAILING)


async def _command_times_out(c: SimulatedLink, s: Session) -> None:
    await c.simulator.set_fault(SimFault.INDICATIONS_LOST)
    s.skip()


async def _indications_back(c: SimulatedLink) -> None:
    await c.simulator.clear_fault(SimFault.INDICATIONS_LOST)


async def _telemetry_silent(c: SimulatedLink, s: Session) -> None:
    await c.simulator.set_fault(SimFault.TELEMETRY_SILENT)


async def _telemetry_back(c: SimulatedLink) -> None:
    await c.simulator.clear_fault(SimFault.TELEMETRY_SILENT)


async def _runaway(c: SimulatedLink, s: Session) -> None:
    await c.simulator.set_fault(SimFault.SPEED_RUNAWAY, runaway_kmh=1.0)  # 9.5, under the cap


async def _runaway_over(c: SimulatedLink) -> None:
    await c.simulator.clear_fault(SimFault.SPEED_RUNAWAY)


async def _console_above_cap(c: SimulatedLink, s: Session) -> None:
    await c.simulator.console_set_speed(12.0)  # the runner's cap is 10 km/h


async def _sustained_zero(c: SimulatedLink, s: Session) -> None:
    await c.simulator.set_fault(SimFault.ZERO_SPEED_FRAMES)


async def _zero_over(c: SimulatedLink) -> None:
    await c.simulator.clear_fault(SimFault.ZERO_SPEED_FRAMES)


async def _nothing(c: SimulatedLink) -> None:
    pass


@dataclass(frozen=True)
class Case:
    trigger: Trigger
    kind: FaultKind
    heal: Callable[[SimulatedLink], Awaitable[None]] = _nothing
    # The stop cannot be confirmed until healed: the runner is told to use the safety key.
    stop_blocked: bool = False


CASES = {
    "stop_input": Case(_stop_input, FaultKind.STOP_INPUT),
    "safety_key": Case(_safety_key, FaultKind.SAFETY_KEY, _put_key_back),
    "console_stop": Case(_console_stop, FaultKind.CONSOLE_STOP),
    "console_pause": Case(_console_pause, FaultKind.CONSOLE_STOP),
    "control_lost": Case(_control_taken, FaultKind.CONTROL_LOST, _release_control, True),
    "link_drop": Case(_link_drop, FaultKind.LINK_DROPPED),
    # A treadmill that fails every procedure fails the Stop too.
    "command_fails": Case(_command_fails, FaultKind.COMMAND_FAILED, _stop_failing, True),
    "command_times_out": Case(_command_times_out, FaultKind.COMMAND_FAILED, _indications_back),
    # Without frames the belt cannot be seen standing still: unconfirmed until they come back.
    "telemetry_silent": Case(_telemetry_silent, FaultKind.STALE_TELEMETRY, _telemetry_back, True),
    "speed_runaway": Case(_runaway, FaultKind.OVERSPEED, _runaway_over),
    "above_cap": Case(_console_above_cap, FaultKind.ABOVE_CAP),
    "sustained_zero": Case(_sustained_zero, FaultKind.BELT_STOPPED, _zero_over),
}


@fake_time
@pytest.mark.parametrize("name", list(CASES))
async def test_fault(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    record = tmp_path / "session.jsonl"
    events = Recorder()
    loop = asyncio.get_running_loop()
    async with (
        link(telemetry_hz=4.0) as connection,
        SafetyGuard(connection.link, settings=GuardSettings(cap_kmh=10.0)) as guard,
    ):
        sim = connection.simulator
        watch = Watch(sim)
        session = Session(guard, matrix_stage(tmp_path), on_fault="pause")
        session.subscribe(events)
        # What the belt really did at each of the two facts: the simulator's word, not ours.
        belt_at: dict[str, float] = {}

        def facts(event: Event) -> None:
            if isinstance(event, StopAccepted | BeltStopped):
                belt_at.setdefault(event.kind, sim.belt_speed_kmh)

        session.subscribe(facts)
        with EventLog(record) as log:
            session.subscribe(log.write)
            run = loop.create_task(session.run())
            # Fault in the middle of the first run segment, the belt at 8.5 km/h.
            await events.first(lambda e: isinstance(e, SegmentStarted) and e.index == 1)
            await sim.wait_for(lambda s: s.belt_speed_kmh == 8.5, timeout=30)
            await case.trigger(connection, session)

            fault = await events.first(lambda e: isinstance(e, Fault) and e.latched)
            assert isinstance(fault, Fault)
            fault_at = loop.time()
            assert fault.fault == case.kind.value
            assert session.guard.latched is case.kind

            # stopped: confirmed, and the belt really comes to rest
            if case.stop_blocked:
                await events.first(lambda e: isinstance(e, StopUnconfirmed))
                await case.heal(connection)
            await events.first(lambda e: isinstance(e, BeltStopped))
            assert belt_at["belt_stopped"] == 0.0, "belt_stopped while the belt still moved"
            assert "stop_accepted" in belt_at, "belt_stopped without the treadmill accepting"
            if name == "link_drop":  # the guard reconnected by itself to send the stop
                await events.first(lambda e: isinstance(e, Reconnected))
            await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0, timeout=30)

            # no rise: refused locally, and nothing reached the treadmill
            with pytest.raises(InterlockError):
                await guard.start()
            with pytest.raises(InterlockError):
                await guard.set_speed(9.0)
            with pytest.raises(InterlockError):
                await guard.set_incline(2.0)
            assert not session.skip(), "a skip while latched must be refused, not queued"
            assert not session.resume(), "resume must not acknowledge"
            if not case.stop_blocked:
                await case.heal(connection)
            await asyncio.sleep(5)  # fake time: five seconds of the belt standing still
            ack_at = loop.time()
            assert watch.rises(fault_at, ack_at) == []
            if name == "link_drop":  # never replays setpoints after reconnecting
                assert watch.speeds(fault_at) == []
            assert not [e for e in events if isinstance(e, SetpointSent) and e.at > fault.at]

            # ease in: the runner acknowledges; the first speed is not above the belt's
            assert session.acknowledge(), [
                e for e in events if not type(e).__name__.startswith("Tele")
            ][-12:]
            await events.first(lambda e: isinstance(e, Acknowledged))
            assert session.resume()
            await events.first(lambda e: isinstance(e, SetpointSent) and e.at > fault.at)
            first_speed = watch.speeds(ack_at)[0]
            assert first_speed.data[1:] and int.from_bytes(
                first_speed.data[1:], "little"
            ) / 100 <= (first_speed.belt_kmh + 0.005)
            session.stop("end of test")
            await run

    # record: on disk, line by line
    kinds = [json.loads(line) for line in record.read_text().splitlines()]
    assert any(k["event"] == "fault" and k["fault"] == case.kind.value for k in kinds)
    assert any(k["event"] == "stop_accepted" for k in kinds)
    assert any(k["event"] == "belt_stopped" for k in kinds)
    assert kinds[-1]["event"] == "finished"
