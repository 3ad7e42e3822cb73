"""`treadlink` run as its own process, as a user runs it: with a history of its own, or with no
Bluetooth on the machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from treadlink.records.store import DATA_DIR_ENV


def treadlink(data: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, DATA_DIR_ENV: str(data)}
    return subprocess.run(
        [sys.executable, "-m", "treadlink.cli", *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def treadlink_without_bluetooth(
    args: list[str], bus: str | None, home: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TREADLINK_", "DBUS_"))}
    env["HOME"] = str(home)  # no developer's runner profile
    if bus is not None:
        env["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={bus}"
    return subprocess.run(
        [sys.executable, "-m", "treadlink.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )
