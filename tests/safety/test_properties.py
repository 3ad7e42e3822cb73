"""Property-based and soak tests of the safety contract, on the virtual-clock loop.

One invariant, watched where it matters — at the treadmill, the moment each control-point write
arrives: between a latched fault and the runner's acknowledgement nothing that starts the belt or
sets a speed or incline reaches it, and the first speed after an acknowledgement is not above the
belt's. Hypothesis drives random sequences of faults, console presses, front-end commands and
acknowledgements; the soak runs hours of sessions with random faults and watches memory too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import itertools
import logging
import os
import random
import tracemalloc
import weakref
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from treadlink.ble.bumble.radio import SimulatedLink, simulated_link
from treadlink.config import RunnerProfile
from treadlink.ftms.protocol import OpCode
from treadlink.plans import TreadmillLimits, load_stage
from treadlink.plans.timeline import Timeline
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    Acknowledged,
    BeltStopped,
    Event,
    Fault,
    Finished,
    StopUnconfirmed,
)
from treadlink.treadmill.errors import CommandError
from treadlink.treadmill.units import SetpointError
from treadlink_sim.clock import VirtualClockLoop
from treadlink_sim.faults import Fault as SimFault

pytestmark = pytest.mark.slow

STAGES = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run"
SHORT = "name: short\nitems:\n  - walk: 1:00\n  - run: 2:00\n  - walk: 1:00\n  - run: 2:00\n"
# What the latch holds back: anything that could start the belt or set a speed or an incline.
_HELD = frozenset({OpCode.START_OR_RESUME, OpCode.SET_TARGET_SPEED, OpCode.SET_TARGET_INCLINATION})


@dataclass
class Monitor:
    """Checks every write at the simulated treadmill against the latch."""

    link: SimulatedLink
    session: Session
    latched_since: float | None = None
    first_speed_pending: bool = False
    violations: list[str] = field(default_factory=list)
    writes: int = 0
    told_unconfirmed: bool = False

    def __post_init__(self) -> None:
        self.session.subscribe(self.on_event)
        self.link.simulator.add_control_point_listener(self.on_write)

    def on_event(self, event: Event) -> None:
        belt = self.link.simulator.belt_speed_kmh
        if isinstance(event, Fault) and event.latched and self.latched_since is None:
            self.latched_since = asyncio.get_running_loop().time()
        elif isinstance(event, Acknowledged):
            self.latched_since = None
            self.first_speed_pending = True
        elif isinstance(event, StopUnconfirmed):
            self.told_unconfirmed = True
        elif isinstance(event, BeltStopped) and belt > 0.0:
            # The simulator's own belt decides, not our events.
            self.violations.append(f"belt_stopped said while the belt ran at {belt} km/h")
        elif isinstance(event, Finished) and event.belt == "stopped" and belt > 0.0:
            self.violations.append(f"finished with the belt 'stopped' at {belt} km/h")

    def on_write(self, data: bytes) -> None:
        self.writes += 1
        if not data or data[0] not in _HELD:
            return
        now = asyncio.get_running_loop().time()
        belt = self.link.simulator.belt_speed_kmh
        # A write issued before the latch arrives within the same instant of loop time.
        if self.latched_since is not None and now > self.latched_since:
            since = self.latched_since
            self.violations.append(f"{data.hex()} at {now:.2f} s, latched since {since:.2f} s")
        if data[0] == OpCode.SET_TARGET_SPEED and self.first_speed_pending:
            self.first_speed_pending = False
            speed = int.from_bytes(data[1:3], "little") / 100
            if speed > belt + 0.005:
                self.violations.append(f"first speed {speed} after acknowledgement, belt {belt}")


def short_stage(tmp: Path) -> Timeline:
    path = tmp / "short.yaml"
    path.write_text(SHORT)
    return load_stage(path, RunnerProfile(), TreadmillLimits())


# --- what a runner, a console, a front end and a faulty treadmill can do ------------------------
SIM_FAULTS = [
    SimFault.SAFETY_KEY,
    SimFault.TELEMETRY_SILENT,
    SimFault.SPEED_RUNAWAY,
    SimFault.CONTROL_TAKEN,
    SimFault.INDICATIONS_LOST,
    SimFault.ZERO_SPEED_FRAMES,
    SimFault.CONTROL_FAILING,
]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.floats(0.1, 40)),
        st.tuples(st.just("fault"), st.sampled_from(SIM_FAULTS)),
        st.tuples(st.just("heal"), st.none()),
        st.tuples(st.just("console"), st.sampled_from(["stop", "pause", "slower", "faster"])),
        st.tuples(st.just("drop_link"), st.none()),
        st.tuples(st.just("estop"), st.none()),
        st.tuples(st.just("resume"), st.none()),
        st.tuples(st.just("pause"), st.none()),
        st.tuples(st.just("skip"), st.none()),
        st.tuples(st.just("speed"), st.integers(10, 100).map(lambda u: u / 10)),
        st.tuples(st.just("start"), st.none()),
    ),
    max_size=14,
)


async def act(name: str, arg: Any, link: SimulatedLink, session: Session) -> None:
    sim = link.simulator
    match name:
        case "wait":
            await asyncio.sleep(arg)
        case "fault":
            runaway = {"runaway_kmh": 1.0} if arg is SimFault.SPEED_RUNAWAY else {}
            await sim.set_fault(arg, **runaway)
        case "heal":
            for fault in list(sim.faults):
                await sim.clear_fault(fault)
        case "console":
            if arg == "stop":
                await sim.console_stop()
            elif arg == "pause":
                await sim.console_pause()
            else:
                await sim.console_set_speed(6.0 if arg == "slower" else 9.5)
        case "drop_link":
            await sim.drop_link()
        case "estop":
            session.emergency_stop("space bar")
        case "resume":
            session.acknowledge()
            session.resume()
        case "pause":
            session.pause()
        case "skip":
            session.skip()
        case "speed" | "start":  # a front end sending its own command
            with contextlib.suppress(CommandError, SetpointError):
                if name == "speed":
                    await session.guard.set_speed(arg)
                else:
                    await session.guard.start()


async def scenario(steps: list[tuple[str, Any]], timeline: Timeline) -> Monitor:
    async with simulated_link(telemetry_hz=2.0) as link, SafetyGuard(link.link) as guard:
        session = Session(guard, timeline, on_fault="pause")
        monitor = Monitor(link, session)
        run = asyncio.get_running_loop().create_task(session.run())
        for name, arg in steps:
            if run.done():
                break
            await act(name, arg, link, session)
        session.stop("end of scenario")
        # The session ends once the belt is seen stopped. A treadmill that will not take the
        # stop keeps it waiting: the runner fixes the treadmill, and failing that, quits.
        for way_out in ("wait", "heal", "quit"):
            if way_out == "heal":
                await act("heal", None, link, session)
            elif way_out == "quit":
                session.quit()
            done, _ = await asyncio.wait([run], timeout=60)
            if done:
                break
        finished = await run
        if finished.belt == "may be running":
            assert monitor.told_unconfirmed, "the runner left without being told"
    return monitor


@given(steps=actions)
# Found by review and pinned: a link drop, then frames that read 0 km/h while the belt runs
# (the guard once took them for a confirmed stop and never wrote Stop after reconnecting)...
@example(steps=[("wait", 80.0), ("drop_link", None), ("fault", SimFault.ZERO_SPEED_FRAMES)])
# ...and a treadmill that refuses every Stop while its frames read 0 (acknowledged anyway).
@example(
    steps=[
        ("wait", 80.0),
        ("fault", SimFault.CONTROL_FAILING),
        ("fault", SimFault.ZERO_SPEED_FRAMES),
        ("estop", None),
        ("wait", 10.0),
        ("resume", None),
        ("wait", 10.0),
    ]
)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_rise_after_a_fault_without_acknowledgement(
    steps: list[tuple[str, Any]], tmp_path_factory: Any
) -> None:
    timeline = short_stage(tmp_path_factory.mktemp("p"))
    loop = VirtualClockLoop()
    try:
        monitor = loop.run_until_complete(scenario(steps, timeline))
    finally:
        loop.close()
    assert monitor.violations == []


# The test runner's own allocations (a pytest-xdist worker's channel, pytest's reports) land in
# the same process while the soak runs; they are not the code under test.
_TEST_RUNNER = ("_pytest", "pluggy", "execnet", "xdist")
# Each is anchored to the package's own directory: a checkout under a folder named like one of
# them must not hide treadlink's own allocations.
_HARNESS = [
    tracemalloc.Filter(False, pattern)
    for pattern in (
        *(os.path.join(importlib.import_module(name).__path__[0], "*") for name in _TEST_RUNNER),
        tracemalloc.__file__,
    )
]


def held() -> tracemalloc.Snapshot:
    """What is still allocated, the test runner's own allocations left out."""
    return tracemalloc.take_snapshot().filter_traces(_HARNESS)


