"""`Service`: what `treadlink serve` runs. It owns the treadmill link and the broker link.

    service = Service(radio, settings, profile, topics, ServeOptions(device="NoblePro"))
    loop.add_signal_handler(SIGTERM, service.terminate, "SIGTERM")
    code = await service.run()

The broker link stays up for the whole service, while the treadmill comes and goes. Whenever the
treadmill is in reach it is connected and published (`B/treadmill` online), including while it
idles, so someone walking from the console still shows. When it sleeps or leaves, `B/treadmill`
goes offline and it is looked for again with backoff. Stages run on a remote `start` only when
the config allows it (the bridge checks that). With nobody at a laptop to acknowledge, a fault
ends the session (`on_fault="end"`), and the belt is stopped either way.

`terminate` (SIGTERM) stops any belt the service started and waits until the treadmill confirms
it. The exit status is 3 if it never did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Final

from bleak.exc import BleakError

from treadlink.ble.radio import Radio
from treadlink.config import RunnerProfile
from treadlink.ftms.control import ControlPointError
from treadlink.ftms.state import Disconnected, Telemetry, TreadmillEvent
from treadlink.ftms.treadmill import Treadmill
from treadlink.mqtt.bridge import MqttBridge, serve_rules
from treadlink.mqtt.connect import Bridged, connect_bridge
from treadlink.mqtt.discovery import Machine
from treadlink.mqtt.run_hook import caps_of
from treadlink.mqtt.settings import MqttSettings
from treadlink.mqtt.stages import StageRefused, load_remote_stage
from treadlink.mqtt.topics import Topics
from treadlink.plans.limits import TreadmillLimits
from treadlink.safety.faults import ACCEPTED, Verdict, refused
from treadlink.safety.guard import GuardSettings
from treadlink.session.engine import Session
from treadlink.session.events import Event, Fault, TelemetryUpdate

log = logging.getLogger(__name__)

EXIT_OK, EXIT_BELT_MAY_RUN = 0, 3


@dataclass(frozen=True, slots=True)
class ServeOptions:
    device: str | None = None  # address or part of the name; None: the first FTMS treadmill
    speedup: float = 1.0  # only with the simulator
    scan_timeout_s: float = 10.0
    reconnect_s: tuple[float, float] = (1.0, 60.0)  # backoff while the treadmill is away


class Service:
    def __init__(
        self,
        radio: Radio,
        settings: MqttSettings,
        profile: RunnerProfile,
        topics: Topics,
        options: ServeOptions = ServeOptions(),
    ) -> None:
        self.radio = radio
        self.settings = settings
        self.profile = profile
        self.options = options
        self.bridged: Bridged = connect_bridge(
            settings,
            topics,
            caps=caps_of(profile),
            rules=serve_rules(
                allow_remote_start=settings.allow_remote_start,
                allow_remote_increase=settings.allow_remote_increase,
            ),
            starter=self.start,
        )
        self.treadmill: Treadmill | None = None
        self.limits: TreadmillLimits | None = None
        self.session: Session | None = None
        self.sessions = 0
        self._session_task: asyncio.Task[None] | None = None
        self._terminating = asyncio.Event()
        self._belt_may_run = False

    @property
    def bridge(self) -> MqttBridge:
        return self.bridged.bridge

    def terminate(self, reason: str = "SIGTERM") -> None:
        """End the service: a running session is stopped first (its belt confirmed stopped)."""
        if self.session is not None:
            self.session.stop(reason)
        self._terminating.set()

    async def run(self) -> int:
        async with self.bridged.link:
            await self._keep_treadmill()
            await self._session_done()
            self.bridge.close()
        return EXIT_BELT_MAY_RUN if self._belt_may_run else EXIT_OK

    # --- the treadmill, kept connected -----------------------------------------------------
    async def _keep_treadmill(self) -> None:
        low, high = self.options.reconnect_s
        delay = low
        while not self._terminating.is_set():
            try:
                device = await self.radio.find_treadmill(
                    self.options.device, timeout=self.options.scan_timeout_s
                )
                async with Treadmill(device, backend=self.radio.client_backend) as treadmill:
                    delay = low
                    await self._while_connected(treadmill)
            except (BleakError, ControlPointError, TimeoutError) as e:
                log.warning("treadmill: %s (looking again in %.0f s)", e, delay)
            finally:
                self.treadmill = None
                self.bridge.set_treadmill_online(False)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._terminating.wait()
            delay = min(delay * 2, high)

    async def _while_connected(self, treadmill: Treadmill) -> None:
        assert treadmill.speed_range is not None
        self.treadmill = treadmill
        self.limits = TreadmillLimits(
            treadmill.speed_range, treadmill.incline_range or TreadmillLimits().incline
        )
        self.bridged.discovery.set_machine(
            Machine(
                name=treadmill.device.name or treadmill.device.address,
                speed=treadmill.speed_range,
                incline=treadmill.incline_range if treadmill.supports_incline else None,
            )
        )
        self.bridge.set_treadmill_online(True)
        lost = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_treadmill(event: TreadmillEvent) -> None:
            if isinstance(event, Disconnected):
                lost.set()
            elif isinstance(event, Telemetry) and self.session is None:
                # Idle (or someone on the console): the treadmill is still published.
                s = event.state
                self.bridge.observe(
                    TelemetryUpdate(
                        at=loop.time(),
                        speed_kmh=s.speed_kmh,
                        incline_pct=s.incline_pct,
                        distance_m=s.distance_m,
                        elapsed_time_s=s.elapsed_time_s,
                        heart_rate_bpm=s.heart_rate_bpm,
                    )
                )

        unsubscribe = treadmill.subscribe(on_treadmill)
        try:
            waits = [asyncio.ensure_future(e.wait()) for e in (lost, self._terminating)]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            await self._session_done()  # its own way out stops the belt
        finally:
            unsubscribe()

    # --- sessions on command -----------------------------------------------------------------
    def start(self, stage: str) -> Verdict:
        """A remote start the bridge has allowed: load the stage and run it."""
        if self._terminating.is_set():
            return refused("the service is stopping")
        if self.treadmill is None or self.limits is None:
            return refused("the treadmill is not connected")
        if self.session is not None:
            return refused("a session is running")
        try:
            timeline = load_remote_stage(self.settings.workouts, stage, self.profile, self.limits)
        except StageRefused as e:
            return refused(str(e))
        session = Session(
            self.treadmill,
            timeline,
            speedup=self.options.speedup,
            on_fault="end",
            safety=GuardSettings(cap_kmh=self.profile.max_speed),
        )
        session.subscribe(self._on_session)
        self.bridge.attach(session)
        self.session = session
        self.sessions += 1
        self._session_task = asyncio.get_running_loop().create_task(self._run(session))
        return ACCEPTED

    async def _run(self, session: Session) -> None:
        try:
            await session.run()
        except Exception:
            log.exception("session ended by an error")
        finally:
            self.session = None

    def _on_session(self, event: Event) -> None:
        if isinstance(event, Fault) and event.fault == STOP_UNCONFIRMED:
            self._belt_may_run = True
            log.error("THE BELT MAY STILL BE RUNNING: %s", event.message)

    async def _session_done(self) -> None:
        if self._session_task is not None:
            await asyncio.shield(self._session_task)


STOP_UNCONFIRMED: Final = "stop_unconfirmed"
