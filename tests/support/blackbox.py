"""Black-box rig: `treadlink run` on a real terminal (tmux) against the standalone simulator.

The simulator's own report (`treadlink-sim --report`) decides what the belt did; treadlink's events
file and screen are only what treadlink *says*. A background thread reads both JSON-lines files as
they grow and stamps every line with the moment it was first seen, so a claim in the events file can
be set against what the belt was doing at that moment.

    with black_box(tmp_path, scenario=[...], stage=STAGE) as box:
        box.wait_for("the belt at rest", lambda: box.belt_speed() == 0)
        assert quit_treadlink(box) == 0  # the runner presses q
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.early_start import tell, waiting_treadlink, writer_once_waiting

SIM = [sys.executable, "-m", "treadlink_sim.cli"]
RUNNER_CAP_KMH = 10.0
WIDTH, HEIGHT = 120, 40
POLL_S = 0.05  # how often the files are read and the screen looked at
START_TIMEOUT_S = 60.0  # simulator ready: a bound (imports take seconds on a loaded machine)

Line = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Seen:
    """A line of a JSON-lines file and the monotonic time the harness first saw it."""

    at: float
    line: Line


class _Follower:
    """Reads the complete lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def new_lines(self) -> list[Line]:
        try:
            with self.path.open("rb") as file:
                file.seek(self._offset)
                data = file.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        *complete, self._partial = (self._partial + data).split(b"\n")
        return [json.loads(raw) for raw in complete if raw.strip()]


