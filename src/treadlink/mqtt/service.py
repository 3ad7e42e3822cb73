"""`Service`: what `treadlink serve` runs. It owns the treadmill link and the broker link.

    service = Service(radio, settings, profile, topics, ServeOptions(Target(device="NoblePro")))
    loop.add_signal_handler(SIGTERM, service.terminate, "SIGTERM")
    confirmed = await service.run()     # False: the belt may still be running

The broker link stays up for the whole service, while the treadmill comes and goes. Whenever the
treadmill is in reach it is connected and published (`B/treadmill` online), including while it
idles, so someone walking from the console still shows. When it sleeps or leaves, `B/treadmill`
goes offline and it is looked for again with backoff. Stages run on a remote `start` only when
the config allows it (the bridge checks that). With nobody at a laptop to acknowledge, a fault
ends the session (`on_fault="end"`), and the belt is stopped either way.

`terminate` (SIGTERM) stops any belt the service started and waits until the treadmill confirms
it; `run` says whether it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from bleak.exc import BleakError

from treadlink.app.connection import Connection, Target, connect
from treadlink.backoff import Backoff
from treadlink.ble.radio import Radio
from treadlink.config import RunnerProfile
from treadlink.mqtt.bridge import MqttBridge, serve_rules
from treadlink.mqtt.connect import Bridged, connect_bridge
from treadlink.mqtt.discovery import Machine
from treadlink.mqtt.outlook import Outlook
from treadlink.mqtt.programme import Chosen, next_stage
from treadlink.mqtt.run_hook import caps_of
from treadlink.mqtt.settings import MqttSettings
from treadlink.mqtt.stages import StageRefused, find_stage, load_stage_file
from treadlink.mqtt.topics import Topics
from treadlink.plans.limits import TreadmillLimits
from treadlink.records.model import SessionStart
from treadlink.records.session_record import open_recording, session_start
from treadlink.safety.events import GuardEvent, LinkDown
from treadlink.safety.faults import ACCEPTED, Verdict, refused
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import Event, Finished, TelemetryUpdate
from treadlink.treadmill.errors import CommandError
from treadlink.treadmill.state import Telemetry, TreadmillEvent

log = logging.getLogger(__name__)

STOP_WAIT_S: Final = 10.0  # on the way out, for a stop asked for over MQTT while idle


@dataclass(frozen=True, slots=True)
class ServeOptions:
    target: Target = field(default_factory=Target)  # simulated: the simulator's history
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
            caps=caps_of(options.target.guard_settings(profile)),
            rules=serve_rules(
                allow_remote_start=settings.allow_remote_start,
                allow_remote_increase=settings.allow_remote_increase,
            ),
            starter=self.start,
        )
        self.outlook = Outlook(self.bridge, settings.workouts, simulated=options.target.simulated)
        self.guard: SafetyGuard | None = None
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

    async def run(self) -> bool:
        """Serve until `terminate`; False if a stop it asked for was never confirmed."""
        async with self.bridged.link:
            looking = asyncio.create_task(self.outlook.run(), name="next stage")
            try:
                await self._keep_treadmill()
                await self._session_done()
            finally:
                looking.cancel()
                await asyncio.gather(looking, return_exceptions=True)
            self.bridge.close()
        return not self._belt_may_run

    # --- the treadmill, kept connected -----------------------------------------------------
    async def _keep_treadmill(self) -> None:
        backoff = Backoff(*self.options.reconnect_s)
        while not self._terminating.is_set():
            problem: Exception | None = None
            try:
                async with connect(self.radio, self.options.target, self.profile) as connection:
                    backoff.reset()
                    await self._while_connected(connection)
            except (BleakError, CommandError, OSError, TimeoutError) as e:
                problem = e
            finally:
                self.guard = self.bridge.guard = None
                self.bridge.set_treadmill_online(False)
            delay = backoff.next_delay()
            if problem is not None:
                log.warning("treadmill: %s (looking again in %.0f s)", problem, delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._terminating.wait()

    async def _while_connected(self, connection: Connection) -> None:
        """Until the service ends or the treadmill leaves while idle. The guard holds the
        control point for all of it; a drop during a session, or with the belt moving or a
        fault latched, is the guard's to handle (it reconnects and stops the belt, and the
        latch stays for the runner to acknowledge locally). Only an idle treadmill that goes
        to sleep is let go and looked for again."""
        treadmill, guard = connection.treadmill, connection.guard
        assert treadmill.speed_range is not None
        self.guard = self.bridge.guard = guard
        self.limits = connection.limits
        self.bridged.discovery.set_machine(Machine.of(treadmill))
        self.bridge.set_treadmill_online(True)
        asleep = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_treadmill(event: TreadmillEvent) -> None:
            if isinstance(event, Telemetry) and self.session is None:
                # Idle (or someone on the console): the treadmill is still published, with no
                # speed it has reason to doubt.
                self.bridge.observe(TelemetryUpdate.of(event.state, loop.time(), guard.speed_doubt))

        def on_guard(event: GuardEvent) -> None:
            # Judged whether or not a session object exists: one being set up (its record
            # opened) or wound down (its record closed) holds no plan, so the guard neither
            # faults nor reconnects, and the service must look for the treadmill itself.
            if isinstance(event, LinkDown) and guard.idle_at_rest:
                asleep.set()  # the guard judged it no fault: let go and look for it again
            if self.session is None or not self.session.running:
                self.bridge.observe(event)  # a running session passes them on itself

        unsubscribe = (treadmill.subscribe(on_treadmill), guard.subscribe(on_guard))
        try:
            waits = [asyncio.ensure_future(e.wait()) for e in (asleep, self._terminating)]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            await self._session_done()  # its own way out stops the belt
            if guard.stopping and not await guard.wait_belt_stopped(STOP_WAIT_S):
                self._belt_may_run = True  # a remote stop of a console-run belt, unconfirmed
        finally:
            for stop_listening in unsubscribe:
                stop_listening()

    # --- sessions on command -----------------------------------------------------------------
    def start(self, stage: str) -> Verdict:
        """A remote start the bridge has allowed: load the stage and run it."""
        if self._terminating.is_set():
            return refused("the service is stopping")
        if self.guard is None or self.limits is None or not self.guard.link_up:
            return refused("the treadmill is not connected")
        if self.session is not None:
            return refused("a session is running")
        try:
            chosen = self._choose(stage)
            timeline = load_stage_file(chosen.path, self.profile, self.limits)
        except StageRefused as e:
            return refused(str(e))
        start = session_start(
            timeline,
            plan_file=chosen.plan_file,
            stage=chosen.stage,
            simulated=self.options.target.simulated,
            speedup=self.options.target.speedup,
        )
        session = Session(self.guard, timeline, speedup=self.options.target.speedup, on_fault="end")
        session.subscribe(self._on_session)
        self.bridge.attach(session)
        self.session = session
        self.sessions += 1
        self._session_task = asyncio.get_running_loop().create_task(self._run(session, start))
        return ACCEPTED

    def _choose(self, stage: str) -> Chosen:
        """The stage file a `start` names, or the one the programme advises for `next`. Reads
        the plan and the history (SQLite in WAL mode: readers do not wait for writers) on the
        loop, because a start is answered at once; it only gets here with no session running
        and the belt confirmed stopped (MqttBridge._start_refusal)."""
        workouts = self.settings.workouts
        if stage == "next":
            return next_stage(workouts, simulated=self.options.target.simulated, today=date.today())
        return Chosen(find_stage(workouts, stage))

    async def _run(self, session: Session, start: SessionStart) -> None:
        """Run the session, recorded in the history as `treadlink run` records it. Nobody is at
        a terminal to be asked for pain: the session is kept with its pain unknown, and the
        programme waits for `treadlink pain` at the treadmill (docs/mqtt.md)."""
        recording = None
        try:
            recording = await asyncio.to_thread(
                open_recording,
                start,
                running_threshold_kmh=self.profile.running_threshold,
                warn=lambda problem: log.warning("session %s", problem),
            )
        except Exception:
            log.exception("session not recorded")  # it runs all the same
        if recording is not None:
            session.subscribe(recording.listen)  # memory and a queue only, never the disk
        try:
            await session.run()
        except Exception:
            log.exception("session ended by an error")
        finally:
            try:
                if recording is not None:
                    await asyncio.to_thread(recording.close)  # the writer thread writes the rest
            except Exception:
                log.exception("the session's record could not be completed")
            finally:
                self.session = None
                self.bridge.session_ended(session)
                self.outlook.stale()  # the history has one more session

    def _on_session(self, event: Event) -> None:
        if isinstance(event, Finished) and event.belt == "may be running":
            self._belt_may_run = True
            log.error("THE BELT MAY STILL BE RUNNING: stop it on the treadmill or pull the key")

    async def _session_done(self) -> None:
        if self._session_task is not None:
            await asyncio.shield(self._session_task)
