"""What a protocol server is to the machine: the GATT services it adds, the changes it hears.

The machine (treadmill.TreadmillSimulator) owns the belt, the console, the faults and the links;
each protocol server (FTMS, FitShow, RSC) turns them into its own bytes. A server changes the
machine only through the machine's own methods, so a start is the same start whichever protocol
(or the console) asked for it, and every server hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from bumble.core import UUID
from bumble.device import Connection
from bumble.gatt import Service

from treadlink_sim.faults import Fault
from treadlink_sim.profile import MachineProfile

if TYPE_CHECKING:
    from treadlink_sim.treadmill import TreadmillSimulator


class Change(StrEnum):
    """A change of the machine every server hears of."""

    COUNTDOWN = "countdown"  # a start was asked for: the console counts down first
    STARTED = "started"  # started or resumed: the belt runs
    CONSOLE_ERROR = "console_error"  # the console stopped the belt on an error of its own
    STOPPED = "stopped"
    PAUSED = "paused"
    TARGET_SPEED = "target_speed"
    TARGET_INCLINE = "target_incline"
    SAFETY_KEY_OUT = "safety_key_out"
    SAFETY_KEY_IN = "safety_key_in"
    RESET = "reset"


@dataclass(frozen=True, slots=True)
class MachineEvent:
    change: Change
    by_console: bool = False  # the runner at the console, not a client over Bluetooth
    value: float | None = None  # the new target, for TARGET_SPEED / TARGET_INCLINE
    # False when the request changed nothing (a pause of a belt that is not running): a console
    # still shows the key press, but there is no new state to follow.
    effective: bool = True


class ProtocolServer:
    """One protocol on the machine's GATT server. Subclasses override what they need."""

    protocol: ClassVar[str]
    # Whether the machine's --report and faults treat it as a way to control the belt (RSC is
    # only a sensor).
    controls: ClassVar[bool] = True

    def __init__(self, machine: TreadmillSimulator) -> None:
        self.machine = machine

    def services(self) -> list[Service]:
        return []

    def advertised_uuids(self) -> list[UUID]:
        """16-bit service UUIDs this server puts in the advertisement."""
        return []

    @classmethod
    def fault_unsupported(cls, fault: Fault, profile: MachineProfile) -> str | None:
        """Why `fault` means nothing on this protocol, or None if it does."""
        return None

    async def on_event(self, event: MachineEvent) -> None:
        """A change of the machine; announced as this protocol does (or not at all)."""

    async def on_fault(self, fault: Fault, active: bool) -> None:
        """A fault was just set (active) or cleared, after the machine applied its own part."""

    async def on_tick(self) -> None:
        """One telemetry period passed with a client connected."""

    def on_disconnection(self, connection: Connection) -> None:
        """A client went away; forget what was its."""
