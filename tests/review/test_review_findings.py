"""Review findings: each test fails on the code as reviewed (branch `review`)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from tests.conftest import fake_time, link
from tests.session.test_engine import stage, write_stage
from treadlink.safety.faults import FaultKind
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink_sim.faults import Fault as SimFault


@fake_time
async def test_one_quit_after_a_fault_still_waits_for_the_belt() -> None:
    """With no terminal (on_fault="end") a fault ends the session and the guard keeps stopping.
    The runner's (or the service manager's) FIRST SIGTERM/q must keep waiting for the belt, as
    README promises ("Ctrl-C and SIGTERM stop the belt and wait for it (again: leave anyway)").
    Here the first quit() gives up at once and run() returns "may be running" (exit 3) while
    the treadmill, healed two seconds later, would have stopped the belt."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, stage(1), on_fault="end")
        loop = asyncio.get_running_loop()

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh > 3.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)  # the Stop is answered 04...
            guard.trip(FaultKind.STOP_INPUT, "test fault")
            await asyncio.sleep(1.0)
            session.quit("SIGTERM")  # ...and the runner's first SIGTERM arrives
            await asyncio.sleep(2.0)
            await sim.clear_fault(SimFault.CONTROL_FAILING)  # the treadmill obeys again

        task = loop.create_task(scenario())
        finished = await session.run()
        await task
    assert finished.belt == "stopped", "the first quit after a fault gave up waiting for the belt"


def test_only_the_in_process_simulator_gets_a_sped_up_guard() -> None:
    """`run --sim tcp-client:… --speedup 30` once sped the guard up over a belt on real time
    (the standalone simulator has no time scale; a transport may reach a real controller), and
    "belt stopped" was said while it turned at 4.4 km/h. Only the in-process simulator, whose
    belt runs on the session's scaled time, gets the scaled watches."""
    from treadlink.app.connection import IN_PROCESS, Target
    from treadlink.config import RunnerProfile
    from treadlink.safety.guard import GuardSettings

    profile = RunnerProfile()
    plain = GuardSettings(cap_kmh=profile.max_speed, cap_incline_pct=profile.max_incline)
    for sim in ("tcp-client:127.0.0.1:9100", None):
        assert Target(sim=sim, speedup=30.0).guard_settings(profile) == plain
    assert Target(sim=IN_PROCESS, speedup=30.0).guard_settings(profile) == plain.sped_up(30.0)


@fake_time
async def test_at_end_pause_refused_by_the_treadmill_is_not_reported_as_paused(
    tmp_path: Path,
) -> None:
    """`treadlink run --at-end pause`: the treadmill answers the Pause 04 (operation failed);
    Session._leave suppresses the CommandError and returns belt="paused", the CLI prints
    "session completed ... belt paused" and exits 0, and the guard (which never hears of a
    failed Pause: Commands.pause is not `_reported`) does not latch or keep stopping. Black box:
    report `13.76 control 5.5 ... running ['08 02 -> operation failed']`, final line
    `belt_speed_kmh 5.5, mode running`, treadlink exit 0."""
    timeline = write_stage(tmp_path, "name: t\nitems:\n  - walk: 0:20\n")
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator

        async def fail_late() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)  # every command answered 04 now

        task = asyncio.get_running_loop().create_task(fail_late())
        run = asyncio.get_running_loop().create_task(Session(guard, timeline, at_end="pause").run())
        await task
        await asyncio.sleep(40)  # past the end of the plan and its refused Pause
        assert not run.done(), "the session ended (as 'paused') with the belt running"
        assert guard.latched is not None and guard.stopping
        await sim.clear_fault(SimFault.CONTROL_FAILING)  # the treadmill takes the Stop now
        finished = await run
        moving = sim.belt_speed_kmh
    assert finished.belt == "stopped" and moving == 0.0, (finished, moving)


