"""Key press → Stop bytes at the simulated treadmill, through the real `treadlink run` on a
terminal: with the full screen, and the same with `--plain`.

The simulator runs here, on bumble's TCP transport with 10 Hz telemetry; `treadlink run` is a
child process on a pseudo-terminal (100×30) that reaches it as `--sim tcp-client:...`. A trial
writes a space to the terminal and times until the Stop bytes arrive at the simulator: the
terminal, textual's input thread and parser (or the --plain raw reader), the event loop, the
guard, bleak, bumble and the TCP hop back. Between trials the runner's own keys bring the belt
back: a (acknowledge) once the stop is confirmed, p (resume), then a random wait so the press
lands anywhere in a frame while the screen redraws a moving belt.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import random
import struct
import sys
import tempfile
import termios
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.estop import StopArrival
from benchmarks.stats import summary
from treadlink_sim.bridge_port import open_bridge_port
from treadlink_sim.profile import load_profile
from treadlink_sim.rig import BRIDGE_ADDRESS, new_link, simulator_device
from treadlink_sim.treadmill import TreadmillSimulator

STAGE = 'name: "Key bench"\nitems:\n  - walk: 60:00\n'
COLUMNS, ROWS = 100, 30
STEP_TIMEOUT_S = 20.0


class EventsTail:
    """Counts the kinds of event `treadlink run --events` has written so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: Counter[str] = Counter()
        self._offset = 0
        self._partial = ""

    def _read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open() as f:
            f.seek(self._offset)
            chunk = f.read()
            self._offset = f.tell()
        lines = (self._partial + chunk).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if line:
                self.seen[json.loads(line)["event"]] += 1

    async def until(self, kind: str, count: int, *, press: bytes = b"", fd: int = -1) -> None:
        """Wait until `count` events of `kind`; re-press `press` every half second meanwhile
        (an acknowledge is refused while the stop is still being confirmed)."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        next_press = 0.0
        while True:
            self._read()
            if self.seen[kind] >= count:
                return
            now = time.monotonic()
            if now > deadline:
                raise RuntimeError(f"no {kind} #{count} within {STEP_TIMEOUT_S} s: {self.seen}")
            if press and now >= next_press:
                os.write(fd, press)
                next_press = now + 0.5
            await asyncio.sleep(0.01)


async def _trials(plain: bool, trials: int, key: bytes = b" ") -> list[float]:
    profile = load_profile("noblepro-elite", telemetry_hz=10.0)
    link = new_link()
    sim = TreadmillSimulator(simulator_device(profile, link), profile)
    port = await open_bridge_port("tcp-server:127.0.0.1:0", link, BRIDGE_ADDRESS, sim.drop_link)
    await sim.start()
    arrival = StopArrival(sim)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        stage, events_path = Path(tmp) / "stage.yaml", Path(tmp) / "events.jsonl"
        stage.write_text(STAGE)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "treadlink.cli", "run", str(stage), "--sim", port.describe,
            "--events", str(events_path), "--quiet", *(["--plain"] if plain else []),
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color"},
        )  # fmt: skip
        os.close(slave)

        def drain() -> None:  # the screen's output: read and dropped, so the child never blocks
            try:
                os.read(master, 65536)
            except OSError:
                loop.remove_reader(master)

        loop.add_reader(master, drain)
        events = EventsTail(events_path)
        try:
            await events.until("segment_started", 1)
            for i in range(1, trials + 1):
                await asyncio.sleep(random.uniform(0.3, 0.6))
                arrived = arrival.arm()
                t0 = time.perf_counter()
                os.write(master, key)
                latencies.append((await asyncio.wait_for(arrived, 5) - t0) * 1000)
                await events.until("belt_stopped", i)
                await events.until("acknowledged", i, press=b"a", fd=master)
                os.write(master, b"p")  # once: p again while easing in would pause it
                await events.until("resumed", i)
            os.write(master, b"q")
            async with asyncio.timeout(STEP_TIMEOUT_S):
                await process.wait()
        finally:
            loop.remove_reader(master)
            if process.returncode is None:
                process.kill()
                await process.wait()
            os.close(master)
            await sim.stop()
            await port.close()
    return latencies


def measure(trials: int = 60) -> dict[str, Any]:
    screen = summary(asyncio.run(_trials(False, trials)))
    plain = summary(asyncio.run(_trials(True, trials)))
    # Esc: textual's parser holds a lone ESC for ESCDELAY (100 ms) in case a sequence follows.
    esc = summary(asyncio.run(_trials(False, max(trials // 5, 5), b"\x1b")))
    return {"screen_ms": screen, "plain_ms": plain, "screen_esc_ms": esc, "telemetry_hz": 10.0}


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 20), indent=2))
