"""Run `treadlink` and `treadlink-sim` as the runner would: in-process, or in a child process held
to bounds.

`run` calls the command's `main()` in the test's own process, with the runner's environment and
its stdout and stderr kept apart: bad input and usage errors answer in milliseconds, and an
exception that escapes `main()` shows up as the traceback the runner would have seen. Tests of
input built to eat the machine are marked `child_process`: for them the command runs in a child
with RLIMIT_AS (address space) and RLIMIT_CPU limits and a wall-clock timeout, so an input that
makes treadlink eat the machine fails its test (killed or out of memory, and so a traceback or a
signal instead of a clean exit 2) instead of hanging CI or swapping. The fixtures `run` and
`write` are imported by the conftest of each directory whose tests use them.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
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


def in_child(args: tuple[str, ...], env: dict[str, str], sim: bool) -> Result:
    """The command in a bounded child process."""
    module = "treadlink_sim.cli" if sim else "treadlink.cli"
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS,
        preexec_fn=_limits,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def in_process(args: tuple[str, ...], env: dict[str, str], sim: bool) -> Result:
    """The command's `main()` here, with `env` as the whole environment: what the child would
    have printed, and its exit status (an escaping exception: its traceback and status 1)."""
    if sim:
        from treadlink_sim.cli import main
    else:
        from treadlink.cli import main
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        for name in set(os.environ) - set(env):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        try:
            status = main(list(args))
        except SystemExit as leaving:  # argparse, or a command that exits
            status = (
                leaving.code if isinstance(leaving.code, int) else 0 if leaving.code is None else 1
            )
            if isinstance(leaving.code, str):
                print(leaving.code, file=sys.stderr)
        except Exception:
            traceback.print_exc()
            status = 1
    return Result(status, out.getvalue(), err.getvalue())


@pytest.fixture
def run(tmp_path: Path, request: pytest.FixtureRequest) -> Run:
    """`run("validate", "x.yaml", env={...}, sim=False)` -> Result: in-process, or in a bounded
    child for a test marked `child_process`."""
    bounded = request.node.get_closest_marker("child_process") is not None

    def run(*args: str, env: dict[str, str] | None = None, sim: bool = False) -> Result:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TREADLINK_")}
        clean["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")  # no runner's own profile
        return (in_child if bounded else in_process)(args, {**clean, **(env or {})}, sim)

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
