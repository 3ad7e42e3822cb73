"""What the FitShow console notifies is read or dropped by the driver, never raised into the
Bluetooth stack: answers nobody waits for (the echo of a STOP or PAUSE, written without waiting)
and malformed status frames (counted, no telemetry: the guard's watchdog judges the silence)."""

from __future__ import annotations

import logging

import pytest

from tests.support.fitshow_driven import driven
from tests.support.simulated import fake_time
from treadlink.fitshow.protocol import BeltState, Control
from treadlink.fitshow.requests import ControlRequest
from treadlink.treadmill.state import Telemetry
from treadlink_sim.faults import Fault


@fake_time
async def test_unawaited_echoes_and_malformed_frames_raise_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    async with driven() as d:
        await d.commands.start()
        await d.polled(BeltState.RUNNING)
        await d.commands.pause()  # its echo comes, nobody waits for it
        await d.polled(BeltState.PAUSED)
        await d.commands.start()
        await d.polled(BeltState.RUNNING)
        await d.sim.set_fault(Fault.TRUNCATED_TREADMILL_DATA)  # every status cut short
        seen, dropped = len(d.heard.of(Telemetry)), d.treadmill.frames_dropped
        polls = len(d.sim.fitshow.polls)
        await d.sim.wait_for(lambda s: len(s.fitshow.polls) >= polls + 4, timeout=30)
        assert d.treadmill.frames_dropped > dropped  # counted ...
        assert len(d.heard.of(Telemetry)) == seen  # ... and no telemetry from them
        await d.sim.clear_fault(Fault.TRUNCATED_TREADMILL_DATA)
        await d.commands.stop()  # its echo too
        await d.arrival(ControlRequest(Control.STOP))
        await d.polled(BeltState.IDLE)
        await d.heard.polls(2)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