@fake_time
async def test_a_pause_the_treadmill_refuses_is_not_silently_swallowed() -> None:
    """The runner pauses (key p / MQTT pause); the treadmill refuses the Pause (04). Session._hold
    suppresses the error, the plan shows "paused", and nothing latches, stops or warns: the belt
    keeps running at the segment's speed with the plan held, for as long as the runner waits."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, stage(1), on_fault="pause")

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)
            assert session.pause("runner")
            await asyncio.sleep(30.0)
            belt = sim.belt_speed_kmh
            latched, stopping = guard.latched, guard.stopping
            await sim.clear_fault(SimFault.CONTROL_FAILING)
            session.quit()
            assert belt == 0.0 or latched is not None or stopping, (
                f"plan paused for 30 s, belt at {belt} km/h, guard neither latched nor stopping"
            )

        task = asyncio.get_running_loop().create_task(scenario())
        await session.run()
        await task


@fake_time
async def test_belt_stopped_needs_the_treadmill_to_accept_the_stop() -> None:
    """Kills the surviving mutant `if not (self.stop_accepted and at_rest)` ->
    `if not (at_rest)` in SafetyGuard._watch_stopping: the treadmill refuses every Stop (04), so
    the stop is never accepted and belt_stopped must never be said, even though the frames read
    0 km/h with no distance gained (the belt was idle: "a speed reading alone never confirms
    anything")."""
    from treadlink.safety.events import BeltStopped, StopAccepted

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        said: list[object] = []
        guard.subscribe(
            lambda e: said.append(e) if isinstance(e, BeltStopped | StopAccepted) else None
        )
        await guard.request_control()
        await sim.set_fault(SimFault.CONTROL_FAILING)
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(20.0)
        assert sim.belt_speed_kmh == 0.0
        assert not said and not guard.belt_stopped, f"said {said} with every Stop refused"


@fake_time
async def test_a_console_speed_change_during_the_ease_in_is_not_fought(tmp_path: Path) -> None:
    """Contract 5 (the console wins) after an acknowledgement: the runner lowers the speed on the
    console while the belt eases back in. Session._ease_in keeps stepping up regardless (it
    never looks at the pause the ConsoleOverride asked for), and _run_step then sends the
    segment's setpoint after _hold returns, before it notices the new pause: the belt is driven
    back up above what the runner just chose on the console."""
    timeline = write_stage(tmp_path, "name: t\nitems:\n  - walk: 10:00\n")
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline, on_fault="pause")
        loop = asyncio.get_running_loop()
        console_at: list[float] = []

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            assert session.emergency_stop("test")
            await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0)
            await asyncio.sleep(5.0)
            assert session.acknowledge()
            assert session.resume()
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 2.5)  # easing in
            await sim.console_set_speed(2.0)  # the runner: slower, please
            console_at.append(loop.time())
            await asyncio.sleep(15.0)
            session.stop("end of test")

        task = loop.create_task(scenario())
        await session.run()
        await task
        later = [
            r
            for r in sim.control_point_log
            if r.at > console_at[0] and r.data[:1] == b"\x02"  # Set Target Speed
        ]
    assert not later, f"speed written after the console change: {[r.data.hex() for r in later]}"


@fake_time
async def test_zero_frames_from_a_belt_restarted_on_the_console_never_confirm_a_stop() -> None:
    """Kills the surviving mutant that drops the distance check from
    SafetyGuard._watch_stopping (`at_rest = speed <= _STILL and True`): frames read 0 km/h (the
    firmware glitch), the stop is accepted, then the treadmill refuses the later Stops and the
    runner starts the belt again on the console (status 04, which the guard does not act on).
    Only the distance shows the belt moving; the guard must not say belt_stopped while it turns."""
    from treadlink.safety.events import BeltStopped, StopAccepted

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        belt_at: list[float] = []
        accepted = asyncio.get_running_loop().create_future()

        def facts(event: object) -> None:
            if isinstance(event, BeltStopped):
                belt_at.append(sim.belt_speed_kmh)
            if isinstance(event, StopAccepted) and not accepted.done():
                accepted.set_result(None)

        guard.subscribe(facts)
        await guard.request_control()
        await guard.start()
        await guard.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.0)
        await sim.set_fault(SimFault.ZERO_SPEED_FRAMES)  # sustained 0 km/h: the guard stops
        await accepted
        await sim.set_fault(SimFault.CONTROL_FAILING)  # later Stops refused (answered 04)
        await asyncio.sleep(2.0)
        await sim.console_start()  # the runner walks on, from the console
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 0.5)
        await asyncio.sleep(20.0)
        assert sim.belt_speed_kmh > 0.5
    assert all(at == 0.0 for at in belt_at), f"belt_stopped said with the belt at {belt_at} km/h"


