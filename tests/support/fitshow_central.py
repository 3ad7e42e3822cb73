"""A raw FitShow central for simulator tests: write frames, read the notified answers.

Over the real bumble link, like sim_central.RawCentral for FTMS, with treadlink's own codec
(treadlink.fitshow) to build and read the frames.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bumble.core import UUID

from tests.support.sim_central import RawCentral
from treadlink.fitshow.protocol import Transport
from treadlink.fitshow.replies import Reply, StatusReply, decode_reply
from treadlink.fitshow.requests import status_request
from treadlink_sim.profile import MachineProfile, load_profile
from treadlink_sim.rig import Rig, sim_rig


class FitShowCentral:
    """Writes requests to the console's write characteristic; its notifications queue up."""

    def __init__(self, central: RawCentral, transport: Transport) -> None:
        self.central = central
        self.transport = transport
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()

    async def subscribe(self) -> None:
        await self.central.peer.subscribe(self._characteristic(self.transport.notify), self._heard)

    def _heard(self, value: bytes) -> None:
        self.answers.put_nowait(bytes(value))

    def _characteristic(self, number: int):  # type: ignore[no-untyped-def]
        (found,) = self.central.peer.get_characteristics_by_uuid(UUID.from_16_bits(number))
        return found

    async def write(self, frame: bytes) -> None:
        """A write without response, as the consoles' write characteristics take."""
        write = self._characteristic(self.transport.write)
        await self.central.peer.write_value(write, frame, with_response=False)

    async def request(self, frame: bytes, timeout: float = 2.0) -> bytes:
        """Write `frame` and return the next notification (TimeoutError if none comes)."""
        await self.write(frame)
        return await self.next(timeout)

    async def unanswered(self, frame: bytes, timeout: float = 1.0) -> None:
        """Write `frame` and check that no answer comes within `timeout`."""
        await self.write(frame)
        try:
            answer = await self.next(timeout)
        except TimeoutError:
            return
        raise AssertionError(f"{frame.hex(' ')} was answered {answer.hex(' ')}")

    async def next(self, timeout: float = 2.0) -> bytes:
        async with asyncio.timeout(timeout):
            return await self.answers.get()

    async def reply(self, frame: bytes) -> Reply:
        return decode_reply(await self.request(frame))

    async def poll(self) -> StatusReply:
        reply = await self.reply(status_request())
        assert isinstance(reply, StatusReply), reply
        return reply

    def pending(self) -> list[bytes]:
        items = []
        while not self.answers.empty():
            items.append(self.answers.get_nowait())
        return items


@asynccontextmanager
async def fitshow_rig(
    profile: MachineProfile | str = "fitshow-f15", **overrides: object
) -> AsyncIterator[tuple[Rig, FitShowCentral]]:
    """A rig running `profile` with a FitShow central connected and subscribed."""
    if not isinstance(profile, MachineProfile):
        profile = load_profile(profile)
    if overrides:
        profile = profile.with_overrides(**overrides)
    async with sim_rig(profile) as rig:
        raw = await RawCentral.on_controller(rig.bridge_controller)
        await raw.connect(rig.address)
        central = FitShowCentral(raw, profile.fitshow_transport)
        await central.subscribe()
        yield rig, central