class BlackBox:
    """One simulator process, one tmux server with `treadlink run` in its only pane."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.report_path = directory / "belt-report.jsonl"
        self.events_path = directory / "events.jsonl"
        self.status_path = directory / "treadlink-exit-status"
        self.spec_fifo = directory / "simulator-spec"
        self._spec_fd: int | None = None
        self.socket = f"treadlink-bb-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.report: list[Seen] = []  # what the belt did (the simulator)
        self.events: list[Seen] = []  # what treadlink said
        self.sim: subprocess.Popen[bytes] | None = None
        self.spec = ""  # the bridge's transport spec, from the READY line
        self.started_at = time.monotonic()
        self._report = _Follower(self.report_path)
        self._events = _Follower(self.events_path)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # --- starting and stopping ------------------------------------------------------------------
    def start_simulator(self, scenario: list[Line], port: int = 0) -> str:
        """Start the simulator with `scenario` on 127.0.0.1:`port` (0: a free one); the bridge's
        transport spec from its READY line."""
        scenario_path = self.directory / "scenario.yaml"
        scenario_path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
        self._sim_log = (self.directory / "sim-stderr.txt").open("ab")
        self.sim = subprocess.Popen(
            [
                *SIM,
                "--link",
                f"tcp-server:127.0.0.1:{port}",
                "--scenario",
                str(scenario_path),
                "--report",
                str(self.report_path),
            ],
            stdout=subprocess.PIPE,
            stderr=self._sim_log,
        )
        ready = self._read_line(self.sim, START_TIMEOUT_S)
        match = re.search(r"link=(\S+)", ready)
        assert ready.startswith("READY") and match, f"simulator did not start: {ready!r}"
        self.started_at = time.monotonic()
        self.spec = match.group(1)
        return self.spec

    def kill_simulator(self) -> None:
        """SIGKILL the simulator, as a treadmill losing its power: no orderly shutdown."""
        assert self.sim is not None
        self.sim.kill()
        self.sim.wait(timeout=10)
        self._sim_log.close()
        if self.sim.stdout is not None:
            self.sim.stdout.close()
        self.sim = None

    def restart_simulator(self, scenario: list[Line] | None = None) -> int:
        """Start the killed simulator again on its port, with `scenario` (none by default). Its
        report goes on in the same file from a new `start` line, on a clock from 0: the index
        of that line."""
        assert self.sim is None, "kill the simulator first"
        self._poll()
        seen = len(self.report_lines())
        self.start_simulator(scenario or [], port=int(self.spec.rpartition(":")[2]))
        self.wait_for("the new simulator's first line", lambda: len(self.report_lines()) > seen)
        return seen

    def start_treadlink(self, stage: str, *, stdin_null: bool = False) -> None:
        """`treadlink run STAGE --sim SPEC --events EV` in a 120×40 tmux pane kept after exit,
        returning once its imports are done: `tell_treadlink(SPEC)` lets it go on. With
        `stdin_null`, its stdin is not a terminal (no keys), its stdout still is."""
        stage_path = self.directory / "stage.yaml"
        stage_path.write_text(stage, encoding="utf-8")
        config = self.directory / "runner.yaml"
        config.write_text(f"max_speed: {RUNNER_CAP_KMH}\n", encoding="utf-8")
        tmux_conf = self.directory / "tmux.conf"
        tmux_conf.write_text("set -g remain-on-exit on\nset -g history-limit 10000\n")
        # Started before the simulator, told its spec once the imports are done: a loaded
        # machine does not eat the seconds before a scenario's first fault.
        command = waiting_treadlink(
            self.spec_fifo, "run", str(stage_path), "--events", str(self.events_path)
        )
        self._tmux(
            "-f",
            str(tmux_conf),
            "new-session",
            "-d",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "-s",
            "bb",
            "-e",
            f"TREADLINK_CONFIG={config}",
            "-e",
            "PYTHONUNBUFFERED=1",
            # The shell keeps treadlink's exit status: tmux has been seen to leave an exited
            # pane process unreaped (a zombie) for tens of seconds, so the pane never looks dead.
            f"{shlex.join(command)}{' < /dev/null' if stdin_null else ''}; "
            f"echo $? > {shlex.quote(str(self.status_path))}",
        )
        self._watcher = threading.Thread(target=self._watch, name="black-box watcher", daemon=True)
        self._watcher.start()
        # Bounded: imports on a loaded machine take seconds, not a minute.
        self.wait_for("treadlink's imports", self._treadlink_waits_for_the_spec, timeout=60)

    def tell_treadlink(self, spec: str) -> None:
        """Give the waiting treadlink the simulator's transport spec: it connects now."""
        assert self._spec_fd is not None, "start treadlink first"
        tell(self._spec_fd, spec)
        self._spec_fd = None

    def _treadlink_waits_for_the_spec(self) -> bool:
        self._spec_fd = writer_once_waiting(self.spec_fifo)
        return self._spec_fd is not None

    def close(self) -> None:
        """Kill the terminal (and treadlink with it) and the simulator, whatever their state."""
        self._stop.set()
        if self._spec_fd is not None:
            os.close(self._spec_fd)
            self._spec_fd = None
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._tmux("kill-server", check=False)
        if self.sim is not None and self.sim.poll() is None:
            self.sim.kill()
            self.sim.wait(timeout=10)
        if self.sim is not None:
            self._sim_log.close()
            if self.sim.stdout is not None:
                self.sim.stdout.close()

    def stop_simulator(self) -> Line:
        """SIGTERM the simulator (an orderly shutdown) and return its report's final line."""
        assert self.sim is not None
        self.sim.send_signal(signal.SIGTERM)
        self.sim.wait(timeout=15)
        self._poll()
        final = self.report_lines()[-1]
        assert final["event"] == "final", f"no final report line: {final}"
        return final

    # --- looking --------------------------------------------------------------------------------
    def report_lines(self) -> list[Line]:
        with self._lock:
            return [seen.line for seen in self.report]

    def event_names(self) -> list[str]:
        with self._lock:
            return [seen.line["event"] for seen in self.events]

    def belt_speed(self) -> float | None:
        """The belt's speed in the latest report line."""
        lines = self.report_lines()
        return lines[-1]["belt_speed_kmh"] if lines else None

    def sim_time(self) -> float:
        """The simulator's clock as of its latest report line (one at least every second)."""
        lines = self.report_lines()
        return lines[-1]["t"] if lines else 0.0

    def screen(self) -> str:
        """The pane's text, scroll-back included, wrapped lines joined."""
        done = self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "bb", check=False)
        return done.stdout

    def exit_status(self) -> int | None:
        """treadlink's exit status once it has ended (128 + N if signal N killed it), else None."""
        try:
            status = self.status_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return int(status) if status.endswith("\n") else None  # else still being written

    def show_where_it_hangs(self) -> None:
        """SIGABRT to treadlink: faulthandler prints every thread's stack on the screen."""
        shell = self._tmux("display-message", "-p", "-t", "bb", "#{pane_pid}").stdout.strip()
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", shell], capture_output=True, text=True, check=False
        )
        for pid in children.stdout.split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGABRT)
        with contextlib.suppress(AssertionError):
            self.wait_for("the stacks", lambda: self.exit_status() is not None, timeout=5)

    def press(self, keys: str) -> None:
        self._tmux("send-keys", "-t", "bb", "-l", keys)

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        """Poll `condition` until it holds; on the deadline fail showing what each side saw."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}\n{self}")
            time.sleep(POLL_S)

    def wait_for_exit(self, timeout: float = 15.0) -> int:
        self.wait_for("treadlink to exit", lambda: self.exit_status() is not None, timeout)
        status = self.exit_status()
        assert status is not None
        return status

    # --- claims set against the belt ------------------------------------------------------------
    def false_belt_stopped(self) -> list[Line]:
        """`belt_stopped` events treadlink wrote while the simulator's belt was moving.

        Moving means the last report line seen before the event and the first one after it both
        show a belt speed above zero: the report writes a line the moment the belt comes to rest,
        so a genuine stop is always preceded by a line at zero.
        """
        with self._lock:
            report, events = list(self.report), list(self.events)
        lies = []
        for claim in (e for e in events if e.line["event"] == "belt_stopped"):
            before = [r for r in report if r.at <= claim.at]
            after = [r for r in report if r.at > claim.at]
            moving = before and after and before[-1].line["belt_speed_kmh"] > 0
            if moving and after[0].line["belt_speed_kmh"] > 0:
                lies.append({**claim.line, "belt_kmh": before[-1].line["belt_speed_kmh"]})
        return lies

    def moving_under_treadlink_before(self, t: float) -> bool:
        """Did the report show treadlink connected and the belt running before sim time `t`?"""
        return any(
            line["connected"] and line["mode"] == "running" and line["belt_speed_kmh"] > 0
            for line in self.report_lines()
            if line["t"] < t
        )

    def __str__(self) -> str:
        report = [_compact(line) for line in self.report_lines()[-15:]]
        said = [
            json.dumps(seen.line)
            for seen in self.events
            if seen.line["event"] not in ("telemetry", "setpoint_confirmed")
        ][-15:]
        rows = [row for row in self.screen().splitlines() if row.strip()]
        dump = next((i for i, row in enumerate(rows) if row.startswith("Fatal Python error")), None)
        screen = rows[-20:] if dump is None else rows[max(0, dump - 10) :]
        return "\n".join(
            [
                "--- simulator report (last lines) ---",
                *report,
                "--- treadlink events (no telemetry) ---",
                *said,
                "--- screen ---",
                *screen,
            ]
        )

    # --- plumbing -------------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            self._poll()

    def _poll(self) -> None:
        now = time.monotonic()
        with self._lock:
            self.report += [Seen(now, line) for line in self._report.new_lines()]
            self.events += [Seen(now, line) for line in self._events.new_lines()]

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=check,
        )

    @staticmethod
    def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        return process.stdout.readline().decode() if ready else ""


def _compact(line: Line) -> str:
    faults = ",".join(line["faults"]) or "-"
    return (
        f"t={line['t']:6.2f} {line['event']:<10} belt={line['belt_speed_kmh']:5.2f} "
        f"target={line['target_speed_kmh']:5.2f} {line['mode']:<8} "
        f"{'connected' if line['connected'] else 'no link  '} "
        f"key={'in' if line['safety_key_in'] else 'OUT'} faults={faults}"
        + "".join(f"\n          control point: {write}" for write in line["control_point"])
    )


@contextlib.contextmanager
def black_box(
    directory: Path, *, scenario: list[Line], stage: str, stdin_null: bool = False
) -> Iterator[BlackBox]:
    """The simulator playing `scenario`; `treadlink run` on `stage` against it, in a terminal."""
    if shutil.which("tmux") is None:
        pytest.fail("the black-box tests need tmux (.ci/run installs it: apt-get install tmux)")
    box = BlackBox(directory)
    try:
        box.start_treadlink(stage, stdin_null=stdin_null)
        box.tell_treadlink(box.start_simulator(scenario))
        yield box
    finally:
        box.close()


def belt_ends_stopped(box: BlackBox, *, after_t: float, within_t: float) -> str | None:
    """Wait (until the simulator's clock reads `within_t`) for the belt to come to rest after sim
    time `after_t`; then let the runner quit, stop the simulator, and check that the belt did not
    move again, and that treadlink never said `belt_stopped` while it moved. None if so, else what
    went wrong, with what each side saw."""
    box.wait_for(
        f"the belt at rest after t={after_t:g} s, or t={within_t:g} s (simulator's clock)",
        lambda: _at_rest_after(box.report_lines(), after_t) or box.sim_time() > within_t,
        timeout=within_t + 10,
    )
    rest = _at_rest_after(box.report_lines(), after_t)
    if rest is None:
        return f"the belt was still moving at t={within_t:g} s\n{box}"
    quit_treadlink(box)
    box.stop_simulator()
    lines = box.report_lines()
    if any(line["t"] >= rest["t"] and line["belt_speed_kmh"] > 0 for line in lines):
        return f"the belt moved again after coming to rest at t={rest['t']}\n{box}"
    if lies := box.false_belt_stopped():
        return f"the belt stopped, but treadlink said so while it still moved: {lies}\n{box}"
    return None


def quit_treadlink(box: BlackBox) -> int:
    """The runner presses q; and q again if treadlink is still waiting for the belt after that.
    A treadlink still running after both is made to show where it hangs, and fails the test."""
    box.press("q")
    with contextlib.suppress(AssertionError):
        return box.wait_for_exit(timeout=10)
    box.press("q")
    with contextlib.suppress(AssertionError):
        return box.wait_for_exit(timeout=10)
    box.show_where_it_hangs()
    raise AssertionError(f"treadlink did not exit within 20 s of q pressed twice\n{box}")


def _at_rest_after(lines: list[Line], t: float) -> Line | None:
    return next((line for line in lines if line["t"] > t and line["belt_speed_kmh"] == 0), None)
