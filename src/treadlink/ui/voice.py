"""`Voice`: sentences spoken through espeak-ng, from a thread of its own.

    voice = Voice.find()            # None when espeak-ng is not installed (say so, once)
    voice.say("Walk, 4 minutes")    # returns at once: never waits for speech
    voice.say("Stop", urgent=True)  # drops what is waiting and cuts off what is being said
    voice.close()                   # after the session: lets the last sentence finish

`say` only appends to memory and wakes the thread, so speech never holds up the event loop, and
the stop path never waits for it. The thread runs one espeak-ng process at a time; an urgent
sentence terminates the one speaking (a signal, which does not wait either). With `wav_dir`,
each sentence is written to a numbered WAV file instead of the speakers (espeak-ng's `-w`).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections import deque
from pathlib import Path

PROGRAM = "espeak-ng"
NOT_INSTALLED = (
    f"--voice: {PROGRAM} is not installed, so nothing will be spoken "
    f"(install the {PROGRAM} package to hear the changes)"
)
CLOSE_WAIT_S = 5.0  # at the end, the last sentence has this long to be said
_MOST_WAITING = 8  # sentences waiting to be said; older ones give way (they are stale)


class Voice:
    def __init__(self, program: str, *, wav_dir: Path | None = None) -> None:
        self.program = program
        self.wav_dir = wav_dir
        self.asked: list[str] = []  # every sentence asked for, in order
        self.spoken: list[str] = []  # every sentence handed to espeak-ng, in order
        self.files: list[Path] = []  # with wav_dir: the sentences written whole
        self.failed: str | None = None  # why espeak-ng could not speak, once it could not
        self._waiting: deque[str] = deque(maxlen=_MOST_WAITING)
        self._ready = threading.Condition()
        self._speaking: subprocess.Popen[bytes] | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="treadlink-voice", daemon=True)
        self._thread.start()

    @classmethod
    def find(cls, *, path: str | None = None, wav_dir: Path | None = None) -> Voice | None:
        """A voice, if espeak-ng is on `path` (default: $PATH)."""
        program = shutil.which(PROGRAM, path=path)
        return None if program is None else cls(program, wav_dir=wav_dir)

    @property
    def busy(self) -> bool:
        """Something is being said, or waits to be."""
        with self._ready:
            return self._speaking is not None or bool(self._waiting)

    def say(self, text: str, *, urgent: bool = False) -> None:
        """Queue `text`; safe on the event loop: it never waits for speech."""
        with self._ready:
            self.asked.append(text)
            if urgent:
                self._waiting.clear()
                if self._speaking is not None:
                    self._speaking.terminate()
            self._waiting.append(text)
            self._ready.notify()

    def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Say what waits, for at most `timeout`; then drop the rest and cut off the speaker.
        Blocking: call it once the session is over, from a thread or after the loop."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._thread.join(timeout)
        with self._ready:
            self._waiting.clear()
            if self._speaking is not None:
                self._speaking.kill()

    # --- the speaking thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._waiting and not self._closing:
                    self._ready.wait()
                if not self._waiting:
                    return
                text = self._waiting.popleft()
                out = self._wav()
                process = self._start(text, out)
                if process is None:
                    continue
                self._speaking = process
            _, errors = process.communicate()
            with self._ready:
                self._speaking = None
                if out is not None and process.returncode == 0:
                    self.files.append(out)  # not one cut off by an urgent sentence
                if errors.strip() and process.returncode >= 0 and self.failed is None:
                    # espeak-ng says so on stderr (and exits 0) when it has no sound device.
                    last = errors.decode(errors="replace").strip().splitlines()[-1]
                    self.failed = f"{PROGRAM} could not play speech ({last}): no sound device?"

    def _wav(self) -> Path | None:
        """Where the next sentence goes with `wav_dir`: numbered in the order spoken."""
        return None if self.wav_dir is None else self.wav_dir / f"{len(self.spoken) + 1:03d}.wav"

    def _start(self, text: str, out: Path | None) -> subprocess.Popen[bytes] | None:
        """Start speaking `text` (called with the lock held; starting does not wait)."""
        command = [self.program] if out is None else [self.program, "-w", str(out)]
        try:
            # Our own sentences: none starts with "-" (espeak-ng has no end of its options).
            process = subprocess.Popen(
                [*command, text],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as e:
            self.failed = self.failed or f"{PROGRAM} could not be run: {e.strerror or e}"
            return None
        self.spoken.append(text)
        return process