async def soak(sessions: int, seed: int) -> tuple[Monitor, list[tracemalloc.Snapshot]]:
    """`sessions` real stages back to back, each with a random fault, acknowledged or not."""
    rng = random.Random(seed)
    profile = RunnerProfile()
    snapshots: list[tracemalloc.Snapshot] = []
    parts: list[list[weakref.ref[object]]] = []
    monitor: Monitor | None = None
    for n in range(sessions):
        timeline = load_stage(STAGES / f"stage-{1 + n % 15:02d}.yaml", profile)
        async with simulated_link(telemetry_hz=1.0) as link, SafetyGuard(link.link) as guard:
            session = Session(guard, timeline, on_fault="pause")
            pieces = (link.radio, link.simulator, link.link, guard, session)
            parts.append([weakref.ref(piece) for piece in pieces])
            monitor = Monitor(link, session) if monitor is None else _rebind(monitor, link, session)
            run = asyncio.get_running_loop().create_task(session.run())
            await asyncio.sleep(rng.uniform(60, 1500))
            fault = rng.choice([*SIM_FAULTS, "estop", "console", "drop_link"])
            if isinstance(fault, SimFault):
                await act("fault", fault, link, session)
            else:
                await act(fault, "stop", link, session)
            await asyncio.sleep(rng.uniform(5, 60))
            await act("heal", None, link, session)
            await asyncio.sleep(10)
            if rng.random() < 0.7:
                session.acknowledge()
                session.resume()
            await asyncio.sleep(rng.uniform(10, 120))
            session.stop("end of soak session")
            await run
        gc.collect()
        snapshots.append(held())
    assert monitor is not None
    # Every session's radio, simulator, link, guard and session is freed but the last's, checked
    # while the loop still runs: closing it would drop a timer or task that keeps one alive.
    kept = Counter(type(part()).__name__ for session in parts[:-1] for part in session)
    del kept["NoneType"]
    assert not kept, f"still alive after their session: {dict(kept)}"
    return monitor, snapshots


