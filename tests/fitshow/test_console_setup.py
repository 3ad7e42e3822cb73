"""What the FitShow driver reads of a console as the link comes up: which of FitShow's services
it speaks on (0xAE00, 0xFFF0, 0xFFE0), its speed and incline ranges (INFO_SPEED, INFO_INCLINE)
in its own units, its speed unit (a known mislabelled unit, else the console's km/mph bit); and
what a driver not yet connected holds and does."""

from __future__ import annotations

import pytest

from tests.support.fitshow_driven import driven
from tests.support.simulated import fake_time
from treadlink.fitshow.driver import FitShowTreadmill
from treadlink.fitshow.protocol import FFE0, FFF0, NOBLEPRO, Transport
from treadlink.fitshow.units import STANDARD
from treadlink.treadmill.errors import LinkLost
from treadlink.treadmill.known import speed_units_set
from treadlink.treadmill.units import Range, SpeedUnit
from treadlink_sim.profile import load_profile

HONEST_MILES = {  # a mile console whose km/mph bit tells the truth, and no known model
    "model": "FS-BT-D2",
    "speed_unit": "mph",
    "quirks": [],
    "ftms": False,
    "incline": True,
    "incline_min_pct": 0.0,
    "incline_max_pct": 10.0,
    "incline_step_pct": 1.0,
}


@fake_time
@pytest.mark.parametrize(
    ("profile", "service"),
    [
        ("noblepro-e8i", NOBLEPRO),
        ("fitshow-f15", FFF0),
        (load_profile("fitshow-f15", fitshow_service="FFE0"), FFE0),
    ],
    ids=["AE00", "FFF0", "FFE0"],
)
async def test_the_console_is_driven_on_its_own_service(
    profile: object, service: Transport
) -> None:
    async with driven(profile) as d:  # type: ignore[arg-type]
        assert d.treadmill.transport == service
        assert d.treadmill.details()[0] == ("service", str(service))


@fake_time
async def test_a_noblepro_reads_its_ranges_in_half_percent_incline_units() -> None:
    async with driven("noblepro-e8i") as d:
        t = d.treadmill
        assert t.name == "NOBLEPRO CONNECT" and t.address == d.sim.address
        assert t.capabilities is not None and t.capabilities.info.model == "Elite E8i"
        assert t.speed_range is not None and t.incline_range is not None
        assert t.speed_range == Range("speed", 100, 2000, 10)
        assert t.incline_range == Range("incline", 0, 150, 5)  # 0.5 % steps, not 1 %
        assert t.supports_incline
        assert t.details()[1] == ("units", "speed in 0.1 km/h, incline in 0.5 %")
        assert not t.unit_assumed


@fake_time
async def test_a_console_without_incline_has_no_incline_range() -> None:
    async with driven("fitshow-f15") as d:
        t = d.treadmill
        assert t.speed_range is not None
        assert t.speed_range == Range("speed", 80, 1200, 10)
        assert t.incline_range is None and not t.supports_incline
        assert t.units == STANDARD
        # Its unit is unsaid (only the incline's range says km or miles): probe tells the runner.
        assert t.unit_assumed
        assert "km/h assumed" in t.details()[1][1] and "speed_unit: mph" in t.details()[1][1]


@fake_time
async def test_a_known_mislabelled_unit_is_driven_in_miles_and_says_why() -> None:
    async with driven("fitshow-mph") as d:
        t = d.treadmill
        assert t.unit_choice is not None and t.unit_choice.speed_unit is SpeedUnit.MPH
        assert t.units.speed is SpeedUnit.MPH
        assert t.details()[1] == (
            "units",
            f"speed in 0.1 mph, incline in 1.0 % ({t.unit_choice.why})",
        )


@fake_time
async def test_a_mile_console_that_says_so_is_driven_in_miles() -> None:
    async with driven(load_profile("fitshow-mph", **HONEST_MILES)) as d:
        t = d.treadmill
        assert t.unit_choice is None  # nothing overruled: the console's own bit
        assert t.units.speed is SpeedUnit.MPH
        assert t.speed_range is not None and t.speed_range.speed_unit is SpeedUnit.MPH


async def test_a_driver_not_yet_connected() -> None:
    t = FitShowTreadmill("FS-1", "F0:00:00:00:00:01")
    assert (t.name, t.address) == ("FS-1", "F0:00:00:00:00:01")
    assert t.procedure_timeout == 2.0
    assert t.belt is None and t.transport is None and t.unit_choice is None
    assert t.units == STANDARD and t.polls == 0
    commands = t.take_control(lambda _event: None)
    with pytest.raises(LinkLost):
        await commands.stop()  # nothing to write on: a CommandError the guard knows
    t.detach(solicited=True)  # harmless before any attach


@fake_time
@pytest.mark.parametrize("by", ["name", "address"])
async def test_the_runner_s_configured_speed_unit_is_matched_by_name_or_address(by: str) -> None:
    profile = load_profile("fitshow-f15")
    key = profile.local_name if by == "name" else profile.address
    with speed_units_set({key: SpeedUnit.MPH}):
        async with driven(profile) as d:
            assert d.treadmill.unit_choice is not None
            assert d.treadmill.units.speed is SpeedUnit.MPH
