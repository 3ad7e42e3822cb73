"""The simulator's FitShow server over the real bumble link, read with treadlink's FitShow codec."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.fitshow_central import FitShowCentral, fitshow_rig
from treadlink.fitshow.frames import Frame, MalformedFrame
from treadlink.fitshow.protocol import QZ_PAUSE, BeltState, Command, Control, Info
from treadlink.fitshow.replies import (
    ControlAck,
    InclineInfo,
    ReadyAck,
    SpeedInfo,
    StatusReply,
    TargetAck,
    Unsupported,
    decode_reply,
)
from treadlink.fitshow.requests import (
    ReadyRequest,
    incline_info_request,
    pause_request,
    ready_request,
    speed_info_request,
    start_request,
    status_request,
    stop_request,
    target_request,
)
from treadlink.fitshow.units import NOBLEPRO_UNITS, STANDARD
from treadlink_sim.faults import Fault
from treadlink_sim.physics import BeltMode
from treadlink_sim.profile import load_profile
from treadlink_sim.scenario import parse_scenario

pytestmark = [pytest.mark.looptime]


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


async def poll_until(central: FitShowCentral, state: BeltState, limit: int = 120) -> StatusReply:
    """Poll every 0.5 s, as the F15's app does, until the console says `state`."""
    for _ in range(limit):
        reply = await central.poll()
        if reply.state is state:
            return reply
        await asyncio.sleep(0.5)
    raise AssertionError(f"the console never said {state}")


async def test_f15_start_sequence_as_the_official_app_saw_it() -> None:
    async with fitshow_rig("fitshow-f15") as (rig, central):
        assert await central.reply(speed_info_request()) == SpeedInfo(120, 8)
        # No incline: the query is echoed without data, byte for byte as the F15 does.
        assert await central.request(incline_info_request()) == hx("02 50 03 53 03")
        assert await central.request(status_request()) == hx("02 51 00 51 03")
        assert await central.request(ready_request()) == hx("02 53 01 05 57 03")
        counted = []
        while (reply := await central.poll()).state is BeltState.COUNTDOWN:
            counted.append(reply.countdown_s)
            await asyncio.sleep(0.5)
        assert sorted(set(counted), reverse=True) == [5, 4, 3, 2, 1]
        assert reply.state is BeltState.RUNNING
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 0.8, timeout=5)
        assert (await central.poll()).values(STANDARD)["speed_kmh"] == 0.8  # its minimum


async def test_f15_takes_no_target_during_its_countdown_and_says_so() -> None:
    async with fitshow_rig("fitshow-f15") as (rig, central):
        assert await central.reply(ready_request()) == ReadyAck(5)
        # The reply is the target actually taken: none yet.
        assert await central.reply(target_request(5.0, None, STANDARD)) == TargetAck(0)
        await poll_until(central, BeltState.RUNNING)
        assert rig.simulator.target_speed_kmh == 0.8
        assert await central.reply(target_request(5.0, None, STANDARD)) == TargetAck(50)
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 5.0, timeout=10)
        assert (await central.poll()).values(STANDARD)["speed_kmh"] == 5.0


async def test_a_console_that_takes_targets_during_the_countdown_starts_at_it() -> None:
    async with fitshow_rig("fitshow-f15", quirks=[]) as (rig, central):
        await central.reply(ready_request())
        assert await central.reply(target_request(3.0, None, STANDARD)) == TargetAck(30)
        await poll_until(central, BeltState.RUNNING)
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 3.0, timeout=10)


async def test_the_console_never_pushes_a_status() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0) as (rig, central):
        await central.reply(ready_request())
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 0.8, timeout=5)
        await asyncio.sleep(10)
        assert central.pending() == []
        assert rig.simulator.fitshow.polls == []
        await central.poll()
        assert len(rig.simulator.fitshow.polls) == 1
        # Polls are not kept as control writes; commands are, with what the console did.
        assert [r.answer for r in rig.simulator.control_point_log] == ["start"]


