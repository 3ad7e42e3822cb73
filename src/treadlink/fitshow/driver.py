"""`FitShowTreadmill`: the FitShow driver behind treadlink's one treadmill interface.

FitShow consoles (many `FS-…` modules, NoblePro's Elite E8i) push nothing: the driver polls the
status every `POLL_S` and says what each reply means in the interface's words
(treadlink.treadmill.state). A silent poll is silent telemetry: no Telemetry comes, and the
guard's watchdog sees it. Commands are frames written without response on the console's own
service (0xFFF0, 0xFFE0 or NoblePro's 0xAE00); a command's echo says only that the console read
it, so what it did is judged by the status after it:

    a status frame                            → Telemetry (0 km/h unless running or stopping)
    STOPPING, END or NORMAL after our STOP     → StopTaken
    PAUSED, STOPPING, END, NORMAL, ERROR, sleep
      out of a moving state, not after ours    → StoppedOnConsole
    RUNNING or the countdown out of rest,
      not after our start                      → StartedOnConsole
    DISABLE 01 (the safety key), and out of it → SafetyKeyPulled, SafetyKeyBack

FitShow reports no target speed: a console speed change cannot be told from a runaway, and
above the plan's target it is stopped as one (docs/fitshow.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import ClassVar, Final

from treadlink.fitshow.protocol import (
    NOBLEPRO,
    TRANSPORTS,
    BeltState,
    Control,
    Info,
    Transport,
)
from treadlink.fitshow.protocol import (
    Command as Cmd,
)
from treadlink.fitshow.replies import (
    ControlAck,
    InclineInfo,
    ReadyAck,
    Reply,
    SpeedInfo,
    StatusReply,
    TargetAck,
    Unsupported,
    decode_reply,
)
from treadlink.fitshow.requests import (
    incline_info_request,
    pause_request,
    ready_request,
    speed_info_request,
    start_request,
    status_request,
    stop_request,
    target_request,
)
from treadlink.fitshow.units import NOBLEPRO_UNITS, STANDARD, SpeedUnit, Units
from treadlink.treadmill.base import Capabilities, Commands, DeviceInfo, GattPort, Treadmill
from treadlink.treadmill.errors import (
    Command,
    CommandRefused,
    CommandTimeout,
    LinkLost,
    NotDrivable,
    Refusal,
)
from treadlink.treadmill.known import UnitChoice, speed_unit_of
from treadlink.treadmill.state import (
    SafetyKeyBack,
    SafetyKeyPulled,
    StartedOnConsole,
    StoppedOnConsole,
    StopTaken,
    Telemetry,
    TreadmillEvent,
)

log = logging.getLogger(__name__)

POLL_S: Final = 0.25  # the status poll: QZ 200 ms, the F15's own app 500 ms
INFO_TIMEOUT_S: Final = 1.0  # an INFO or control reply comes 100–130 ms after its request
INFO_TRIES: Final = 3  # QZ retries a command 3 times

_MOVING: Final = frozenset({BeltState.RUNNING, BeltState.COUNTDOWN})
_AT_REST: Final = frozenset(
    {BeltState.IDLE, BeltState.STOPPED, BeltState.PAUSED, BeltState.SLEEPING}
)
# After our STOP: the belt stopping or at rest (the safety key out stops it too).
_STOP_TAKEN: Final = frozenset(
    {BeltState.STOPPING, BeltState.STOPPED, BeltState.IDLE, BeltState.SAFETY_KEY_OUT}
)
# After our PAUSE: the belt not running. Paused or slowing; or at rest, when the pause ended a
# countdown (the belt never moved) or the console took it as a stop.
_PAUSE_TAKEN: Final = frozenset(
    {BeltState.PAUSED, BeltState.STOPPING, BeltState.STOPPED, BeltState.IDLE}
)
# The console stopped it (its keys, an error, sleep): out of a moving state into these.
_STOPPED_ON_CONSOLE: Final = frozenset(
    {
        BeltState.PAUSED,
        BeltState.STOPPING,
        BeltState.STOPPED,
        BeltState.IDLE,
        BeltState.ERROR,
        BeltState.SLEEPING,
    }
)

Key = tuple[int, int | None]  # (command, sub-command) a reply answers


def transport_of(port: GattPort) -> Transport:
    """The first FitShow service the treadmill has, in QZ's order of preference."""
    for transport in TRANSPORTS:
        if port.has(transport.write) and port.has(transport.notify):
            return transport
    raise NotDrivable("the treadmill shows none of FitShow's services")


