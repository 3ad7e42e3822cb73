"""Ctrl-C on an idle `treadlink serve` ends it in silence (exit 0): no warning about a stop,
since there is no belt of its own to stop. The real program, a real Mosquitto."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import BASE, watching


async def test_ctrl_c_on_an_idle_serve_prints_nothing(broker: Mosquitto, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("max_speed: 10\n")
    env = {**os.environ, "TREADLINK_CONFIG": str(config)}
    command = [sys.executable, "-m", "treadlink.cli", "serve", "--sim", "--broker", broker.url]
    async with watching(broker.url) as watcher:
        process = await asyncio.create_subprocess_exec(*command, stdout=PIPE, stderr=PIPE, env=env)
        try:
            await watcher.expect(f"{BASE}/treadmill", lambda m: m.payload == b"online", timeout=30)
            await watcher.state(lambda s: s["session"] == "idle" and s["belt"] == "stopped")
            process.send_signal(signal.SIGINT)
            async with asyncio.timeout(30):
                out, err = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, err
        assert err == b"", err.decode()
        assert out.decode().startswith(f"treadlink serve: {BASE} on")
        await watcher.expect(f"{BASE}/status", lambda m: m.payload == b"offline")
