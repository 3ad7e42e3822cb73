"""What each polled FitShow status means in the interface's words, said once, at the poll that
showed it: the safety key (06 01) out and back, a console stop or pause of a moving belt, a
console start out of rest; StopTaken only after a STOP of ours; nothing for our own start."""

from __future__ import annotations

from tests.support.fitshow_driven import Driven, driven
from tests.support.simulated import fake_time
from treadlink.fitshow.protocol import BeltState
from treadlink.treadmill.state import (
    SafetyKeyBack,
    SafetyKeyPulled,
    StartedOnConsole,
    StoppedOnConsole,
    StopTaken,
    Telemetry,
    TreadmillEvent,
)
from treadlink_sim.faults import Fault


async def running(d: Driven) -> None:
    await d.commands.start()
    await d.polled(BeltState.RUNNING)


def said_with_its_poll(d: Driven, event: TreadmillEvent) -> None:
    """`event` carries the time of the poll that showed it (the Telemetry said right after)."""
    events = [e for e, _ in d.heard.events]
    at = getattr(event, "at")  # noqa: B009 - every event has one
    telemetry = next(e for e in events[events.index(event) :] if isinstance(e, Telemetry))
    assert isinstance(at, float) and at == telemetry.at


@fake_time
async def test_every_poll_is_telemetry_with_the_poll_time_and_an_idle_belt_says_nothing() -> None:
    async with driven() as d:
        await d.heard.polls(8)
        telemetry = d.heard.of(Telemetry)
        assert all(isinstance(t.at, float) for t in telemetry)
        assert telemetry == sorted(telemetry, key=lambda t: t.at)
        assert telemetry[-1].state.speed_kmh == 0.0
        assert d.heard.kinds() == []  # no start, no stop taken, no key: an idle belt


@fake_time
async def test_our_start_is_no_console_start_and_a_console_start_after_it_is() -> None:
    async with driven() as d:
        await running(d)
        await d.heard.polls(2)
        assert d.heard.kinds() == []  # our READY: the countdown and the run are ours
        await d.commands.stop()
        await d.polled(BeltState.IDLE)
        await d.sim.console_start()  # the runner presses Start on the console
        await d.polled(BeltState.COUNTDOWN, BeltState.RUNNING)
        await d.heard.polls(2)
        (started,) = d.heard.of(StartedOnConsole)
        said_with_its_poll(d, started)
        assert d.heard.kinds() == [StopTaken, StartedOnConsole]


@fake_time
async def test_a_console_start_out_of_rest_is_said_once() -> None:
    async with driven() as d:
        await d.sim.console_start()
        await d.polled(BeltState.RUNNING)
        await d.heard.polls(2)
        assert [belt for e, belt in d.heard.events if isinstance(e, StartedOnConsole)] == [
            BeltState.COUNTDOWN
        ]


@fake_time
async def test_a_console_stop_of_a_moving_belt_is_stopped_on_console_not_stop_taken() -> None:
    async with driven() as d:
        await running(d)
        await d.sim.console_stop()
        await d.polled(BeltState.IDLE)
        await d.heard.polls(2)
        (stopped,) = d.heard.of(StoppedOnConsole)
        assert stopped.paused is False
        said_with_its_poll(d, stopped)
        assert d.heard.kinds() == [StoppedOnConsole]  # no StopTaken: we wrote no STOP


@fake_time
async def test_a_console_pause_of_a_moving_belt_is_a_paused_console_stop() -> None:
    async with driven() as d:
        await running(d)  # at its lowest speed: the next poll shows it paused
        await d.sim.console_pause()
        await d.polled(BeltState.PAUSED)
        await d.heard.polls(2)
        (stopped,) = d.heard.of(StoppedOnConsole)
        assert stopped.paused is True
        assert [belt for e, belt in d.heard.events if isinstance(e, StoppedOnConsole)] == [
            BeltState.PAUSED
        ]
        assert d.heard.kinds() == [StoppedOnConsole]


@fake_time
async def test_the_safety_key_pulled_and_back_are_each_said_once() -> None:
    async with driven() as d:
        await running(d)
        await d.sim.set_fault(Fault.SAFETY_KEY)
        await d.polled(BeltState.SAFETY_KEY_OUT)
        await d.heard.polls(3)
        (pulled,) = d.heard.of(SafetyKeyPulled)
        said_with_its_poll(d, pulled)
        assert [belt for e, belt in d.heard.events if isinstance(e, SafetyKeyPulled)] == [
            BeltState.SAFETY_KEY_OUT
        ]
        assert not d.heard.of(SafetyKeyBack)  # still out
        await d.sim.clear_fault(Fault.SAFETY_KEY)
        await d.polled(BeltState.IDLE)
        await d.heard.polls(3)
        (back,) = d.heard.of(SafetyKeyBack)
        said_with_its_poll(d, back)
        assert d.heard.kinds() == [StoppedOnConsole, SafetyKeyPulled, SafetyKeyBack] or (
            d.heard.kinds() == [SafetyKeyPulled, SafetyKeyBack]
        )
