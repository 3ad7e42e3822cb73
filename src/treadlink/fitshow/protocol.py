"""FitShow ("运动秀") treadmill protocol names and numbers, as the official spec v1.1 gives them.

Only what a treadmill uses. Byte layouts live in :mod:`treadlink.fitshow.messages`; the sources
of every number are in docs/fitshow.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Final

START_BYTE: Final = 0x02
END_BYTE: Final = 0x03
# The spec's bike part limits one BLE frame to 20 bytes; every treadmill frame fits in one.
MAX_FRAME_BYTES: Final = 20


@dataclass(frozen=True, slots=True)
class Transport:
    """One GATT service a FitShow console speaks on: requests written, replies notified."""

    service: int
    write: int  # write without response
    notify: int

    def __str__(self) -> str:
        return f"0x{self.service:04X} (write 0x{self.write:04X}, notify 0x{self.notify:04X})"


FFF0: Final = Transport(0xFFF0, write=0xFFF2, notify=0xFFF1)  # the stock module
FFE0: Final = Transport(0xFFE0, write=0xFFE1, notify=0xFFE4)
NOBLEPRO: Final = Transport(0xAE00, write=0xAE01, notify=0xAE02)  # NoblePro's own (Elite E8i)
# In the order QZ prefers them when a console exposes more than one.
TRANSPORTS: Final = (FFF0, FFE0, NOBLEPRO)

# Advertised names of consoles known to speak FitShow. 0xFFF0 alone proves nothing: unrelated
# protocols squat on it, so the name decides.
NAME_PREFIXES: Final = ("FS-", "NOBLEPRO CONNECT")


class Command(IntEnum):
    """The command byte that follows the start byte; a reply echoes it."""

    SYS_INFO = 0x50
    SYS_STATUS = 0x51  # the poll
    SYS_DATA = 0x52
    SYS_CONTROL = 0x53


class Info(IntEnum):
    """SYS_INFO sub-commands."""

    MODEL = 0x00  # brand (W), model (W)
    DATE = 0x01  # factory date yy mm dd
    SPEED = 0x02  # max (B), min (B) in 0.1 of the console's speed unit
    INCLINE = 0x03  # max (B), min (B, signed), config (B); an echo alone: no incline
    TOTAL = 0x04  # odometer (L) in 0.1 km


class Control(IntEnum):
    """SYS_CONTROL sub-commands, in the spec's flow order."""

    USER = 0x00
    READY = 0x01  # sportID (L), mode (B), segments (B), mode countdown (W); reply: countdown s
    TARGET = 0x02  # speed (B), incline (B, may be omitted); reply: the actual target
    STOP = 0x03
    PROGRAM_SPEED = 0x04
    PROGRAM_INCLINE = 0x05
    START = 0x09  # start (enter countdown) or resume from pause
    PAUSE = 0x0A


# QZ writes pause as 53 06 ("to verify"); the official spec says 0x0A. Neither is confirmed on a
# NoblePro, so the pause sub-command is a parameter of the encoder (see messages.pause_request).
QZ_PAUSE: Final = 0x06


class Data(IntEnum):
    """SYS_DATA sub-commands."""

    SPORT = 0x00  # time W, distance W, kcal W, steps W
    INFO = 0x01


class SportMode(IntEnum):
    """READY's mode byte. Bit 7 clear is the spec's compatibility mode: the console starts the
    belt when it receives READY."""

    NORMAL = 0x00  # quick start
    COUNTDOWN_TIME = 0x01
    COUNTDOWN_DISTANCE = 0x02
    COUNTDOWN_CALORIES = 0x03
    PROGRAM = 0x05


class StatusCode(IntEnum):
    """The state byte of a SYS_STATUS reply (official spec; QZ's names where they differ)."""

    NORMAL = 0x00  # standby, no data
    END = 0x01  # stopped, not yet back to standby; workout data
    START = 0x02  # countdown; seconds remaining
    RUNNING = 0x03  # workout data
    STOPPING = 0x04  # decelerating; workout data
    ERROR = 0x05  # error code
    DISABLE = 0x06  # QZ "SAFETY": 1 safety key, 2 sleep
    READY = 0x09  # after CONTROL_READY
    PAUSED = 0x0A  # workout data


class DisableReason(IntEnum):
    SAFETY_KEY = 0x01
    SLEEP = 0x02


class BeltState(StrEnum):
    """What the console says the belt is doing, protocol-neutral words."""

    IDLE = "idle"
    COUNTDOWN = "countdown"
    RUNNING = "running"
    STOPPING = "stopping"
    PAUSED = "paused"
    STOPPED = "stopped"
    ERROR = "error"
    SAFETY_KEY_OUT = "safety_key_out"
    SLEEPING = "sleeping"


# The status codes whose reply carries the workout record (speed, incline, counters).
WORKOUT_STATES: Final = frozenset(
    {StatusCode.END, StatusCode.RUNNING, StatusCode.STOPPING, StatusCode.PAUSED}
)


def belt_state(code: StatusCode, reason: int | None = None) -> BeltState:
    """The belt state a status code (and, for DISABLE, its reason byte) stands for.

    DISABLE with a reason other than sleep counts as the safety key, as QZ reads every 06.
    READY, the moment between CONTROL_READY and the countdown, counts as the countdown.
    """
    if code is StatusCode.DISABLE:
        return BeltState.SLEEPING if reason == DisableReason.SLEEP else BeltState.SAFETY_KEY_OUT
    return _STATES[code]


_STATES: Final = {
    StatusCode.NORMAL: BeltState.IDLE,
    StatusCode.END: BeltState.STOPPED,
    StatusCode.START: BeltState.COUNTDOWN,
    StatusCode.RUNNING: BeltState.RUNNING,
    StatusCode.STOPPING: BeltState.STOPPING,
    StatusCode.ERROR: BeltState.ERROR,
    StatusCode.READY: BeltState.COUNTDOWN,
    StatusCode.PAUSED: BeltState.PAUSED,
}
