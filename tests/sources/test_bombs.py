"""Files built to eat the machine are refused quickly, in bounded memory, with a clean exit 2."""

from __future__ import annotations

import pytest

from tests.support.bombs import ALIAS_BOMB
from tests.support.processes import Run, Write

# Each command runs in a child process held to bounds: a file that did eat the machine fails its
# test instead of the test run.
pytestmark = [pytest.mark.child_process, pytest.mark.slow]

ENTITY_BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE workout_file [\n  <!ENTITY l0 "lol">\n'
    + "".join(f'  <!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n<workout_file><name>&l9;</name><sportType>run</sportType></workout_file>\n"
)

ALIASES_REFUSED = "YAML aliases (*name) are not supported"


def test_alias_bomb_stage(run: Run, write: Write) -> None:
    bomb = write("bomb.yaml", ALIAS_BOMB)
    run("validate", str(bomb)).refused(f"{bomb}:2: {ALIASES_REFUSED}")


def test_alias_bomb_config(run: Run, write: Write) -> None:
    bomb = write("config.yaml", ALIAS_BOMB)
    stage = write("s.yaml", "items:\n  - walk: 1:00\n")
    run("validate", "--config", str(bomb), str(stage)).refused(f"{bomb}:2: {ALIASES_REFUSED}")
    run("plan", str(stage), env={"TREADLINK_CONFIG": str(bomb)}).refused(ALIASES_REFUSED)


def test_even_one_alias_is_refused(run: Run, write: Write) -> None:
    stage = write(
        "s.yaml",
        """
        items:
          - &warm {walk: 3:00}
          - run: 1:00
          - *warm
        """,
    )
    run("validate", str(stage)).refused(f"{stage}:4: {ALIASES_REFUSED}")


def test_merge_key(run: Run, write: Write) -> None:
    stage = write("s.yaml", "items:\n  - <<: {walk: 1:00}\n")
    result = run("validate", str(stage))
    result.refused(f"{stage}:2: items[0]: merge keys (<<) are not supported")
    assert "constructor" not in result.err  # PyYAML's own words are not the message


def test_nested_repeats_are_counted_not_expanded(run: Run, write: Write) -> None:
    stage = write(
        "s.yaml",
        """
        items:
          - repeat: 1000
            items:
              - repeat: 1000
                items:
                  - repeat: 1000
                    items:
                      - walk: 1
        """,
    )
    run("validate", str(stage)).refused(
        f"{stage}:4: items[0].items[0].repeat: expands to 1,000,000 steps; "
        "a stage may have at most 2,000"
    )


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_huge_repeat(run: Run, write: Write, command: str) -> None:
    stage = write("s.yaml", "items:\n  - repeat: 100000000\n    items:\n      - walk: 1\n")
    run(command, str(stage)).refused(f"{stage}:2: items[0].repeat: expands to 100,000,000 steps")


def test_huge_repeat_in_a_zwo(run: Run, write: Write) -> None:
    zwo = write(
        "w.zwo",
        """
        <workout_file><sportType>run</sportType><workout>
          <IntervalsT Repeat="1000000000" OnDuration="1" OffDuration="1" OnPower="0.8"
                      OffPower="0.6"/>
        </workout></workout_file>
        """,
    )
    run("validate", str(zwo)).refused("expands to 2,000,000,000 steps")


def test_a_50_mb_file_is_not_read(run: Run, write: Write) -> None:
    stage = write("big.yaml", "items:\n" + "  - walk: 1:00\n" * 1000)
    with stage.open("r+b") as f:
        f.truncate(50 * 1024 * 1024)
    run("validate", str(stage)).refused(f"{stage}: is larger than 256 KiB")


def test_a_device_is_not_read(run: Run, write: Write) -> None:
    link = write("zero.yaml", "")
    link.unlink()
    link.symlink_to("/dev/zero")
    run("validate", str(link)).refused(f"{link}: is not a regular file")


def test_entity_bomb(run: Run, write: Write) -> None:
    zwo = write("lol.zwo", ENTITY_BOMB)
    run("validate", str(zwo)).refused(f"{zwo}:2: a document type declaration")


def test_undeclared_entity(run: Run, write: Write) -> None:
    zwo = write("e.zwo", "<workout_file><name>&x;</name></workout_file>\n")
    run("validate", str(zwo)).refused(f"{zwo}:1: not well-formed XML: undefined entity")


@pytest.mark.parametrize("suffix", ["yaml", "zwo"])
def test_deep_nesting(run: Run, write: Write, suffix: str) -> None:
    text = "[" * 500 + "]" * 500 if suffix == "yaml" else "<a>" * 500 + "</a>" * 500
    path = write(f"deep.{suffix}", text)
    run("validate", str(path)).refused(f"{path}:1: ")
    assert "nested more than 32 levels deep" in run("validate", str(path)).err


def test_deep_config(run: Run, write: Write) -> None:
    config = write("c.yaml", "paces: " + "[" * 500 + "]" * 500)
    stage = write("s.yaml", "items:\n  - walk: 1:00\n")
    run("validate", "--config", str(config), str(stage)).refused(
        f"{config}:1: nested more than 32 levels deep"
    )


@pytest.mark.parametrize("command", [["validate"], ["plan"], ["run", "--stage", "1"]])
def test_plan_listing_itself(run: Run, write: Write, command: list[str]) -> None:
    plan = write("plan.yaml", "stages:\n  - stage.yaml\n  - plan.yaml\n")
    write("stage.yaml", "items:\n  - walk: 1:00\n")
    run(*command, str(plan)).refused(
        f"{plan}:3: stages[1]: 'plan.yaml' is a plan; a plan's stages must be stage files"
    )


def test_plans_do_not_nest(run: Run, write: Write) -> None:
    outer = write("outer.yaml", "stages:\n  - inner.yaml\n")
    write("inner.yaml", "stages:\n  - outer.yaml\n")
    run("validate", str(outer)).refused(f"{outer}:2: stages[0]: 'inner.yaml' is a plan")
