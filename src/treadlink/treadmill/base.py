"""`Treadmill`: one treadmill, whatever protocol it speaks, as typed state, events and commands.

    treadmill = link.treadmill                               # FTMS or FitShow: the link chose
    commands = treadmill.take_control(guard.on_treadmill)    # once per treadmill, ever
    await commands.set_speed(8.2)                            # checked against its own grid

As bleak has one client interface and a backend per platform, treadlink has this one interface
and a driver per protocol (treadlink.ftms, treadlink.fitshow). The link (treadlink.ble) owns the
Bluetooth connection and offers each driver a `GattPort`; the driver reads what the treadmill is
and can do, subscribes to what it reports, and turns bytes into the events in
treadlink.treadmill.state. The guard, the session and every front end see only this interface.

`take_control` hands out the one `Commands` object and makes its taker the first to hear every
event, before any subscriber: the safety guard takes it as the link comes up, so nothing else in
the program can write to the treadmill, and no display or recorder hears a frame before it.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from treadlink.fanout import Fanout
from treadlink.treadmill.errors import Command, CommandError, MalformedFrame
from treadlink.treadmill.state import (
    CommandFailed,
    Connected,
    Disconnected,
    TreadmillEvent,
    TreadmillState,
)
from treadlink.treadmill.units import Range, SetpointError, setpoint_units

log = logging.getLogger(__name__)

Listener = Callable[[TreadmillEvent], None]


class GattPort(Protocol):
    """What the link offers a driver: the connected treadmill's GATT table, by 16-bit UUID.
    Writes raise WriteRefused (an ATT error) or LinkLost (no link); the link translates its
    stack's errors at this boundary, so no driver knows a Bluetooth library."""

    def has(self, uuid16: int) -> bool: ...

    async def read(self, uuid16: int) -> bytes: ...

    async def write(self, uuid16: int, data: bytes, *, response: bool) -> None: ...

    async def subscribe(self, uuid16: int, handler: Callable[[bytes], None]) -> None: ...


class ControlTaken(RuntimeError):
    """`take_control` was called a second time: the treadmill has one commander."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the treadmill says it is and can do, read once per connection."""

    info: DeviceInfo
    speed_range: Range
    incline_range: Range | None
    incline_settable: bool  # it takes an incline target (some report an incline they cannot set)


class Treadmill(ABC):
    protocol: ClassVar[str]  # "ftms", "fitshow": what `scan`, `probe` and traces call it

    def __init__(self, name: str | None, address: str) -> None:
        self.name = name
        self.address = address
        self._events: Fanout[TreadmillEvent] = Fanout()
        self._first: Listener | None = None  # the commander's watcher: hears everything first
        self._port: GattPort | None = None
        self._commands: Commands | None = None
        self.capabilities: Capabilities | None = None
        self.state = TreadmillState()
        self.frames_dropped = 0

    @property
    def label(self) -> str:
        return self.name or self.address

    # --- the link's side -------------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        return self._port is not None

    async def attach(self, port: GattPort, info: DeviceInfo) -> None:
        """The link is up: read what the treadmill can do, subscribe to what it reports, and
        send commands through `port` from now on."""
        self.capabilities = await self._set_up(port, info)
        self._port = port
        self._emit(Connected(self._now()))
        self._attached()

    def detach(self, *, solicited: bool) -> None:
        """The link is down: every command in flight fails, later ones fail at once."""
        self._port = None
        self._detached()
        self._emit(Disconnected(self._now(), solicited=solicited))

    @abstractmethod
    async def _set_up(self, port: GattPort, info: DeviceInfo) -> Capabilities:
        """Read the treadmill's ranges and subscribe to its reports (before `is_connected`)."""

    @abstractmethod
    def _attached(self) -> None:
        """The link is up and the treadmill attached (a driver that polls starts here)."""

    @abstractmethod
    def _detached(self) -> None:
        """The link is down (fail what is in flight, stop polling)."""

    # --- what the treadmill can do ---------------------------------------------------------
    @property
    def speed_range(self) -> Range | None:
        return self.capabilities.speed_range if self.capabilities else None

    @property
    def incline_range(self) -> Range | None:
        return self.capabilities.incline_range if self.capabilities else None

    @property
    def supports_incline(self) -> bool:
        c = self.capabilities
        return c is not None and c.incline_range is not None and c.incline_settable

    def details(self) -> list[tuple[str, str]]:
        """What the protocol itself says of the treadmill, for `probe` (label, value)."""
        return []

    def speed_units(self, kmh: float) -> int:
        """Grid units for a target speed, or SetpointError if the treadmill cannot take it."""
        if self.speed_range is None:
            raise SetpointError("not connected: the treadmill's speed range is not known yet")
        return setpoint_units("speed", kmh, self.speed_range)

    def nearest_speed(self, kmh: float) -> float:
        """The speed on the treadmill's grid nearest to `kmh` (checked like any other setpoint
        after: outside the range it is still refused)."""
        r = self.speed_range
        return round(kmh, 2) if r is None else r.nearest(kmh)

    def incline_units(self, pct: float) -> int:
        if self.incline_range is None or not self.supports_incline:
            raise SetpointError("this treadmill does not take an inclination target")
        return setpoint_units("incline", pct, self.incline_range)

    # --- events ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event, after the commander's watcher."""
        return self._events.subscribe(listener)

    def take_control(self, watcher: Listener) -> Commands:
        """The one command surface, for the one owner; `watcher` hears every event first."""
        if self._commands is not None:
            raise ControlTaken(f"{self.label}: the treadmill already has its commander")
        self._first = watcher
        self._commands = self._make_commands()
        return self._commands

    @abstractmethod
    def _make_commands(self) -> Commands: ...

    def _emit(self, event: TreadmillEvent) -> None:
        if self._first is not None:
            try:
                self._first(event)
            except Exception:  # the watcher must never be the reason a frame is lost
                log.exception("the treadmill's watcher failed on %r", event)
        self._events.emit(event)

    def _decoded[T](self, decode: Callable[[bytes], T], data: bytes) -> T | None:
        """Decode a notification, or log and drop it: never raise out of a link callback."""
        try:
            return decode(data)
        except MalformedFrame as e:
            self.frames_dropped += 1
            log.warning("dropped notification %s: %s", data.hex(" "), e)
            return None

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()


class Commands(ABC):
    """The treadmill's commands, checked against its advertised ranges before any byte is
    written. Only `Treadmill.take_control` makes one. A command that does not succeed is
    reported as CommandFailed to the treadmill's listeners, whoever sent it (Stop and Pause
    excepted: the guard judges those itself)."""

    def __init__(self, treadmill: Treadmill) -> None:
        self._treadmill = treadmill

    @property
    @abstractmethod
    def procedure_timeout(self) -> float: ...

    @abstractmethod
    async def request_control(self) -> None: ...

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def set_speed(self, kmh: float) -> None: ...

    @abstractmethod
    async def set_incline(self, pct: float) -> None: ...

    @abstractmethod
    async def stop(self, *, timeout: float | None = None) -> None:
        """Stop now: never waits behind another command; raises unless the treadmill took it."""

    @abstractmethod
    async def pause(self, *, timeout: float | None = None) -> None:
        """Pause now, the same way as a stop: queued commands are dropped."""

    async def _reported[T](self, command: Command, procedure: Coroutine[Any, Any, T]) -> T:
        try:
            return await procedure
        except CommandError as e:
            t = self._treadmill
            t._emit(CommandFailed(t._now(), command, str(e)))
            raise
