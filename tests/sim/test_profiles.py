"""Shipped profiles of real units and the named quirks, over the real bumble link."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from bumble.core import UUID, AdvertisingData

from tests.support.fitshow_central import fitshow_rig
from tests.support.sim_central import RawCentral, connected_rig
from treadlink.ble.bumble.radio import BumbleRadio
from treadlink.fitshow.protocol import BeltState
from treadlink.fitshow.requests import ready_request
from treadlink.ftms.layouts import decode_speed_range, decode_treadmill_data
from treadlink.ftms.protocol import Characteristic as Char
from treadlink.treadmill.units import KM_PER_MILE
from treadlink_sim import gatt
from treadlink_sim.cli import parse_options
from treadlink_sim.physics import BeltMode
from treadlink_sim.profile import ProfileError, load_profile, shipped_profiles
from treadlink_sim.quirks import STRAY_ZERO_EVERY
from treadlink_sim.report import BeltReport
from treadlink_sim.rig import sim_rig
from treadlink_sim.scenario import ScenarioError, parse_scenario

pytestmark = [pytest.mark.looptime]

DATA, STATUS, CP = (
    Char.TREADMILL_DATA,
    Char.FITNESS_MACHINE_STATUS,
    Char.FITNESS_MACHINE_CONTROL_POINT,
)

SERVICES = {
    "noblepro-elite": {0x1826},
    "noblepro-e8i": {0xAE00, 0x1814},
    "noblepro-e10i": {0x1826, 0x1814},
    "fitshow-f15": {0xFFF0},
    "citysports-wp8": {0x1826},
    "fitshow-mph": {0x1826, 0xFFF0},
    "start-toggles": {0x1826},
    "ignores-speed": {0x1826},
    "generic": {0x1826},
}


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


def test_every_shipped_profile_is_listed_here() -> None:
    assert set(shipped_profiles()) == set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_a_profile_serves_and_advertises_its_protocols(name: str) -> None:
    profile = load_profile(name)
    advertised = AdvertisingData.from_bytes(gatt.advertising_data(profile))
    (uuids,) = advertised.get_all(AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS)
    assert set(uuids) == {UUID.from_16_bits(n) for n in SERVICES[name]}  # type: ignore[arg-type]
    assert advertised.get(AdvertisingData.COMPLETE_LOCAL_NAME) == profile.local_name
    async with sim_rig(profile) as rig:
        central = await RawCentral.on_controller(rig.bridge_controller)
        await central.connect(rig.address)
        served = {s.uuid for s in central.peer.services}
        for number in (0x1826, 0xFFF0, 0xFFE0, 0xAE00, 0x1814):
            assert (UUID.from_16_bits(number) in served) == (number in SERVICES[name]), number
        assert UUID.from_16_bits(0x180A) in served


async def test_noblepro_e8i_speaks_fitshow_only_and_adds_cadence() -> None:
    profile = load_profile("noblepro-e8i")
    assert (profile.local_name, profile.model, profile.ftms) == (
        "NOBLEPRO CONNECT",
        "Elite E8i",
        False,
    )
    async with fitshow_rig(profile) as (rig, central):
        rsc = central.central.characteristic(0x2A53)
        measurements: asyncio.Queue[bytes] = asyncio.Queue()
        await central.central.peer.subscribe(rsc, measurements.put_nowait)
        await central.reply(ready_request())
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 1.0, timeout=10)
        while not measurements.empty():  # older frames, the belt still speeding up
            measurements.get_nowait()
        value = bytes(await measurements.get())
        assert value[1:3] == round(1.0 / 3.6 * 256).to_bytes(2, "little")
        assert value[3] == 106  # cadence (QZ reads byte 3): 100 + 6 a km/h, walking


async def test_the_default_ftms_noblepro_is_no_longer_called_e8i() -> None:
    assert load_profile("noblepro-elite").model == "Elite E8.0"


async def test_citysports_frames_as_captured() -> None:
    async with connected_rig("citysports-wp8") as (rig, central):
        assert await central.request(b"\x07") == hx("80 07 01")
        # Machine Status one byte longer than the spec, as the CS-WP8 sends it.
        assert await central.next(STATUS) == hx("04 00")
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 1.0, timeout=5)
        await asyncio.sleep(30)
        central.pending(DATA)
        frame = await central.next(DATA)
        assert frame[:2] == hx("84 24")  # distance, energy, elapsed, vendor steps
        assert frame[9:12] == hx("ff ff ff")  # energy per hour, per minute: not available
        values = decode_treadmill_data(frame).values
        assert values.keys() == {
            "speed_kmh",
            "distance_m",
            "energy_total_kcal",
            "elapsed_time_s",
            "step_count",
        }
        assert values["speed_kmh"] == 1.0 and values["step_count"] > 0  # type: ignore[operator]


async def test_citysports_telemetry_every_480_ms() -> None:
    async with connected_rig("citysports-wp8") as (_, central):
        central.pending(DATA)
        await asyncio.sleep(48)
        assert len(central.pending(DATA)) == 100


async def test_citysports_counters_reset_once_the_belt_rests_after_a_stop() -> None:
    async with connected_rig("citysports-wp8") as (rig, central):
        sim = rig.simulator
        await central.request(b"\x07")
        await central.request(hx("02 2c 01"))  # 3.00 km/h
        await asyncio.sleep(60)
        await central.request(hx("08 01"))
        await sim.wait_for(lambda s: s.belt_speed_kmh == 0, timeout=20)
        await asyncio.sleep(1)
        central.pending(DATA)
        values = decode_treadmill_data(await central.next(DATA)).values
        assert (values["distance_m"], values["elapsed_time_s"], values["step_count"]) == (0, 0, 0)
        assert sim.distance_m > 40  # the report still tells what the belt did


async def test_start_toggles_pauses_a_running_belt_and_every_answer_is_success() -> None:
    async with connected_rig("start-toggles") as (rig, central):
        sim = rig.simulator
        lowest = 0.5 * KM_PER_MILE  # it counts mph: 0.50 "km/h" is 0.8 km/h of belt
        assert await central.request(b"\x07") == hx("80 07 01")
        await sim.wait_for(lambda s: s.belt_speed_kmh == pytest.approx(lowest), timeout=5)
        assert await central.request(b"\x07") == hx("80 07 01")
        assert sim.mode is BeltMode.PAUSED
        await sim.wait_for(lambda s: s.belt_speed_kmh == 0, timeout=5)
        # 99.00 is off its range: answered success, not done.
        assert await central.request(hx("02 ac 26")) == hx("80 02 01")
        assert sim.target_speed_kmh == pytest.approx(lowest)


async def test_ignores_speed_answers_success_and_keeps_its_speed() -> None:
    async with connected_rig("ignores-speed") as (rig, central):
        sim = rig.simulator
        assert await central.request(b"\x07") == hx("80 07 01")
        assert await central.request(hx("02 20 03")) == hx("80 02 01")
        await asyncio.sleep(10)
        assert (sim.target_speed_kmh, sim.belt_speed_kmh) == (0.8, 0.8)
        assert await central.request(hx("03 14 00")) == hx("80 03 01")  # incline does work
        assert sim.target_incline_pct == 2.0


async def test_fitshow_mph_labels_mph_as_kmh_and_the_report_tells_the_truth() -> None:
    async with connected_rig("fitshow-mph") as (rig, central):
        sim = rig.simulator
        speeds = decode_speed_range(await central.read(Char.SUPPORTED_SPEED_RANGE))
        assert str(speeds) == "0.6–3.8 km/h in steps of 0.1"  # mph, says km/h
        out = io.StringIO()
        report = BeltReport(sim, out)
        report.start()
        assert await central.request(b"\x07") == hx("80 07 01")
        await central.request(hx("02 2c 01"))  # "3.00 km/h"
        await sim.wait_for(lambda s: s.running, timeout=5)
        await sim.wait_for(lambda s: s.belt_speed_kmh > 4.8, timeout=10)
        assert sim.belt_speed_kmh == pytest.approx(4.828, abs=0.001)
        central.pending(DATA)
        assert decode_treadmill_data(await central.next(DATA)).values["speed_kmh"] == 3.0
        await asyncio.sleep(1.5)
        report._write("tick")
        last = json.loads(out.getvalue().splitlines()[-1])
        assert (last["belt_speed_kmh"], last["target_speed_kmh"]) == (4.83, 4.83)
        await report.close()


async def test_stray_zero_frames_while_the_belt_moves() -> None:
    profile = load_profile("noblepro-elite", quirks=["stray_zero_speed"])
    async with connected_rig(profile) as (rig, central):
        await central.request(b"\x07")
        await rig.simulator.wait_for(lambda s: s.belt_speed_kmh == 1.0, timeout=5)
        central.pending(DATA)
        speeds = [
            decode_treadmill_data(await central.next(DATA)).values["speed_kmh"]
            for _ in range(4 * STRAY_ZERO_EVERY)
        ]
        assert speeds.count(0.0) == 4
        assert rig.simulator.belt_speed_kmh == 1.0


async def test_target_overridden_right_after_start_then_kept_when_sent_again() -> None:
    profile = load_profile("noblepro-elite", quirks=["target_overridden_after_start"])
    async with connected_rig(profile) as (rig, central):
        sim = rig.simulator
        await central.request(b"\x07")
        await asyncio.sleep(0.5)
        await central.request(hx("02 20 03"))  # 8.00
        await asyncio.sleep(3)
        assert sim.target_speed_kmh == 1.0  # the console put its start speed back, silently
        await central.request(hx("02 20 03"))
        await asyncio.sleep(10)
        assert sim.target_speed_kmh == 8.0


async def test_reserved_flag_bits_and_not_available_sentinels_decode() -> None:
    profile = load_profile(
        "noblepro-elite", energy=True, quirks=["reserved_flag_bits", "not_available_sentinels"]
    )
    async with connected_rig(profile) as (_, central):
        central.pending(DATA)
        frame = await central.next(DATA)
        assert frame[1] & 0x80  # reserved bit 15
        values = decode_treadmill_data(frame).values
        assert "energy_total_kcal" in values and "energy_per_hour_kcal" not in values


def test_ftms_quirks_need_ftms_and_mph_needs_its_label() -> None:
    with pytest.raises(ProfileError, match="FTMS quirks"):
        load_profile("fitshow-f15", quirks=["start_toggles_pause"])
    with pytest.raises(ProfileError, match="mph_labelled_kmh"):
        load_profile("fitshow-mph", quirks=[])
    with pytest.raises(ProfileError, match=r"0\.5 % units"):
        load_profile("noblepro-e8i", fitshow_incline_step_pct=0.25)
    with pytest.raises(ProfileError, match="FTMS, FitShow or both"):
        load_profile("noblepro-e8i", fitshow=False)


def test_scenarios_are_checked_against_the_protocols_and_the_belt() -> None:
    f15 = load_profile("fitshow-f15")
    with pytest.raises(ScenarioError, match=r"step 1 .*'fitshow-f15' \(FitShow\)"):
        parse_scenario([{"at": 1, "do": "set_fault", "fault": "control_taken"}], profile=f15)
    with pytest.raises(ScenarioError, match="has no incline"):
        parse_scenario([{"at": 1, "do": "console_incline", "incline_pct": 2}], profile=f15)
    both = load_profile("fitshow-mph")
    parse_scenario([{"at": 1, "do": "set_fault", "fault": "control_taken"}], profile=both)
    with pytest.raises(ScenarioError, match="FTMS has no sleep"):
        parse_scenario(
            [{"at": 1, "do": "set_fault", "fault": "sleeping"}], profile=load_profile("generic")
        )


async def test_console_start_counts_down_on_a_counting_console() -> None:
    async with fitshow_rig("noblepro-e8i") as (rig, central):
        sim = rig.simulator
        await sim.console_start()
        assert (sim.console_state, sim.running) == (BeltState.COUNTDOWN, False)
        await sim.wait_for(lambda s: s.running, timeout=4)
        assert (await central.poll()).state is BeltState.RUNNING


async def test_the_bridge_s_radio_builds_a_fitshow_only_unit_in_process() -> None:
    async with BumbleRadio(None, profile="noblepro-e8i") as radio:
        assert radio.simulator is not None and radio.simulator.profile.name == "noblepro-e8i"
        sightings = await radio.scan(timeout=1)
        (e8i,) = [s for s in sightings if s.name == "NOBLEPRO CONNECT"]
        assert not e8i.ftms  # FTMS is not what it advertises: the bridge must not assume it
        device = await radio.find_treadmill("NOBLEPRO", timeout=2)
        assert device.address == radio.simulator.address


def test_the_standalone_simulator_refuses_a_scenario_its_profile_cannot_play(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("- {at: 1, do: set_fault, fault: control_taken}\n")
    with pytest.raises(SystemExit) as exit_:
        parse_options(["--profile", "fitshow-f15", "--scenario", str(scenario)])
    assert exit_.value.code == 2
    assert "no counterpart on profile 'fitshow-f15' (FitShow)" in capsys.readouterr().err
