"""Profiles: shipped files, files by path, overrides, and the errors a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from treadlink.ftms.layouts import encode_range
from treadlink_sim.profile import MachineProfile, ProfileError, load_profile, shipped_profiles


def test_shipped_profiles_load() -> None:
    assert {"noblepro-elite", "generic"} <= set(shipped_profiles())
    for name in shipped_profiles():
        assert load_profile(name).name == name


def test_noblepro_ranges_in_wire_units() -> None:
    p = load_profile("noblepro-elite")
    assert encode_range(p.speed_range()) == bytes.fromhex("6400 d007 0a00")
    assert encode_range(p.incline_range()) == bytes.fromhex("0000 9600 0500")
    assert (p.acceleration_up_kmh_per_s, p.acceleration_down_kmh_per_s) == (1.0, 1.5)
    assert p.telemetry_hz == 4.0


def test_generic_differs() -> None:
    p = load_profile("generic")
    assert str(p.speed_range()) == "0.8–16.0 km/h in steps of 0.1"
    assert str(p.incline_range()) == "0.0–12.0 % in steps of 1.0"


def test_overrides_replace_fields_and_none_means_keep() -> None:
    p = load_profile("noblepro-elite", telemetry_hz=10, local_name=None)
    assert p.telemetry_hz == 10
    assert p.local_name == "NoblePro Elite"
    assert p.with_overrides(needs_start_before_speed=True).needs_start_before_speed


def test_profile_from_a_file(tmp_path: Path) -> None:
    data = load_profile("generic").model_dump()
    data["name"] = "mine"
    file = tmp_path / "mine.yaml"
    file.write_text("\n".join(f"{k}: {v!r}" for k, v in data.items()))
    assert load_profile(file).name == "mine"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a mapping"),
        ("name: x\nspeed_min_kmh: 1", "local_name: Field required"),
        ("{{{", "YAML syntax error"),
    ],
)
def test_bad_files_are_explained(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    with pytest.raises(ProfileError, match=message):
        load_profile(file)


def test_unknown_name() -> None:
    with pytest.raises(ProfileError, match="not a shipped profile"):
        load_profile("treadmill-9000")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"speed_step_kmh": 0.005}, "not a multiple of the wire resolution"),
        ({"speed_min_kmh": 30.0}, "speed_min_kmh must be below speed_max_kmh"),
        ({"address": "nope"}, "is not a Bluetooth address"),
        ({"bogus": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_overrides(override: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile("noblepro-elite", **override)


def test_model_is_frozen() -> None:
    p = load_profile("generic")
    assert isinstance(p, MachineProfile)
    with pytest.raises(ValueError, match="frozen"):
        p.telemetry_hz = 3
