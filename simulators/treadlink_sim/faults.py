"""Faults a real treadmill shows in the field, and what each one does to the bytes on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    """Every fault can be set and cleared; `set_fault`/`clear_fault` on the simulator."""

    SAFETY_KEY = "safety_key"  # key pulled: belt brakes hard, status 03, Start answered 04
    LINK_LOST = "link_lost"  # link dropped and not advertising until cleared (out of range)
    # Link dropped, and every new one dropped the moment it is made, until cleared (the radio
    # answers, the firmware is rebooting or busy): a connection attempt fails at once.
    LINK_REFUSED = "link_refused"
    INDICATIONS_LOST = "indications_lost"  # procedures are processed but never indicated
    CONTROL_REFUSED = "control_refused"  # every control-point request answered 05
    # Every control-point request answered 04; Request Control is granted all the same, as on
    # treadmills that answer it with 04 but obey.
    CONTROL_FAILING = "control_failing"
    TELEMETRY_SILENT = "telemetry_silent"  # no Treadmill Data although the link is up
    SPEED_RUNAWAY = "speed_runaway"  # belt drifts above its target by `runaway_kmh`
    TRUNCATED_TREADMILL_DATA = "truncated_treadmill_data"  # last announced field cut short
    TRAILING_BYTES = "trailing_bytes"  # Treadmill Data carries unannounced extra bytes
    EMPTY_MACHINE_STATUS = "empty_machine_status"  # Machine Status notified with no bytes
    GARBAGE_INDICATION = "garbage_indication"  # control-point indication that is no response
    CONTROL_TAKEN = "control_taken"  # another client took control: status FF to ours
    # Request Control is neither answered nor granted; the write is accepted and no procedure
    # is held, so the next write goes through.
    REQUEST_CONTROL_UNANSWERED = "request_control_unanswered"
    LATE_ANSWERS = "late_answers"  # every control-point answer comes `late_s` after the write
    ZERO_SPEED_FRAMES = "zero_speed_frames"  # Treadmill Data says 0 km/h while the belt runs
    # The console stops the belt on an error of its own (FitShow status 05): belt brakes, start
    # refused until cleared.
    CONSOLE_ERROR = "console_error"
    # The console falls asleep (FitShow status 06 02): the belt stops, commands are ignored and
    # Bluetooth cannot wake it, until cleared (the runner wakes it with the remote).
    SLEEPING = "sleeping"


# The faults that take a parameter, and its name (`set_fault(fault, **{name: value})`).
PARAMETERS: dict[Fault, str] = {Fault.SPEED_RUNAWAY: "runaway_kmh", Fault.LATE_ANSWERS: "late_s"}

# Bytes the malformation faults put on the wire; fixed so tests can compare exactly.
TRAILING = bytes.fromhex("de ad be ef")
GARBAGE_INDICATION = bytes.fromhex("42 ff")


@dataclass(slots=True)
class FaultState:
    active: set[Fault] = field(default_factory=set)
    runaway_kmh: float = 0.0
    late_s: float = 0.0

    def __contains__(self, fault: Fault) -> bool:
        return fault in self.active

    def treadmill_data(self, frame: bytes) -> bytes:
        if Fault.TRUNCATED_TREADMILL_DATA in self.active:
            frame = frame[:-1]
        if Fault.TRAILING_BYTES in self.active:
            frame += TRAILING
        return frame

    def machine_status(self, status: bytes) -> bytes:
        return b"" if Fault.EMPTY_MACHINE_STATUS in self.active else status

    def indication(self, response: bytes) -> bytes:
        return GARBAGE_INDICATION if Fault.GARBAGE_INDICATION in self.active else response
