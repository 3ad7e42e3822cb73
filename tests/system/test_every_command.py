"""Every sub-command in every broken environment ends with a short message and a documented
exit status (README: Exit status), never a traceback. Real processes, bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

STAGE = Path(__file__).resolve().parents[2] / "workouts" / "return-to-run" / "stage-01.yaml"
PLAN = STAGE.with_name("plan.yaml")

# sub-command -> its arguments (a file where it needs one)
COMMANDS: dict[str, list[str]] = {
    "run": ["run", str(STAGE)],
    "serve": ["serve", "--broker", "mqtt://127.0.0.1:1"],
    "probe": ["probe", "--seconds", "0"],
    "scan": ["scan", "--timeout", "0.5"],
    "validate": ["validate", str(STAGE)],
    "plan": ["plan", str(STAGE)],
    "next": ["next", str(PLAN)],
    "history": ["history"],
    "pain": ["pain", "2"],
    "export": ["export", "last", "--tcx", "/nonexistent-dir/x.tcx"],
}
RADIO = ("run", "serve", "probe", "scan")

# broken environment -> (extra environment, extra arguments for radio commands)
WORLDS: dict[str, tuple[dict[str, str], list[str]]] = {
    "no Bluetooth": ({"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/bus"}, []),
    "closed simulator port": ({}, ["--sim", "tcp-client:127.0.0.1:1"]),
    "bad environment variable": ({"TREADLINK_PACES": "{bad"}, ["--sim"]),
    # The run goes on without its record (said once); sped up so the stage ends in seconds.
    "unwritable history": (
        {"TREADLINK_DATA_DIR": "/proc/treadlink-nope"},
        ["--sim", "--speedup", "1000"],
    ),
}

CASES = [
    (command, world)
    for command in COMMANDS
    for world in WORLDS
    if command in RADIO or world in ("bad environment variable", "unwritable history")
    if not (command == "serve" and world == "unwritable history")  # a service keeps no history
]


@pytest.mark.parametrize(("command", "world"), CASES)
def test_a_broken_world_gets_a_sentence_not_a_traceback(
    command: str, world: str, tmp_path: Path
) -> None:
    env_extra, radio_args = WORLDS[world]
    args = list(COMMANDS[command])
    if command in RADIO:
        args += radio_args
    env = {**os.environ, "TREADLINK_CONFIG": str(tmp_path / "none.yaml"), **env_extra}
    (tmp_path / "none.yaml").write_text("max_speed: 10\n")
    done = subprocess.run(
        [sys.executable, "-m", "treadlink.cli", *args],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )
    said = done.stderr + done.stdout
    assert "Traceback" not in said, said[-3000:]
    assert done.returncode in (0, 1, 2), (done.returncode, said[-2000:])
    if done.returncode:
        message = [line for line in done.stderr.splitlines() if line.strip()]
        assert message, "failed without saying why"
        assert len(message) <= 8, f"not one short message: {message}"