class FitShowTreadmill(Treadmill):
    protocol: ClassVar[str] = "fitshow"

    def __init__(
        self,
        name: str | None,
        address: str,
        *,
        procedure_timeout: float = 2.0,
        speed_unit: SpeedUnit | None = None,
    ) -> None:
        """`speed_unit`: the console's speed unit when it is known better than the console
        says (a unit labelled km/h that counts mph); None: as the console reports it."""
        super().__init__(name, address)
        self.procedure_timeout = procedure_timeout
        self._speed_unit = speed_unit
        self.unit_choice: UnitChoice | None = None  # the console's km/mph bit overruled, and why
        self.unit_assumed = False  # the console never said km or miles
        self.transport: Transport | None = None
        self.units: Units = STANDARD
        self.belt: BeltState | None = None  # the state the last poll read
        self._waiting: dict[Key, asyncio.Future[Reply]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._stop_written = False  # a STOP of ours not yet seen taken
        self._pause_written = False
        self._start_written = False
        self.polls = 0

    # --- the link's side -------------------------------------------------------------------
    async def _set_up(self, port: GattPort, info: DeviceInfo) -> Capabilities:
        transport = self.transport = transport_of(port)
        await port.subscribe(transport.notify, self._on_notification)
        self._port = port  # the INFO queries below go out on it; `attach` sets it again
        try:
            speed = await self._ask(speed_info_request(), (Cmd.SYS_INFO, Info.SPEED))
            incline = await self._ask(incline_info_request(), (Cmd.SYS_INFO, Info.INCLINE))
        finally:
            self._port = None
        if not isinstance(speed, SpeedInfo):
            raise LinkLost(f"the console answered its speed range with {speed!r}")
        unit = self._speed_unit
        if unit is None:  # judged once: a reconnect drives it the same way
            self.unit_choice = speed_unit_of(self.name, self.address, info.model)
            if self.unit_choice is not None:
                unit = self._speed_unit = self.unit_choice.speed_unit
        if unit is None and isinstance(incline, InclineInfo) and incline.speed_unit is not None:
            unit = incline.speed_unit
        # Only INFO_INCLINE names the console's unit: a flat console leaves it unsaid.
        self.unit_assumed = unit is None
        base = NOBLEPRO_UNITS if transport == NOBLEPRO else STANDARD
        self.units = Units(speed=unit or SpeedUnit.KMH, incline_step_pct=base.incline_step_pct)
        speeds = speed.range(self.units)
        inclines = incline.range(self.units).to_ftms() if isinstance(incline, InclineInfo) else None
        return Capabilities(
            info=info,
            speed_range=speeds.to_ftms(),
            incline_range=inclines,
            incline_settable=inclines is not None,
        )

    def _attached(self) -> None:
        self._poller = asyncio.get_running_loop().create_task(self._poll())

    def _detached(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        for waiter in self._waiting.values():
            if not waiter.done():
                waiter.set_exception(LinkLost("link lost"))
        self._waiting.clear()

    def details(self) -> list[tuple[str, str]]:
        return [
            ("service", str(self.transport)),
            (
                "units",
                f"speed in 0.1 {self.units.speed}, incline in {self.units.incline_step_pct} %"
                + (f" ({self.unit_choice.why})" if self.unit_choice else "")
                + (_UNIT_ASSUMED if self.unit_assumed else ""),
            ),
        ]

    # --- polling -------------------------------------------------------------------------------
    async def _poll(self) -> None:
        """Ask for the status every POLL_S for as long as the link is up. A poll that cannot be
        written is skipped: silent telemetry is the guard's to judge, not this loop's."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while self._port is not None:
            with contextlib.suppress(Exception):
                await self._write(status_request())
                self.polls += 1
            next_at = max(next_at + POLL_S, loop.time())
            await asyncio.sleep(next_at - loop.time())

    # --- what the console reports --------------------------------------------------------------
    def _on_notification(self, data: bytes) -> None:
        reply = self._decoded(decode_reply, data)
        if reply is None:
            return
        if isinstance(reply, StatusReply):
            self._on_status(reply)
        key = _key_of(reply)
        waiter = self._waiting.pop(key, None) if key is not None else None
        if waiter is not None and not waiter.done():
            waiter.set_result(reply)

    def _on_status(self, reply: StatusReply) -> None:
        now, before, state = self._now(), self.belt, reply.state
        self.belt = state
        values: dict[str, float | int | None] = dict(reply.values(self.units))
        if "speed_kmh" not in values:
            values["speed_kmh"] = 0.0  # the console says the belt is not running
        self.state = self.state.updated(values)
        for event in self._meaning(before, state, now):
            self._emit(event)
        self._emit(Telemetry(now, self.state))

    def _meaning(
        self, before: BeltState | None, state: BeltState, now: float
    ) -> list[TreadmillEvent]:
        events: list[TreadmillEvent] = []
        if state == BeltState.SAFETY_KEY_OUT and before != state:
            events.append(SafetyKeyPulled(now))
        elif before == BeltState.SAFETY_KEY_OUT and state != before:
            events.append(SafetyKeyBack(now))
        if self._stop_written and state in _STOP_TAKEN:
            self._stop_written = self._pause_written = False
            events.append(StopTaken(now, f"status {state}"))
        elif self._pause_written and state in _PAUSE_TAKEN:
            self._pause_written = False
            events.append(StopTaken(now, f"status {state}"))
        elif before in _MOVING and state in _STOPPED_ON_CONSOLE:
            events.append(StoppedOnConsole(now, paused=state == BeltState.PAUSED))
        if state in _MOVING and (before is None or before in _AT_REST):
            if self._start_written:
                self._start_written = False
            elif before is not None:
                events.append(StartedOnConsole(now))
        return events

    # --- requests -------------------------------------------------------------------------------
    async def _write(self, frame: bytes) -> None:
        port, transport = self._port, self.transport
        if port is None or transport is None:
            raise LinkLost("not connected to the treadmill")
        await port.write(transport.write, frame, response=False)

    async def _ask(
        self,
        frame: bytes,
        key: Key,
        *,
        timeout: float = INFO_TIMEOUT_S,
        command: Command | None = None,
    ) -> Reply:
        """Write `frame` and wait for the reply that answers it; tried INFO_TRIES times.
        `command`: what a timeout is named after, when the key alone does not say (TARGET sets
        speed and incline both)."""
        for _ in range(INFO_TRIES):
            waiter = self._expect(key)
            await self._write(frame)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    return await asyncio.shield(waiter)
        raise CommandTimeout(command or _COMMAND_OF.get(key, Command.REQUEST_CONTROL), timeout)

    def _expect(self, key: Key) -> asyncio.Future[Reply]:
        waiter = self._waiting.get(key)
        if waiter is None or waiter.done():
            waiter = asyncio.get_running_loop().create_future()
            waiter.add_done_callback(_retrieved)
            self._waiting[key] = waiter
        return waiter

    async def _until(self, states: frozenset[BeltState], timeout: float, command: Command) -> None:
        """Poll at once, then wait until a status shows one of `states`."""
        seen: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def check(event: TreadmillEvent) -> None:
            if isinstance(event, Telemetry) and self.belt in states and not seen.done():
                seen.set_result(None)

        unsubscribe = self.subscribe(check)
        try:
            await self._write(status_request())
            async with asyncio.timeout(timeout):
                await seen
        except TimeoutError:
            raise CommandTimeout(command, timeout) from None
        finally:
            unsubscribe()

    def _make_commands(self) -> FitShowCommands:
        return FitShowCommands(self)


class FitShowCommands(Commands):
    """FitShow has no control to ask for and no procedures to queue: every command is a frame
    written at once, and a stop never waits behind anything."""

    def __init__(self, treadmill: FitShowTreadmill) -> None:
        super().__init__(treadmill)
        self._fs = treadmill
        self._speed: float | None = None  # the targets we set: TARGET carries both
        self._incline: float | None = None

    @property
    def procedure_timeout(self) -> float:
        return self._fs.procedure_timeout

    async def request_control(self) -> None:
        pass  # FitShow has no control point: whoever is connected commands

    async def start(self) -> None:
        await self._reported(Command.START, self._start())

    async def _start(self) -> None:
        fs = self._fs
        if fs.belt in _MOVING:
            return  # never a start to a running belt
        fs._start_written = True
        if fs.belt == BeltState.PAUSED:
            await self._control(start_request(), Control.START, Command.START)
        else:
            key = (Cmd.SYS_CONTROL, Control.READY)
            reply = await fs._ask(ready_request(), key, timeout=fs.procedure_timeout)
            if not isinstance(reply, ReadyAck):
                raise CommandRefused(Command.START, Refusal.FAILED, f"start: answered {reply!r}")

    async def set_speed(self, kmh: float) -> None:
        self._fs.speed_units(kmh)  # the treadmill's own range and grid first
        await self._reported(Command.SET_SPEED, self._target(kmh, self._incline, Command.SET_SPEED))

    async def set_incline(self, pct: float) -> None:
        self._fs.incline_units(pct)
        speed = self._speed_in_force()
        await self._reported(Command.SET_INCLINE, self._target(speed, pct, Command.SET_INCLINE))

    def _speed_in_force(self) -> float:
        """The speed an incline change carries (TARGET sets both): ours, set since the belt
        last stopped, or else the belt's own, down to the grid. Never one from before a stop:
        after a fault the belt comes back one ease step at a time (docs/safety.md, item 4)."""
        if self._speed is not None:
            return self._speed
        r = self._fs.speed_range
        if r is None:
            raise CommandRefused(
                Command.SET_INCLINE, Refusal.INVALID, "set incline: the speed range is unknown"
            )
        return r.floor(self._fs.state.speed_kmh or 0.0)

    async def _target(self, kmh: float, pct: float | None, command: Command) -> None:
        fs = self._fs
        frame = target_request(kmh, pct, fs.units)
        key = (Cmd.SYS_CONTROL, Control.TARGET)
        reply = await fs._ask(frame, key, timeout=fs.procedure_timeout, command=command)
        if not isinstance(reply, TargetAck):
            raise CommandRefused(command, Refusal.FAILED, f"target: answered {reply!r}")
        self._speed, self._incline = kmh, pct

    async def stop(self, *, timeout: float | None = None) -> None:
        fs = self._fs
        fs._stop_written = True
        # Our start is over: the next start out of rest is the console's unless we start again
        # (a READY stopped before any poll saw it count down must not swallow it).
        fs._start_written = False
        self._speed = None  # the console drops its target: no later TARGET brings it back
        await fs._write(stop_request())
        # Judged by a status polled after the STOP, at rest already too: the last poll's state
        # may be stale (a console fallen silent has accepted nothing). Asleep, the console
        # ignores commands with the belt at rest: the stop is taken as written.
        taken = _STOP_TAKEN | {BeltState.SLEEPING}
        await fs._until(taken, timeout or fs.procedure_timeout, Command.STOP)

    async def pause(self, *, timeout: float | None = None) -> None:
        fs = self._fs
        fs._pause_written = True
        await fs._write(pause_request())
        await fs._until(_PAUSE_TAKEN, timeout or fs.procedure_timeout, Command.PAUSE)

    async def _control(self, frame: bytes, control: Control, command: Command) -> None:
        fs = self._fs
        reply = await fs._ask(frame, (Cmd.SYS_CONTROL, control), timeout=fs.procedure_timeout)
        if not isinstance(reply, ControlAck):
            raise CommandRefused(command, Refusal.FAILED, f"{command}: answered {reply!r}")


def _key_of(reply: Reply) -> Key | None:
    match reply:
        case SpeedInfo():
            return (Cmd.SYS_INFO, Info.SPEED)
        case InclineInfo():
            return (Cmd.SYS_INFO, Info.INCLINE)
        case Unsupported(command=command, sub=sub):
            return (command, sub)
        case ReadyAck():
            return (Cmd.SYS_CONTROL, Control.READY)
        case TargetAck():
            return (Cmd.SYS_CONTROL, Control.TARGET)
        case ControlAck(control=control):
            return (Cmd.SYS_CONTROL, int(control))
    return None


_UNIT_ASSUMED = (
    " (km/h assumed: the console has no incline, whose range is the only reply that says km or"
    " miles; if its display shows mph, set speed_unit: mph for it under treadmills: in the config)"
)
_COMMAND_OF: Final[dict[Key, Command]] = {
    (Cmd.SYS_CONTROL, Control.READY): Command.START,
    (Cmd.SYS_CONTROL, Control.START): Command.START,
    (Cmd.SYS_CONTROL, Control.TARGET): Command.SET_SPEED,
}


def _retrieved(waiter: asyncio.Future[Reply]) -> None:
    if not waiter.cancelled():
        waiter.exception()