@fake_time
async def test_belt_stopped_takes_three_frames_at_rest_on_a_slow_telemetry_rate() -> None:
    """Kills the surviving mutant `still_frames: int = 3` -> `1`: docs/safety.md promises the
    belt is stopped only over >= 3 frames at rest; at 4 Hz the 1 s window hides the count, so
    the treadmill here sends one frame a second."""
    from treadlink.safety.events import BeltStopped, StopAccepted
    from treadlink.treadmill.state import Telemetry

    async with link(telemetry_hz=1.0) as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        said: list[BeltStopped] = []
        at_rest: list[float] = []  # frames at 0 km/h since the stop was accepted, counted here
        counted_when_said: list[int] = []

        def on_guard(e: object) -> None:
            if isinstance(e, StopAccepted):
                at_rest.clear()
            if isinstance(e, BeltStopped):
                said.append(e)
                counted_when_said.append(len(at_rest))

        def on_frame(e: object) -> None:
            if isinstance(e, Telemetry) and guard.stop_accepted and e.state.speed_kmh == 0.0:
                at_rest.append(e.state.speed_kmh)

        guard.subscribe(on_guard)
        guard.treadmill.subscribe(on_frame)
        await guard.request_control()
        await guard.start()
        await guard.set_speed(2.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 2.0)
        guard.stop("test")
        assert await guard.wait_belt_stopped(timeout=30)
    assert said and said[0].frames >= 3, said
    # The guard hears each frame first: the one that completes the window is not counted yet.
    assert counted_when_said and counted_when_said[0] + 1 >= 3, counted_when_said


