"""Run `treadlink` and `treadlink-sim` as the runner would, in a child process held to bounds.

The child gets RLIMIT_AS (address space) and RLIMIT_CPU limits and a wall-clock timeout, so an
input that makes treadlink eat the machine fails its test (killed or out of memory, and so a
traceback or a signal instead of a clean exit 2) instead of hanging CI or swapping. The fixtures
`run` and `write` are imported by the conftest of each directory whose tests use them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

MEMORY_BYTES = 1024**3  # the whole interpreter with pydantic and bumble needs ~40 MB resident
CPU_SECONDS = 20
WALL_SECONDS = 60


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


@dataclass(frozen=True, slots=True)
class Result:
    status: int
    out: str
    err: str

    def refused(self, message: str) -> None:
        """Exit 2 with `message` on stderr, and no traceback anywhere."""
        assert "Traceback" not in self.out + self.err, self.err
        assert self.status == 2, (self.status, self.err)
        assert message in self.err, self.err


Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """`run("validate", "x.yaml", env={...}, sim=False)` -> Result of the bounded child."""

    def run(*args: str, env: dict[str, str] | None = None, sim: bool = False) -> Result:
        module = "treadlink_sim.cli" if sim else "treadlink.cli"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TREADLINK_")}
        clean["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")  # no runner's own profile
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            env={**clean, **(env or {})},
            capture_output=True,
            text=True,
            timeout=WALL_SECONDS,
            preexec_fn=_limits,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run


Write = Callable[[str, str | bytes], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return path

    return write