async def test_noblepro_e8i_counts_incline_in_half_percent_on_ae00() -> None:
    async with fitshow_rig("noblepro-e8i") as (rig, central):
        assert central.transport.service == 0xAE00
        info = await central.reply(incline_info_request())
        assert info == InclineInfo(maximum=30, minimum=0, config=0x02)  # 15 % in 0.5 % units
        assert isinstance(info, InclineInfo)
        assert info.range(NOBLEPRO_UNITS).highest == 15.0
        await central.reply(ready_request())
        await poll_until(central, BeltState.RUNNING)
        sent = target_request(5.0, 4.5, NOBLEPRO_UNITS)
        assert sent == Frame(Command.SYS_CONTROL, hx("02 32 09")).encode()
        assert await central.reply(sent) == TargetAck(50, 9)
        sim = rig.simulator
        assert (sim.target_speed_kmh, sim.target_incline_pct) == (5.0, 4.5)
        await sim.wait_for(lambda s: s.incline_pct == 4.5, timeout=20)
        reply = await central.poll()
        assert reply.workout is not None and reply.workout.incline == 9
        assert reply.values(NOBLEPRO_UNITS)["incline_pct"] == 4.5


async def test_stop_ramps_down_then_idle_and_a_stopped_screen_when_the_profile_has_one() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0, stopped_hold_s=2.0) as (rig, central):
        await central.reply(ready_request())
        await central.reply(target_request(4.0, None, STANDARD))
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 4.0, timeout=10)
        assert await central.reply(stop_request()) == ControlAck(Control.STOP)
        await poll_until(central, BeltState.STOPPING)
        await asyncio.sleep(1)
        stopping = (await central.poll()).values(STANDARD)
        assert stopping["speed_kmh"] == 2.5  # 1.5 km/h/s down: the belt's own speed
        stopped = await poll_until(central, BeltState.STOPPED)
        assert "speed_kmh" not in stopped.values(STANDARD)  # the last speed, not the belt's
        assert stopped.workout is not None and stopped.workout.speed == 40
        await poll_until(central, BeltState.IDLE, limit=6)
        assert rig.simulator.belt_speed_kmh == 0


async def test_pause_is_the_spec_s_0a_and_start_resumes() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0) as (rig, central):
        sim = rig.simulator
        await central.reply(ready_request())
        await sim.wait_for(lambda s: s.belt_speed_kmh == 0.8, timeout=5)
        # QZ's 06 is not a command this console knows: echoed like any other, nothing done.
        assert await central.reply(pause_request(QZ_PAUSE)) == ControlAck(QZ_PAUSE)
        assert sim.running
        assert sim.control_point_log[-1].answer == "echoed: not a command it knows"
        assert await central.reply(pause_request()) == ControlAck(Control.PAUSE)
        await poll_until(central, BeltState.PAUSED)
        assert sim.mode is BeltMode.PAUSED
        assert await central.reply(start_request()) == ControlAck(Control.START)
        await poll_until(central, BeltState.RUNNING)


async def test_qz_pause_profile_pauses_on_06() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0, fitshow_pause_subcommand=6) as (
        rig,
        central,
    ):
        await central.reply(ready_request())
        await rig.simulator.wait_for(lambda s: s.running, timeout=5)
        await central.reply(pause_request(QZ_PAUSE))
        assert rig.simulator.mode is BeltMode.PAUSED


async def test_ready_outside_compatibility_mode_waits_for_start() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=2) as (rig, central):
        waits = ReadyRequest(mode=0x80).encode()
        assert await central.reply(waits) == ReadyAck(2)
        await asyncio.sleep(5)
        reply = await central.poll()
        assert (reply.state, reply.code, rig.simulator.stopped) == (
            BeltState.COUNTDOWN,
            0x09,
            True,
        )
        await central.reply(start_request())
        await poll_until(central, BeltState.RUNNING)