@fake_time
async def test_a_stop_loop_cancelled_from_outside_is_started_again() -> None:
    """guard.py `_stop_loop_ended` says "Cancelled from outside, or a BaseException got through:
    never leave a stop undone", but returns early on `task.cancelled()`, so the restart (and
    its `why = "cancelled"` branch) is dead code: a CancelledError that escapes one Stop
    attempt (a Bluetooth stack that cancels the pending write when the link drops, without
    the bumble backend's translation) ends the loop for good while `stopping` stays True;
    no Stop is written again, even after a reconnect."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        await guard.request_control()
        await guard.start()
        await guard.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.0)
        await sim.set_fault(SimFault.CONTROL_FAILING)  # every Stop refused: the loop goes on
        guard.trip(FaultKind.STOP_INPUT, "test")
        await asyncio.sleep(1.0)
        task = guard._stop.loop_task
        assert task is not None and not task.done()
        task.cancel()
        cancelled_at = asyncio.get_running_loop().time()
        await asyncio.sleep(3.0)
        assert guard.stopping
        stops = [r for r in sim.control_point_log if r.at > cancelled_at and r.data == b"\x08\x01"]
        await sim.clear_fault(SimFault.CONTROL_FAILING)
        guard.stop("end of test")
        await guard.wait_belt_stopped(timeout=30)
    assert len(stops) >= 8, f"{len(stops)} Stop writes in the 3 s after the loop was cancelled"


@fake_time
async def test_a_second_drop_right_after_reconnecting_is_reconnected_too() -> None:
    """SafetyGuard._reconnect emits Reconnected, then awaits request_control(). A drop in that
    window trips again and calls _start_reconnecting(), which returns because the (finishing)
    reconnect task is not done yet; that task then ends (its request_control fails with LinkLost,
    suppressed) and nothing reconnects any more: the stop loop gets LinkLost forever and never
    writes a Stop to a belt that keeps running (a link at the edge of range does this)."""
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
async def test_acknowledge_is_refused_until_the_belt_is_seen_stopped() -> None:
    """Kills the surviving mutant that drops the `belt_stopped` check from
    SafetyGuard._why_not_acknowledge: the treadmill has accepted the Stop but the belt is still
    running down from 8 km/h; acknowledging now must be refused."""
    from treadlink.safety.events import StopAccepted

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        accepted = asyncio.get_running_loop().create_future()
        guard.subscribe(
            lambda e: (
                accepted.set_result(None)
                if isinstance(e, StopAccepted) and not accepted.done()
                else None
            )
        )
        await guard.request_control()
        await guard.start()
        await guard.set_speed(8.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 8.0)
        guard.trip(FaultKind.STOP_INPUT, "test")
        await accepted
        assert sim.belt_speed_kmh > 1.0
        verdict = guard.acknowledge()
        assert not verdict, "acknowledged while the belt was still running down"
        assert await guard.wait_belt_stopped(timeout=30)


@fake_time
async def test_a_second_quit_leaves_while_the_stop_is_unconfirmed() -> None:
    """Kills the surviving mutant where Session.quit never sets _gave_up: with every Stop refused,
    the runner's second q/Ctrl-C must end run() with belt="may be running" (exit 3)."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, stage(1), on_fault="pause")

        async def scenario() -> None:
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 3.0)
            await sim.set_fault(SimFault.CONTROL_FAILING)
            assert session.quit("q")
            await asyncio.sleep(5.0)
            assert session.quit("q")

        task = asyncio.get_running_loop().create_task(scenario())
        async with asyncio.timeout(120):
            finished = await session.run()
        await task
        await sim.clear_fault(SimFault.CONTROL_FAILING)
        guard.stop("end of test")
        await guard.wait_belt_stopped(timeout=30)
    assert finished.belt == "may be running"


@fake_time
async def test_silent_telemetry_from_a_belt_started_on_the_console_is_a_fault() -> None:
    """Kills the surviving mutant `if speed > _STILL or self._running:` -> `if self._running:`
    in SafetyGuard._on_frame: a belt the runner started on the console (no Start from us) goes
    silent; the guard must latch on stale telemetry and stop it."""
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        await guard.request_control()
        await sim.console_start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 0.5)
        await asyncio.sleep(1.0)
        await sim.set_fault(SimFault.TELEMETRY_SILENT)
        await asyncio.sleep(5.0)
        assert guard.latched == FaultKind.STALE_TELEMETRY
        await sim.clear_fault(SimFault.TELEMETRY_SILENT)
        assert await guard.wait_belt_stopped(timeout=30)


@fake_time
async def test_the_guard_refuses_a_first_speed_above_the_belt_after_an_acknowledgement() -> None:
    """Kills the surviving mutant that turns off the ease-in check in SafetyGuard.refusal: the
    Session eases in by itself, so nothing tested the guard's own refusal of a first speed above
    the belt's after an acknowledgement (docs/safety.md: "the guard refuses it otherwise")."""

    from treadlink.safety.faults import InterlockError

    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        await guard.request_control()
        await guard.start()
        await guard.set_speed(6.0)
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 6.0)
        guard.trip(FaultKind.STOP_INPUT, "test")
        assert await guard.wait_belt_stopped(timeout=30)
        assert guard.acknowledge()
        await guard.start()
        await sim.wait_for(lambda s: s.belt_speed_kmh >= 1.0)
        with pytest.raises(InterlockError):
            await guard.set_speed(8.0)
        guard.stop("end of test")
        assert await guard.wait_belt_stopped(timeout=30)


