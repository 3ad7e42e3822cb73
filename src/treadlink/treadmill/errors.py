"""What a command to a treadmill can fail with, whatever the protocol.

Each driver raises these (or its own subclasses of them, carrying the protocol's details), so the
guard and the session judge a failure by what it means: refused, unanswered, dropped, the link
gone.
"""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """The commands every treadmill driver carries out."""

    REQUEST_CONTROL = "request control"
    START = "start"
    SET_SPEED = "set speed"
    SET_INCLINE = "set incline"
    STOP = "stop"
    PAUSE = "pause"


class Refusal(StrEnum):
    """Why a treadmill answered a command with something other than success."""

    NOT_SUPPORTED = "not supported"
    INVALID = "invalid parameter"
    FAILED = "operation failed"
    NOT_PERMITTED = "control not permitted"  # another client holds control: ask for it back


class CommandError(Exception):
    """A command did not succeed."""


class CommandRefused(CommandError):
    """The treadmill answered, and not with success."""

    def __init__(self, command: Command, refusal: Refusal, detail: str = "") -> None:
        super().__init__(detail or f"{command}: treadmill answered {refusal}")
        self.command = command
        self.refusal = refusal


class CommandTimeout(CommandError):
    """No answer within the command's own timeout."""

    def __init__(self, command: Command, timeout: float) -> None:
        super().__init__(f"{command}: no response from the treadmill within {timeout:g} s")
        self.command = command
        self.timeout = timeout


class CommandPreempted(CommandError):
    """A stop was asked for while this command waited for its turn; it was never written."""


class NotDrivable(CommandError):
    """The treadmill is reached, but this driver cannot drive it (the message says why)."""


class LinkLost(CommandError):
    """No link to write on, or the link dropped while the command was in flight."""


class MalformedFrame(ValueError):
    """A notification or answer whose bytes do not fit its protocol's layout."""


class WriteRefused(Exception):
    """The Bluetooth write itself was refused with an ATT error code (raised by the link)."""

    def __init__(self, att_error: int) -> None:
        super().__init__(f"ATT error 0x{att_error:02X}")
        self.att_error = att_error