async def test_info_and_unknown_requests_are_answered_as_the_spec_says() -> None:
    async with fitshow_rig("fitshow-f15") as (_, central):
        assert await central.reply(Frame(Command.SYS_INFO, bytes([Info.TOTAL])).encode()) == (
            Unsupported(Command.SYS_INFO, Info.TOTAL)
        )
        assert await central.request(Frame(0x52, b"\x00").encode()) == hx("02 52 00 52 03")
        # Not a frame at all: ignored, and said so in the log.
        await central.unanswered(hx("02 51 50 03"))


async def test_safety_key_is_status_06_01_and_the_console_will_not_start() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0) as (rig, central):
        sim = rig.simulator
        await central.reply(ready_request())
        await central.reply(target_request(6.0, None, STANDARD))
        await sim.wait_for(lambda s: s.belt_speed_kmh == 6.0, timeout=10)
        await sim.set_fault(Fault.SAFETY_KEY)
        reply = await central.poll()
        assert (reply.state, reply.detail) == (BeltState.SAFETY_KEY_OUT, 1)
        assert await central.request(status_request()) == hx("02 51 06 01 56 03")
        for moving in (ready_request(), start_request(), target_request(3.0, None, STANDARD)):
            await central.unanswered(moving)  # the console will not move the belt
        assert await central.reply(stop_request()) == ControlAck(Control.STOP)  # stop wins
        await sim.wait_for(lambda s: s.belt_speed_kmh == 0, timeout=5)
        assert not sim.running
        await sim.clear_fault(Fault.SAFETY_KEY)
        assert (await central.poll()).state is BeltState.IDLE


async def test_console_error_and_sleep() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0) as (rig, central):
        sim = rig.simulator
        await central.reply(ready_request())
        await sim.set_fault(Fault.CONSOLE_ERROR)
        reply = await central.poll()
        assert (reply.state, reply.detail) == (BeltState.ERROR, 1)
        await sim.clear_fault(Fault.CONSOLE_ERROR)
        await sim.set_fault(Fault.SLEEPING)
        assert await central.request(status_request()) == hx("02 51 06 02 55 03")
        await central.unanswered(ready_request())  # Bluetooth cannot wake it
        await sim.clear_fault(Fault.SLEEPING)
        assert (await central.poll()).state is BeltState.IDLE


async def test_telemetry_faults_have_their_fitshow_counterparts() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0) as (rig, central):
        sim = rig.simulator
        await central.reply(ready_request())
        await sim.wait_for(lambda s: s.belt_speed_kmh == 0.8, timeout=5)
        await sim.set_fault(Fault.TELEMETRY_SILENT)
        await central.unanswered(status_request(), timeout=2)  # a silent poll
        await sim.clear_fault(Fault.TELEMETRY_SILENT)
        await sim.set_fault(Fault.ZERO_SPEED_FRAMES)
        assert (await central.poll()).values(STANDARD)["speed_kmh"] == 0.0
        assert sim.belt_speed_kmh == 0.8
        await sim.clear_fault(Fault.ZERO_SPEED_FRAMES)
        await sim.set_fault(Fault.TRAILING_BYTES)
        assert (await central.poll()).extra == hx("de ad be ef")
        await sim.clear_fault(Fault.TRAILING_BYTES)
        await sim.set_fault(Fault.TRUNCATED_TREADMILL_DATA)
        with pytest.raises(MalformedFrame, match="ends with"):
            decode_reply(await central.request(status_request()))