@fake_time
async def test_a_fault_during_the_ease_in_holds_the_plan_again(tmp_path: Path) -> None:
    """With a terminal (on_fault="pause") a fault holds the plan for the runner. A second fault
    while the belt eases back in after the first acknowledgement used to end the session: the
    ease-in's wait for the belt failed with SessionAborted out of _hold, and run() took it as
    the end. It must hold again, and the runner can acknowledge and go on."""
    timeline = write_stage(tmp_path, "name: t\nitems:\n  - walk: 10:00\n")
    async with link() as connection, SafetyGuard(connection.link) as guard:
        sim = connection.simulator
        session = Session(guard, timeline, on_fault="pause")
        loop = asyncio.get_running_loop()
        run = loop.create_task(session.run())

        async def fault_and_acknowledge() -> None:
            assert session.emergency_stop("test")
            await sim.wait_for(lambda s: s.belt_speed_kmh == 0.0)
            await guard.wait_belt_stopped()
            assert session.acknowledge()
            assert session.resume()

        async with asyncio.timeout(300):  # session seconds (fake time)
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)
            await fault_and_acknowledge()
            await sim.wait_for(lambda s: 0.0 < s.belt_speed_kmh < 5.0)  # easing in
            await fault_and_acknowledge()  # the second fault, during the ease-in
            assert not run.done(), "a fault during the ease-in ended the session"
            await sim.wait_for(lambda s: s.belt_speed_kmh >= 5.0)  # eased in again
            session.stop("end of test")
            finished = await run
    assert finished.belt == "stopped"


@fake_time
async def test_a_new_stop_right_after_the_last_one_ended_raises_no_false_alarm() -> None:
    """A stop asked for between the old stop loop's return and its done callback started a new
    loop; the old loop's callback then saw `stopping` and reported "stop loop restarted" (a Fault
    on the runner's screen) for a loop that had ended as it should."""
    from tests.safety.test_guard_units import rig

    async with rig() as r:
        await r.run_at(6.0)
        r.guard.trip(FaultKind.STOP_INPUT, "first press")
        old = r.guard._stop.loop_task
        assert old is not None
        await r.stopped()
        async with asyncio.timeout(10):
            # Polled a loop turn at a time on purpose: the stop must come after the loop's
            # return and before its done callback, which awaiting the task cannot do.
            while not old.done():  # noqa: ASYNC110
                await asyncio.sleep(0)
        r.guard.trip(FaultKind.STOP_INPUT, "second press")
        async with asyncio.timeout(60):
            await r.guard.wait_belt_stopped()
        alarms = r.restart_alarms()
    assert not alarms, f"false alarm: {alarms}"


@fake_time
async def test_stop_refused_and_control_refused_keep_the_stop_loop_going() -> None:
    """Another device holds control: every Stop is answered 05 (control not permitted) and the
    Request Control sent to get it back is refused too. That refusal is part of an attempt;
    it must not end the stop loop (which would then be restarted with a false alarm)."""
    from tests.safety.test_guard_units import rig

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.CONTROL_TAKEN)
        t = asyncio.get_running_loop().time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(3.0)
        alarms = r.restart_alarms()
        stops = r.wire.stops(t)
    assert not alarms, f"the stop loop died on a refused Request Control: {alarms}"
    assert len(stops) >= 10, f"{len(stops)} Stop writes in 3 s"


@fake_time
async def test_more_stop_presses_while_stopping_keep_one_cadence() -> None:
    """One stop loop at a time: every press (the space bar again, MQTT stop, a second fault)
    while the belt is being stopped joins the loop under way; a second loop would double the
    writes and break the 0.25 s cadence."""
    import itertools

    from tests.safety.test_guard_units import rig

    async with rig() as r:
        await r.run_at(8.0)
        await r.sim.set_fault(SimFault.CONTROL_FAILING)  # every Stop answered 04: stopping goes on
        t0 = asyncio.get_running_loop().time()
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        for _ in range(3):
            await asyncio.sleep(0.6)
            r.guard.stop("MQTT stop")
            r.guard.trip(FaultKind.COMMAND_FAILED, "another fault")
        await asyncio.sleep(3.0 - 1.8)
        stops = r.wire.stops(t0)
        gaps = [b - a for a, b in itertools.pairwise(stops)]
        await r.sim.clear_fault(SimFault.CONTROL_FAILING)
    assert len(stops) == pytest.approx(3.0 / 0.25, abs=1), stops
    assert min(gaps) > 0.2, gaps


