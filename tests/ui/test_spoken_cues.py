"""Spoken cues (`treadlink run --voice`): the changes said through espeak-ng, rendered to WAV
files (espeak-ng's -w) and checked with sox; never on the event loop, so a stop never waits for
speech; and, without espeak-ng, said once and clearly that nothing will be spoken.

The sessions run on the simulator in fake time; espeak-ng runs for real, in real time, in the
voice's own thread.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.support.screen import Events, short_stage
from tests.support.screen_replay import stage_one, until
from tests.support.simulated import fake_time, link
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Finished, SegmentStarted, StopRequested
from treadlink.session.view import ViewTracker
from treadlink.ui.screen.app import RunnerScreen
from treadlink.ui.spoken import SpokenCues
from treadlink.ui.voice import NOT_INSTALLED, Voice

ESPEAK, SOX = shutil.which("espeak-ng"), shutil.which("sox")
needs_speech = pytest.mark.skipif(
    ESPEAK is None or SOX is None,
    reason="espeak-ng and sox are needed to render and check speech (.ci/run installs both)",
)
ROOT = Path(__file__).resolve().parents[2]


def sound_of(wav: Path) -> tuple[float, float]:
    """(seconds, RMS amplitude) of a WAV file, as sox measures them."""
    assert SOX is not None
    done = subprocess.run([SOX, str(wav), "-n", "stat"], capture_output=True, text=True, timeout=30)
    stat = done.stderr

    def figure(name: str) -> float:
        found = re.search(rf"^{name}:\s+([-\d.]+)", stat, re.MULTILINE)
        assert found is not None, stat
        return float(found[1])

    return figure(r"Length \(seconds\)"), figure(r"RMS\s+amplitude")


async def spoken_session(tmp_path: Path, voice: Voice) -> tuple[Events, Finished]:
    """The short stage on the simulator with spoken cues, stopped with space in the run."""
    stage = short_stage(tmp_path)
    async with link() as connection, SafetyGuard(connection.link) as guard:
        session = Session(guard, stage)
        events = Events()
        session.subscribe(events)
        cues = SpokenCues(voice, stage, session.clock)
        session.subscribe(cues)
        async with cues.counting():
            run = asyncio.create_task(session.run())
            running = await events.next(SegmentStarted, lambda e: e.index == 1)
            await asyncio.sleep(running.at + 5 - session.clock())
            session.emergency_stop("runner's key")
            finished = await run
    return events, finished


@needs_speech
def test_sentences_are_rendered_as_real_sound(tmp_path: Path) -> None:
    voice = Voice.find(wav_dir=tmp_path)
    assert voice is not None
    for sentence in ("Run in 3", "2", "1", "Walk, 4 minutes", "Stop"):
        voice.say(sentence)
    voice.close(timeout=30)
    assert voice.spoken == ["Run in 3", "2", "1", "Walk, 4 minutes", "Stop"]
    assert len(voice.files) == 5 and voice.failed is None
    for wav in voice.files:
        seconds, loudness = sound_of(wav)
        assert seconds > 0.1 and loudness > 0.01, (wav, seconds, loudness)


@needs_speech
@fake_time
async def test_the_changes_are_said_as_the_session_goes(tmp_path: Path) -> None:
    voice = Voice.find(wav_dir=tmp_path)
    assert voice is not None
    await spoken_session(tmp_path, voice)
    await asyncio.to_thread(voice.close, 30.0)
    # The session runs in fake time, far ahead of real speech: what the cues asked for, in
    # order; the stop cut off what still waited, and what was said is real sound.
    asked = voice.asked
    assert asked[0] == "Walk, 40 seconds"
    walk_to_run = asked.index("Run in 3")
    assert asked[walk_to_run : walk_to_run + 4] == ["Run in 3", "2", "1", "Run, 30 seconds"]
    assert asked[-2:] == ["Stop", "Session over."]
    assert voice.spoken[0] == "Walk, 40 seconds" and "Stop" in voice.spoken
    for wav in voice.files:
        seconds, loudness = sound_of(wav)
        assert seconds > 0.1 and loudness > 0.01, (wav, seconds, loudness)


@needs_speech
@fake_time
async def test_a_stop_never_waits_for_speech(tmp_path: Path) -> None:
    # A speaker that takes its time over every sentence (real seconds, while the session
    # runs in fake time): the stop goes out and the session ends while it is still talking.
    slow = tmp_path / "bin" / "espeak-ng"
    slow.parent.mkdir()
    slow.write_text("#!/bin/sh\nexec sleep 20\n")
    slow.chmod(0o755)
    voice = Voice.find(path=str(slow.parent))
    assert voice is not None and voice.program == str(slow)
    events, finished = await spoken_session(tmp_path, voice)
    assert events.of(StopRequested) and finished.belt == "stopped"
    assert voice.busy  # still talking: nothing on the loop waited for it
    assert voice.asked[-2:] == ["Stop", "Session over."]
    voice.close(timeout=0)  # cuts the speaker off


def treadlink_run(tmp_path: Path, *extra: str, path: str) -> subprocess.CompletedProcess[str]:
    stage = tmp_path / "stage.yaml"
    stage.write_text("name: Voice check\nitems:\n  - walk: 0:30\n")
    env = {**os.environ, "PATH": path, "TREADLINK_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "treadlink.cli", "run", str(stage), "--sim"]
    command += ["--speedup", "30", "--plain", *extra]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )


def test_without_espeak_ng_the_runner_is_told_once(tmp_path: Path) -> None:
    empty = tmp_path / "no-speech"
    empty.mkdir()
    done = treadlink_run(tmp_path, "--voice", path=str(empty))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("espeak-ng is not installed") == 1, done.stderr
    assert NOT_INSTALLED in done.stderr


def test_the_config_can_ask_for_the_voice(tmp_path: Path) -> None:
    empty = tmp_path / "no-speech"
    empty.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text("voice: true\n")
    asked = treadlink_run(tmp_path, "--config", str(config), path=str(empty))
    assert asked.returncode == 0, asked.stderr
    assert asked.stderr.count("espeak-ng is not installed") == 1
    unasked = treadlink_run(tmp_path, "--config", str(config), "--no-voice", path=str(empty))
    assert unasked.returncode == 0 and "espeak-ng" not in unasked.stderr


async def test_the_full_screen_says_it_on_its_title_line_all_along() -> None:
    tracker = ViewTracker(stage_one())
    for event in until(stage_one(), 135.0):
        tracker.update(event)
    app = RunnerScreen(tracker, lambda: 135.0, None, cue=False, notice=NOT_INSTALLED)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert NOT_INSTALLED in str(app.query_one("#title", Static).content)
