"""The guard holds the treadmill's one command surface: nobody else can take the control point."""

from __future__ import annotations

import pytest

from tests.support.simulated import link
from treadlink.safety.guard import SafetyGuard
from treadlink.treadmill.base import ControlTaken


async def test_no_one_else_can_take_the_control_point() -> None:
    """The guard holds the one command surface; a second taker is refused."""
    async with link() as c, SafetyGuard(c.link):
        with pytest.raises(ControlTaken):
            c.treadmill.take_control(lambda _event: None)
        for command in ("start", "set_speed", "set_incline", "stop", "pause", "control"):
            assert not hasattr(c.treadmill, command)
