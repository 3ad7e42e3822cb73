"""The session's account (treadlink.session.account), rule by rule, on hand-written event streams
in their JSON form: distance across counter resets and stray frames, the timer across stops and
pauses, the plan's end at the stop that ended it, a lone 0 km/h frame."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treadlink.session.account import SessionAccount


def frame(at: float, distance: int | None, speed: float = 5.5) -> dict[str, Any]:
    return {"event": "telemetry", "at": at, "speed_kmh": speed, "distance_m": distance}


def segment(at: float) -> dict[str, Any]:
    return {"event": "segment_started", "at": at}


def runner_stop(at: float) -> list[dict[str, Any]]:
    """Space: the guard's stop and latched fault, then the engine holds the plan."""
    return [
        {"event": "stop_requested", "at": at, "reason": "runner's key"},
        {"event": "fault", "at": at, "fault": "stop_input", "message": "runner's key",
         "latched": True},
        {"event": "paused", "at": at, "reason": "runner's key"},
    ]  # fmt: skip


def account_of(events: list[dict[str, Any]]) -> SessionAccount:
    account = SessionAccount()
    account({"event": "session_started", "at": 0.0})
    for event in events:
        account(event)
    return account


def test_a_counter_reset_on_stop_keeps_the_distance_and_counts_on_from_zero() -> None:
    account = account_of(
        [frame(0.0, 0), segment(1.0), frame(60.0, 970), *runner_stop(60.0), frame(70.0, 990),
         frame(80.0, 0, 0.0),  # started again: the treadmill's new workout counts from 0
         frame(81.0, 0, 1.0), frame(90.0, 20)]
    )  # fmt: skip
    assert account.distance_m == 990 + 20


def test_a_lone_frame_whose_counter_drops_and_comes_back_is_no_reset() -> None:
    account = account_of([frame(0.0, 0), frame(100.0, 500), frame(100.5, 0), frame(101.0, 502)])
    assert account.distance_m == 502
    # ...whereas a counter that climbs back slowly is a new workout, counted from 0.
    account = account_of([frame(0.0, 0), frame(100.0, 6), frame(100.5, 3), frame(101.0, 8)])
    assert account.distance_m == 6 + 8


def test_a_reset_in_the_last_frame_still_counts() -> None:
    account = account_of([frame(0.0, 0), frame(10.0, 30), frame(11.0, 2),
                          {"event": "finished", "at": 12.0}])  # fmt: skip
    assert account.distance_m == 32


def test_a_lone_zero_speed_frame_is_not_a_stop_but_two_are() -> None:
    account = account_of([frame(0.0, 0, 8.5), frame(0.5, 1, 0.0)])
    assert account.belt_kmh == 8.5
    account(frame(1.0, 2, 8.5))
    assert account.belt_kmh == 8.5
    account(frame(1.5, 2, 0.0))
    account(frame(2.0, 2, 0.0))
    assert account.belt_kmh == 0.0


def test_after_a_stop_a_zero_frame_is_believed_at_once() -> None:
    account = account_of([frame(0.0, 0, 3.0), *runner_stop(1.0), frame(1.5, 1, 0.0)])
    assert account.belt_kmh == 0.0


def test_the_timer_stands_through_a_stop_and_runs_again_after_the_resume() -> None:
    account = account_of(
        [segment(2.0), *runner_stop(62.0),
         {"event": "resumed", "at": 100.0, "paused_s": 30.0}]  # the plan held 30 s
    )  # fmt: skip
    assert account.timer_s(62.0) == 60.0
    assert account.timer_s(80.0) == 60.0  # held
    assert account.timer_s(110.0) == 110.0 - 2.0 - 30.0
    (hold,) = account.holds
    assert (hold.start_s, hold.end_s, hold.kind) == (62.0, 92.0, "stop")


def test_the_plan_ends_at_the_stop_that_ended_it_not_at_an_earlier_resumed_one() -> None:
    account = account_of(
        [segment(0.0), *runner_stop(50.0), {"event": "resumed", "at": 70.0, "paused_s": 20.0},
         {"event": "stop_requested", "at": 200.0, "reason": "end of plan"},
         {"event": "finished", "at": 210.0}]
    )  # fmt: skip
    assert account.ended_s == 200.0
    assert account.timer_s(210.0) == 200.0 - 20.0


def test_a_stop_never_resumed_is_the_end_not_a_hold() -> None:
    account = account_of(
        [segment(0.0), *runner_stop(50.0),
         {"event": "stop_requested", "at": 80.0, "reason": "runner quit"},
         {"event": "finished", "at": 85.0}]
    )  # fmt: skip
    assert account.ended_s == 50.0
    assert account.holds == []
    assert account.timer_s(85.0) == 50.0


def test_a_pause_and_a_fault_are_told_apart() -> None:
    account = account_of(
        [segment(0.0), {"event": "paused", "at": 10.0, "reason": "runner's key"},
         {"event": "resumed", "at": 20.0, "paused_s": 10.0},
         {"event": "stop_requested", "at": 30.0, "reason": "safety key"},
         {"event": "fault", "at": 30.0, "fault": "safety_key", "message": "safety key out",
          "latched": True},
         {"event": "paused", "at": 30.0, "reason": "safety key out"},
         {"event": "resumed", "at": 50.0, "paused_s": 20.0}]
    )  # fmt: skip
    assert [(h.kind, h.reason) for h in account.holds] == [
        ("pause", "runner's key"),
        ("fault", "safety key out"),
    ]


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], float]:
    """Frames whose counter climbs, now and then starts again from 0 (a new workout), and now and
    then reads 0 for one frame (a stray one); returns them and the distance really covered."""
    events: list[dict[str, Any]] = []
    at, reading, covered = 0.0, draw(st.integers(0, 5000)), 0.0
    events.append(frame(at, reading))
    for _ in range(draw(st.integers(1, 80))):
        at += draw(st.sampled_from([0.1, 0.25, 0.5, 1.0]))
        step = draw(st.integers(0, 3))
        match draw(st.sampled_from(["on"] * 18 + ["reset", "stray"])):
            case "reset" if reading > 50:
                reading = 0
            case "stray" if reading > 50:
                events.append(frame(at, 0))  # no movement counted: the next frame comes back
                at += 0.1
        reading += step
        covered += step
        events.append(frame(at, reading))
    return events, covered


@settings(derandomize=True, max_examples=300, deadline=None)
@given(streams())
def test_the_distance_is_what_the_belt_covered_and_never_goes_back(
    stream: tuple[list[dict[str, Any]], float],
) -> None:
    events, covered = stream
    account = account_of([])
    seen: list[float] = []
    for event in events:
        account(event)
        seen.append(account.distance_m)
    account({"event": "finished", "at": events[-1]["at"] + 1})
    assert account.distance_m == pytest.approx(covered)
    assert seen == sorted(seen)
