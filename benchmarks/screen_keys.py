"""Key press → Stop bytes at the simulated treadmill, through the real `treadlink run` on a
terminal: with the full screen, and the same with `--plain`.

The simulator runs here, on bumble's TCP transport with 10 Hz telemetry; `treadlink run` is a
child process on a pseudo-terminal (100×30) that reaches it as `--sim tcp-client:...`. A trial
writes a space to the terminal and times until the Stop bytes arrive at the simulator: the
terminal, textual's input thread and parser (or the --plain raw reader), the event loop, the
guard, bleak, bumble and the TCP hop back. Between trials the runner's own keys bring the belt
back: a (acknowledge) once the stop is confirmed, p (resume), then a random wait so the press
lands anywhere in a frame while the screen redraws a moving belt.

The belt walks at 2 km/h and starts and stops 20 times faster than the real one: the guard's
window before "belt stopped" and the ease-in after a resume scale with the speed and the
belt's rates, and the figure is the terminal-to-wire path, not the belt. So a trial takes about
two seconds instead of twelve. What the run has done is read from its events file
(`--events`); every wait is bounded, and so is the teardown.
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
from pathlib import Path
from typing import Any

from benchmarks.estop import StopArrival
from benchmarks.events_file import EventsFile
from benchmarks.mqtt_stop import fast_belt
from benchmarks.stats import summary
from treadlink_sim.bridge_port import open_bridge_port
from treadlink_sim.rig import BRIDGE_ADDRESS, new_link, simulator_device
from treadlink_sim.treadmill import TreadmillSimulator

STAGE = 'name: "Key bench"\nwalk_speed: 2.0\nitems:\n  - walk: 60:00\n'
COLUMNS, ROWS = 100, 30
STEP_TIMEOUT_S = 20.0  # each wait for the run's next event
TEARDOWN_TIMEOUT_S = 30.0


class Terminal:
    """The run's pseudo-terminal, from the runner's side: keys in, the screen read and dropped
    (so the child never blocks on it). Never blocks the loop: a key the run does not take is an
    error, not a wait."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        os.set_blocking(self.master, False)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.master, self._drain)

    def press(self, key: bytes) -> None:
        try:
            os.write(self.master, key)
        except OSError as e:  # full (the run reads no keys) or gone
            raise RuntimeError(f"key {key!r} not taken by the run's terminal: {e}") from None

    def _drain(self) -> None:
        try:
            os.read(self.master, 65536)
        except BlockingIOError:
            pass
        except OSError:  # the run has gone
            self._loop.remove_reader(self.master)

    def close(self) -> None:
        self._loop.remove_reader(self.master)
        os.close(self.master)


async def _trials(plain: bool, trials: int, key: bytes = b" ") -> list[float]:
    profile = fast_belt(telemetry_hz=10.0)
    link = new_link()
    sim = TreadmillSimulator(simulator_device(profile, link), profile)
    port = await open_bridge_port("tcp-server:127.0.0.1:0", link, BRIDGE_ADDRESS, sim.drop_link)
    await sim.start()
    arrival = StopArrival(sim)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        stage, events_path = Path(tmp) / "stage.yaml", Path(tmp) / "events.jsonl"
        stage.write_text(STAGE)
        terminal = Terminal()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "treadlink.cli", "run", str(stage), "--sim", port.describe,
            "--events", str(events_path), "--quiet", *(["--plain"] if plain else []),
            stdin=terminal.slave, stdout=terminal.slave, stderr=terminal.slave,
            start_new_session=True, env={**os.environ, "TERM": "xterm-256color"},
        )  # fmt: skip
        os.close(terminal.slave)
        events = EventsFile(events_path)

        def gone() -> str | None:
            code = process.returncode
            return None if code is None else f"treadlink run exited with status {code}"

        async def until(kind: str, count: int = 1, **options: Any) -> None:
            await events.until(kind, count, within_s=STEP_TIMEOUT_S, gone=gone, **options)

        try:
            await until("segment_started")
            for i in range(1, trials + 1):
                await asyncio.sleep(random.uniform(0.3, 0.6))
                arrived = arrival.arm()
                t0 = time.perf_counter()
                terminal.press(key)
                try:
                    async with asyncio.timeout(5):
                        latencies.append((await arrived - t0) * 1000)
                except TimeoutError:
                    raise RuntimeError(f"trial {i}: no Stop bytes within 5 s of {key!r}") from None
                await until("belt_stopped", i)
                # Pressed again every half second: refused while the stop is being confirmed.
                await until("acknowledged", i, meanwhile=lambda: terminal.press(b"a"))
                terminal.press(b"p")  # once: p again while easing in would pause it
                await until("resumed", i)
            terminal.press(b"q")
            try:
                async with asyncio.timeout(STEP_TIMEOUT_S):
                    await process.wait()
            except TimeoutError:
                raise RuntimeError(
                    f"treadlink run did not quit within {STEP_TIMEOUT_S:g} s"
                ) from None
        finally:
            await _tear_down(process, terminal, sim, port)
    return latencies


async def _tear_down(
    process: asyncio.subprocess.Process, terminal: Terminal, sim: TreadmillSimulator, port: Any
) -> None:
    try:
        async with asyncio.timeout(TEARDOWN_TIMEOUT_S):
            if process.returncode is None:
                process.kill()
                await process.wait()
            terminal.close()
            await sim.stop()
            await port.close()
    except TimeoutError:
        raise RuntimeError(f"tear-down not done within {TEARDOWN_TIMEOUT_S:g} s") from None


def measure(trials: int = 60) -> dict[str, Any]:
    screen = summary(asyncio.run(_trials(False, trials)))
    plain = summary(asyncio.run(_trials(True, trials)))
    # Esc: textual's parser holds a lone ESC for ESCDELAY (100 ms) in case a sequence follows.
    esc = summary(asyncio.run(_trials(False, max(trials // 5, 5), b"\x1b")))
    return {"screen_ms": screen, "plain_ms": plain, "screen_esc_ms": esc, "telemetry_hz": 10.0}


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 20), indent=2))