@fake_time
async def test_a_belt_exactly_at_the_runners_cap_is_no_fault() -> None:
    """The cap is the highest speed the runner allows: the belt at it is fine, above it is not."""
    from tests.safety.test_guard_units import rig

    async with rig(cap_kmh=8.0) as r:
        await r.run_at(8.0)
        await asyncio.sleep(5.0)
        assert r.guard.latched is None
        await r.sim.console_set_speed(8.1)
        await r.events.first(lambda e: getattr(e, "fault", None) == "above_cap", timeout=10)


@fake_time
async def test_unanswered_stops_raise_no_false_alarm() -> None:
    """Indications lost: every Stop attempt times out ("not answered"). That is the loop's own
    business, logged once; it must not end the loop and be reported as a restart."""
    from tests.safety.test_guard_units import rig

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.INDICATIONS_LOST)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await asyncio.sleep(3.0)
        alarms = r.restart_alarms()
        await r.sim.clear_fault(SimFault.INDICATIONS_LOST)
    assert not alarms, alarms


@fake_time
async def test_control_refused_after_a_reconnect_raises_no_false_alarm() -> None:
    """Back after a drop, the treadmill refuses control (another app took it): the reconnect
    has done its part (the stop loop asks again); it must not end in error and be restarted."""
    from tests.safety.test_guard_units import rig
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


@fake_time
async def test_a_late_success_answer_to_a_stop_counts_as_accepted() -> None:
    """docs/safety.md: "the treadmill answered a Stop with success (a late answer counts)". Every
    answer here comes after the attempt's 0.25 s: the loop's own wait times out each time, and
    only the late answers, heard by the guard as they come, say the stop was accepted."""
    from tests.safety.test_guard_units import rig
    from treadlink.safety.events import StopAccepted

    async with rig() as r:
        await r.run_at(6.0)
        await r.sim.set_fault(SimFault.INDICATIONS_LOST)  # the belt obeys; no answer comes...
        await r.sim.set_fault(SimFault.LATE_ANSWERS, late_s=0.4)  # ...in time, at least
        await r.sim.clear_fault(SimFault.INDICATIONS_LOST)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        accepted = await r.events.first(lambda e: isinstance(e, StopAccepted), timeout=10)
        await r.sim.clear_fault(SimFault.LATE_ANSWERS)
    assert isinstance(accepted, StopAccepted) and accepted.how == "indication"


@fake_time
async def test_a_console_change_right_after_our_own_command_is_the_consoles() -> None:
    """Our own target is echoed by status 05 with its value; another value within the echo
    window is the runner on the console, and the plan must hear of it."""
    from tests.safety.test_guard_units import rig
    from treadlink.safety.events import ConsoleOverride

    async with rig() as r:
        await r.run_at(6.0)
        await r.guard.set_speed(7.0)
        await r.sim.console_set_speed(5.0)  # within the 2 s echo window of our 7.0
        override = await r.events.first(lambda e: isinstance(e, ConsoleOverride), timeout=5)
    assert isinstance(override, ConsoleOverride) and override.speed_kmh == 5.0


