"""During the ease-in after a fault, `+`/`-` change where the ease-in goes, never its steps: the
first speed written is not above the belt's, and each later one is at most one step above what
the belt reports when it is written, however fast the keys are pressed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.session import write_stage
from tests.support.simulated import fake_time, link
from treadlink.ftms.protocol import OpCode
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import GuardSettings, SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import BeltStopped, EaseInTarget, Event, Resumed, SegmentStarted

STAGE = 'name: "Run"\nitems:\n  - run: 20:00\n'


@fake_time
async def test_ten_plus_presses_during_the_ease_in_never_skip_a_step(tmp_path: Path) -> None:
    async with link(telemetry_hz=4.0) as connection:
        sim = connection.simulator
        loop = asyncio.get_running_loop()
        writes: list[tuple[float, float]] = []  # (km/h written, the belt's km/h at that moment)

        def on_write(data: bytes) -> None:
            if data[0] == OpCode.SET_TARGET_SPEED:
                writes.append((int.from_bytes(data[1:3], "little") / 100, sim.belt_speed_kmh))

        sim.add_control_point_listener(on_write)
        settings = GuardSettings(cap_kmh=10.0)
        async with SafetyGuard(connection.link, settings=settings) as guard:
            session = Session(guard, write_stage(tmp_path, STAGE), on_fault="pause")
            events: list[Event] = []
            stopped, back = asyncio.Event(), asyncio.Event()

            def listen(event: Event) -> None:
                events.append(event)
                if isinstance(event, BeltStopped):
                    stopped.set()
                if isinstance(event, Resumed):
                    back.set()

            session.subscribe(listen)
            run = loop.create_task(session.run())
            await sim.wait_for(lambda s: s.belt_speed_kmh == 8.5, timeout=60)
            assert [e for e in events if isinstance(e, SegmentStarted)]
            session.emergency_stop("space bar")
            async with asyncio.timeout(60):
                await stopped.wait()
            assert session.acknowledge()
            eased_from = len(writes)
            assert session.resume()
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0, timeout=60)
            await asyncio.sleep(0.5)  # the first ease-in speed is out
            for _ in range(10):
                session.change_speed(+0.5)  # a burst: the cap (10 km/h) refuses the last ones
            async with asyncio.timeout(120):
                await back.wait()
            await sim.wait_for(lambda s: s.belt_speed_kmh == 10.0, timeout=60)
            session.stop("test over")
            await run

        eased = writes[eased_from:]
        assert eased, "nothing eased in"
        first_kmh, belt_then = eased[0]
        assert first_kmh <= belt_then + 0.01
        step = settings.ease_step_kmh
        for kmh, belt in eased[1:]:
            assert kmh <= belt + step + 0.01, (kmh, belt, eased)
        assert eased[-1][0] == 10.0  # where the presses sent it, within the cap
        targets = [e.speed_kmh for e in events if isinstance(e, EaseInTarget)]
        assert targets[:3] == [9.0, 9.5, 10.0]
        assert guard.latched is None or guard.latched is FaultKind.STOP_INPUT
