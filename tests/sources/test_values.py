"""Values no session, treadmill or runner needs are refused, and messages quote them briefly."""

from __future__ import annotations

import pytest

from tests.support.processes import Run, Write

STAGE = "items:\n  - walk: 1:00\n"


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ("walk: 99999:00:00", "items[0].walk: 99999:00:00 is longer than the longest session"),
        ("run: 8:00:01", "items[0].run: 8:00:01 is longer than the longest session"),
        ("run: 50.5km", "items[0].run: 50.5km is longer than treadlink's longest segment (50km)"),
        (
            "{walk: 1:00, cues: [{at: 9:00:00, text: x}]}",
            "items[0].cues[0].at: 9:00:00 is longer than the longest session",
        ),
    ],
)
def test_endless_segments(run: Run, write: Write, segment: str, message: str) -> None:
    stage = write("s.yaml", f"items:\n  - {segment}\n")
    run("validate", str(stage)).refused(f"{stage}:2: {message}")


def test_endless_session(run: Run, write: Write) -> None:
    stage = write("s.yaml", "items:\n  - repeat: 9\n    items:\n      - walk: 1:00:00\n")
    run("validate", str(stage)).refused(
        f"{stage}:1: the session would last 540:00 at these speeds; "
        "the longest treadlink runs is 8 hours"
    )


def test_endless_ramp_in_a_zwo(run: Run, write: Write) -> None:
    zwo = write(
        "w.zwo",
        "<workout_file><sportType>run</sportType><workout>\n"
        '<Warmup Duration="1e12" PowerLow="0.5" PowerHigh="0.8"/>\n'
        "</workout></workout_file>\n",
    )
    run("validate", str(zwo)).refused(
        f"{zwo}:2: <Warmup> Duration: 1e+12 s is longer than treadlink's limit of 8 hours"
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("max_speed: 50", "max_speed: 50 km/h is above 25 km/h"),
        ("max_incline: 30", "max_incline: 30 % is above 20 %"),
        ("paces: {mile: 40}", "paces.mile: 40 km/h is above 25 km/h"),
    ],
)
def test_config_caps_nobody_needs(run: Run, write: Write, setting: str, message: str) -> None:
    config = write("c.yaml", f"{setting}\n")
    stage = write("s.yaml", STAGE)
    run("validate", "--config", str(config), str(stage)).refused(f"{config}:1: {message}")


def test_config_cap_from_the_environment(run: Run, write: Write) -> None:
    stage = write("s.yaml", STAGE)
    result = run("validate", str(stage), env={"TREADLINK_MAX_SPEED": "50"})
    result.refused("$TREADLINK_MAX_SPEED: 50 km/h is above 25 km/h")


@pytest.mark.parametrize("value", ["{bad", "[" * 100_000])
def test_paces_variable_that_is_not_json(run: Run, write: Write, value: str) -> None:
    stage = write("s.yaml", STAGE)
    result = run("validate", str(stage), env={"TREADLINK_PACES": value})
    result.refused('$TREADLINK_PACES: must be a JSON object like {"5k": 9.2}')
    assert "SettingsError" not in result.err


def test_long_values_are_quoted_short(run: Run, write: Write) -> None:
    stage = write("s.yaml", f"items:\n  - walk: {'x' * 100_000}\n  - pace: {'y' * 100_000}\n")
    result = run("validate", str(stage))
    result.refused(f"{stage}:2: items[0].walk: duration must look like")
    assert "(100002 characters)" in result.err
    assert len(result.err) < 1000


def test_a_number_python_will_not_convert(run: Run, write: Write) -> None:
    stage = write("s.yaml", f"items:\n  - repeat: 1{'0' * 5000}\n    items: [walk: 1]\n")
    run("validate", str(stage)).refused(f"{stage}:2: items[0].repeat: cannot read '1000")


def test_unknown_xml_encoding(run: Run, write: Write) -> None:
    zwo = write("e.zwo", '<?xml version="1.0" encoding="bogus"?>\n<workout_file/>\n')
    run("validate", str(zwo)).refused(f"{zwo}:1: cannot be decoded: unknown encoding: bogus")


def test_too_many_stages(run: Run, write: Write) -> None:
    write("s.yaml", STAGE)
    plan = write("plan.yaml", "stages:\n" + "  - s.yaml\n" * 61)
    run("validate", str(plan)).refused(
        f"{plan}:1: stages: a plan's stages has 61 entries; at most 60"
    )
