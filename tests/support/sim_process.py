"""`treadlink-sim` as its own process on 127.0.0.1, and a raw central over its transport."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bumble.transport import open_transport

from tests.support.sim_central import RawCentral

SIM = [sys.executable, "-m", "treadlink_sim.cli"]
# A bound on a Python process getting ready, not a timing check: its imports alone take seconds
# when the suite's workers (and whatever else runs) share two cores.
STARTS_WITHIN_S = 60.0


@dataclass(frozen=True, slots=True)
class SimulatorProcess:
    """A running `treadlink-sim`: the bridge's transport spec and the READY line."""

    process: asyncio.subprocess.Process
    spec: str
    ready: str

    @property
    def port(self) -> int:
        return int(self.spec.rpartition(":")[2])

    async def kill(self) -> None:
        """SIGKILL, as a crash or a pulled plug: no orderly shutdown, no final report line."""
        self.process.kill()
        await self.process.wait()


@asynccontextmanager
async def simulator(*args: str, port: int = 0) -> AsyncIterator[SimulatorProcess]:
    """A running simulator on 127.0.0.1:`port` (0: a free one). At the end it is stopped with
    SIGTERM and must shut down in order, unless the test killed it."""
    process = await asyncio.create_subprocess_exec(
        *SIM, "--link", f"tcp-server:127.0.0.1:{port}", *args, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(STARTS_WITHIN_S):
            ready = (await process.stdout.readline()).decode()
        assert ready.startswith("READY address=F0:F0:F0:F0:F0:01"), ready
        spec = next(w for w in ready.split() if w.startswith("link=")).removeprefix("link=")
        yield SimulatorProcess(process, spec, ready)
        if process.returncode is None:  # else the test killed it
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                rest = (await process.stdout.read()).decode()
                assert await process.wait() == 0
            assert rest.strip() == "STOPPED"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@asynccontextmanager
async def simulator_process(*args: str) -> AsyncIterator[tuple[str, str]]:
    """A running simulator on a free port: (the bridge's transport spec, the READY line)."""
    async with simulator(*args) as running:
        yield running.spec, running.ready


@asynccontextmanager
async def central_over(spec: str) -> AsyncIterator[RawCentral]:
    async with await open_transport(spec) as transport:
        central = await RawCentral.over_hci(transport.source, transport.sink)
        yield central
