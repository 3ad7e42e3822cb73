"""The real `treadlink run` program on a terminal (tmux): the full screen comes up, space stops
the belt, and both the screen and the events file say so."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
    pytest.mark.slow,
]

STAGE = """\
name: "Tmux check"
items:
  - walk: 10:00
    cue: "Warm-up walk: easy, tall posture"
  - run: 1:00
"""
DEADLINE_S = 30.0


class Pane:
    """One tmux pane on a private server (its own socket: the user's tmux is never touched)."""

    def __init__(self, command: str, cwd: Path) -> None:
        assert TMUX is not None
        self.base = [TMUX, "-L", f"treadlink-test-{uuid.uuid4().hex[:8]}"]
        self._tmux("new-session", "-d", "-s", "run", "-x", "100", "-y", "30", "-c", str(cwd),
                   command)  # fmt: skip

    def _tmux(self, *args: str) -> str:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=10)
        return done.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "run")

    def press(self, key: str) -> None:
        self._tmux("send-keys", "-t", "run", key)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=10)


def wait_for[T](what: str, probe: Callable[[], T | None], pane: Pane) -> T:
    """Poll `probe` until it answers, or fail after DEADLINE_S showing the screen."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.1)
    pytest.fail(f"{what}: not seen within {DEADLINE_S} s; the screen:\n{pane.screen()}")


@pytest.fixture
def pane_for(tmp_path: Path) -> Iterator[Callable[[str], Pane]]:
    panes: list[Pane] = []

    def start(command: str) -> Pane:
        panes.append(Pane(command, tmp_path))
        return panes[-1]

    yield start
    for pane in panes:
        pane.close()


def events_in(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def test_space_stops_the_belt_from_the_full_screen(
    tmp_path: Path, pane_for: Callable[[str], Pane]
) -> None:
    (tmp_path / "stage.yaml").write_text(STAGE)
    events, status = tmp_path / "events.jsonl", tmp_path / "status"
    pane = pane_for(
        f"{sys.executable} -m treadlink.cli run stage.yaml --sim --speedup 30 --quiet "
        f"--events {events}; echo $? > {status}; sleep 600"
    )

    def on_screen(text: str) -> Callable[[], str | None]:
        def probe() -> str | None:
            screen = pane.screen()
            return screen if text in screen else None

        return probe

    walking = wait_for("the walk on the full screen", on_screen("next change in"), pane)
    assert "Warm-up walk: easy, tall posture" in walking
    assert "█   █  ███  █" in walking  # WALK in large type
    assert "SPACE/ESC = STOP" in walking

    pane.press("Space")
    stopped = wait_for("the fault screen", on_screen("Belt seen stopped:         YES"), pane)
    assert "Treadmill accepted stop:   YES" in stopped
    assert "STOPPED — you pressed stop" in stopped and "p resume / q finish" in stopped
    kinds = [e["event"] for e in events_in(events)]
    assert "stop_requested" in kinds and "belt_stopped" in kinds
    stop = next(e for e in events_in(events) if e["event"] == "stop_requested")
    assert stop["reason"] == "runner's key"

    pane.press("q")
    code = wait_for(
        "the exit status", lambda: (status.read_text() or None) if status.exists() else None, pane
    )
    assert code.strip() == "1"  # ended early
    after = pane.screen()
    assert "session ended early" in after  # the story, printed once the screen closed
    assert events_in(events)[-1]["event"] == "finished"