async def test_command_faults_have_their_fitshow_counterparts() -> None:
    async with fitshow_rig("fitshow-f15", countdown_s=0) as (rig, central):
        sim = rig.simulator
        await sim.set_fault(Fault.CONTROL_REFUSED)
        await central.unanswered(ready_request())
        assert not sim.running and sim.control_point_log[-1].answer == "ignored (control refused)"
        await sim.clear_fault(Fault.CONTROL_REFUSED)
        await sim.set_fault(Fault.INDICATIONS_LOST)
        await central.write(ready_request())
        await sim.wait_for(lambda s: s.running, timeout=1)  # done, never answered
        assert central.pending() == []
        assert isinstance(await central.reply(status_request()), StatusReply)  # polls still are
        await sim.clear_fault(Fault.INDICATIONS_LOST)
        await sim.set_fault(Fault.GARBAGE_INDICATION)
        assert await central.request(stop_request()) == hx("42 ff")
        await sim.clear_fault(Fault.GARBAGE_INDICATION)
        await sim.set_fault(Fault.LATE_ANSWERS, late_s=0.75)
        loop = asyncio.get_running_loop()
        asked = loop.time()
        await central.poll()
        assert loop.time() - asked == pytest.approx(0.75, abs=0.05)


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ("control_taken", "no control permission"),
        ("control_failing", "no result codes"),
        ("request_control_unanswered", "no Request Control"),
        ("empty_machine_status", "never pushes a status"),
    ],
)
async def test_faults_without_a_counterpart_are_refused_naming_the_profile(
    fault: str, why: str
) -> None:
    async with fitshow_rig("fitshow-f15") as (rig, _):
        with pytest.raises(ValueError, match=f"'fitshow-f15' \\(FitShow\\): .*{why}"):
            await rig.simulator.set_fault(Fault(fault))
        assert rig.simulator.faults == frozenset()


async def test_a_dual_unit_takes_an_ftms_fault_the_fitshow_side_has_not() -> None:
    async with fitshow_rig("fitshow-mph") as (rig, _):
        await rig.simulator.set_fault(Fault.CONTROL_TAKEN)
        assert rig.simulator.faults == {"control_taken"}


async def test_a_mile_console_reports_its_unit_unless_its_label_lies() -> None:
    honest = {
        "speed_unit": "mph",
        "quirks": [],
        "ftms": False,
        "incline": True,
        "incline_min_pct": 0.0,
        "incline_max_pct": 10.0,
        "incline_step_pct": 1.0,
    }
    async with fitshow_rig("fitshow-mph", **honest) as (rig, central):
        info = await central.reply(incline_info_request())
        assert isinstance(info, InclineInfo) and info.speed_unit == "mph"
        await central.reply(ready_request())
        await poll_until(central, BeltState.RUNNING)
        assert await central.reply(target_request(3.0, None, STANDARD)) == TargetAck(30, 0)
        # The console took 3.0 mph: the true belt runs 4.828 km/h.
        assert rig.simulator.target_speed_kmh == pytest.approx(4.828, abs=0.001)


async def test_the_machine_s_own_faults_and_a_scenario_on_a_fitshow_unit() -> None:
    scenario = parse_scenario(
        [
            {"at": 1, "do": "console_start"},
            {"at": 8, "do": "console_speed", "speed_kmh": 4.0},
            {"at": 20, "do": "set_fault", "fault": "speed_runaway", "runaway_kmh": 1.5},
            {"at": 30, "do": "drop_link"},
        ],
        profile=load_profile("fitshow-f15"),
    )
    async with fitshow_rig("fitshow-f15") as (rig, central):
        sim = rig.simulator
        playing = asyncio.get_running_loop().create_task(scenario.run(sim))
        await asyncio.sleep(7)  # the console's own 5 s countdown, then the belt at its minimum
        assert (await central.poll()).values(STANDARD)["speed_kmh"] == 0.8
        await asyncio.sleep(21)
        # The runaway belt, as the console reports it: 1.5 km/h over the target it took.
        assert (await central.poll()).values(STANDARD)["speed_kmh"] == 5.5
        await sim.wait_for(lambda s: not s.connected, timeout=5)
        assert sim.running and sim.belt_speed_kmh == 5.5  # the belt goes on, as real ones do
        await playing