def growth_per_session(snapshots: list[tracemalloc.Snapshot]) -> tuple[list[int], list[str]]:
    """Bytes held after each session less those held after the one before, from the third on,
    and what was left out: a line holding one block, before and after, that grew by a megabyte
    or more (a table the interpreter keeps for the whole process, reallocated)."""
    grew: list[int] = []
    excused: list[str] = []
    for before, after in itertools.pairwise(snapshots[2:]):
        delta = 0
        for stat in after.compare_to(before, "lineno"):
            one_block = stat.count <= 1 and stat.count - stat.count_diff <= 1
            if one_block and stat.size_diff >= 1024 * 1024:
                excused.append(str(stat))
            else:
                delta += stat.size_diff
        grew.append(delta)
    return grew, excused


def _rebind(monitor: Monitor, link: SimulatedLink, session: Session) -> Monitor:
    fresh = Monitor(link, session)
    fresh.violations = monitor.violations
    fresh.writes = monitor.writes
    return fresh


# CPU-bound (about 30 s alone): on a machine whose cores the suite's other workers share, it
# takes longer, so its bound is wider than the suite's, and it starts first.
@pytest.mark.timeout(300)
@pytest.mark.slow(first=True)
def test_soak_hours_of_sessions_with_random_faults() -> None:
    # Log records would pile up in pytest's capture and be counted as ours: not created at all.
    logging.disable(logging.WARNING)
    tracemalloc.start()
    loop = VirtualClockLoop()
    try:
        # This seed leaves 4 of the 10 faults unacknowledged, drops the link 3 times and draws
        # 7 kinds of fault (the one before acknowledged all 10).
        monitor, snapshots = loop.run_until_complete(soak(sessions=10, seed=20261192))
        simulated_h = loop.time() / 3600
    finally:
        loop.close()
        tracemalloc.stop()
        logging.disable(logging.NOTSET)
    assert simulated_h > 3
    assert monitor.violations == []
    assert monitor.writes > 100
    # Memory flat over the last seven sessions. A table the interpreter keeps for the whole
    # process, allocated before tracing began, is counted in full the first time it is
    # reallocated (seen in CI: the interned names, 3.7 MB at a `sys.intern` in pathlib): one
    # such step is forgiven, not two.
    grew, excused = growth_per_session(snapshots)
    where = snapshots[-1].compare_to(snapshots[2], "lineno")[:8]
    assert len(excused) <= 1, f"more than one table reallocated: {excused}"
    assert sum(grew) < 256 * 1024, (
        f"growth in each session: {grew}; left out: {excused}; "
        f"grew most at: {[str(line) for line in where]}"
    )