@fake_time
async def test_after_a_console_speed_change_overspeed_is_judged_by_the_consoles_target() -> None:
    """The runner takes the belt from 6 to 9 km/h on the console: 9 is the target now. The belt
    at 9 is no overspeed, and a motor that then runs away above 9 is one."""
    from tests.safety.test_guard_units import rig
    from treadlink.safety.events import ConsoleOverride

    async with rig() as r:  # no cap: only the overspeed watch can see the runaway
        await r.run_at(6.0)
        await r.sim.console_set_speed(9.0)
        await r.events.first(lambda e: isinstance(e, ConsoleOverride), timeout=5)
        await r.sim.wait_for(lambda s: s.belt_speed_kmh == 9.0, timeout=30)
        await asyncio.sleep(5.0)
        assert r.guard.latched is None, "the console's own speed taken for an overspeed"
        await r.sim.set_fault(SimFault.SPEED_RUNAWAY, runaway_kmh=3.0)  # 9 → 12 km/h
        await r.events.first(lambda e: getattr(e, "fault", None) == "overspeed", timeout=30)
        assert r.guard.latched is FaultKind.OVERSPEED
        await r.sim.clear_fault(SimFault.SPEED_RUNAWAY)
        await r.stopped()


@fake_time
async def test_a_closed_guard_watches_nothing_and_writes_nothing() -> None:
    """close(): the connection is ending. A belt above the cap after it (the console) is no
    longer the guard's: no fault, no Stop written on a link about to go."""
    from tests.safety.test_guard_units import rig

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
    from tests.safety.test_guard_units import rig

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
    from tests.safety.test_guard_units import rig
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
            r.guard.stopping = False  # only so that the failing test can end
            released.set()
            pytest.fail("close() did not return: the stop loop went on after it")


@fake_time
async def test_close_raises_nothing_when_reconnecting_ends_in_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Closed while reconnecting asks for control, over a transport whose cancelled write raises
    OSError: the task ends in that error, and close() must not pass it to the runner's quit,
    nor leave it to asyncio's "exception was never retrieved"."""

    from tests.safety.test_guard_units import rig
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
    from tests.safety.test_guard_units import rig

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
async def test_reconnecting_that_ends_in_an_error_is_started_again() -> None:
    """Asking for control after a reconnect raised OSError (a transport failing under the
    write): the reconnect task ends in it; the guard starts it again and tells the runner."""
    from tests.safety.test_guard_units import rig
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
async def test_close_cancelled_by_its_caller_still_ends_reconnecting() -> None:
    """Review: the caller's cancel (a second Ctrl-C, a shutdown timeout) landed while close()
    waited for the stop loop, and the reconnect task, never cancelled, brought the link back
    after close(). The cancel gets through, and both tasks are cancelled first."""
    from tests.safety.test_guard_units import rig
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
    """Review: a transport turned close()'s cancel of a connect into OSError; reconnecting
    logged it as a failed attempt and slept out its backoff (5 s here) before it looked at
    `_closing`. It must end at once and never try to connect again."""
    from tests.safety.test_guard_units import rig

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
    """Review: close() must not return while the stop loop's write is still under way."""
    from tests.safety.test_guard_units import rig
    from treadlink.ftms.protocol import OpCode
    from treadlink.safety.stopping import StopPhase

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
    """Review: the stop loop can end in an error at close (control asked back after a 05, the
    write's cancel turned into OSError); its done callback must still look at it."""
    from tests.safety.test_guard_units import rig
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
    from tests.safety.test_guard_units import rig
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


@fake_time
async def test_after_an_acknowledgement_no_speed_goes_above_a_belt_at_rest() -> None:
    """The ease-in's first speed must not exceed the belt's own: with the belt reading 0 km/h,
    not even the treadmill's slowest 1.0 km/h goes out before a Start has it moving."""
    from tests.safety.test_guard_units import rig
    from treadlink.safety.faults import InterlockError

    async with rig() as r:
        await r.run_at(6.0)
        r.guard.trip(FaultKind.STOP_INPUT, "space bar")
        await r.stopped()
        assert r.guard.acknowledge().ok
        with pytest.raises(InterlockError, match="must not exceed the belt's 0 km/h"):
            await r.guard.set_speed(1.0)
