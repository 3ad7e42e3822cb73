"""Named quirks of real treadmills, each a flag a profile switches on (`quirks: [...]`).

Each one is a behaviour seen on a real unit; docs/simulator.md gives the source of each. They are
separate from faults (faults.py): a fault is something going wrong that a scenario sets and
clears, a quirk is how a model always behaves.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Quirk(StrEnum):
    # Telemetry, on every protocol the profile speaks.
    STRAY_ZERO_SPEED = "stray_zero_speed"  # one frame in STRAY_ZERO_EVERY says 0 while moving
    COUNTERS_RESET_ON_STOP = "counters_reset_on_stop"  # counters shown from 0 once at rest
    # The machine.
    TARGET_OVERRIDDEN_AFTER_START = "target_overridden_after_start"  # back to start speed at 3 s
    STARTS_AT_MINIMUM = "starts_at_minimum"  # a new workout starts at the lowest speed
    COUNTDOWN_IGNORES_TARGETS = "countdown_ignores_targets"  # targets during 3-2-1 not taken
    MPH_LABELLED_KMH = "mph_labelled_kmh"  # an mph console says km/h (FTMS, FitShow config bit)
    # FTMS only.
    NOT_AVAILABLE_SENTINELS = "not_available_sentinels"  # energy per hour/min FF FF / FF
    RESERVED_FLAG_BITS = "reserved_flag_bits"  # Treadmill Data flags with reserved bit 15 set
    STATUS_EXTRA_BYTE = "status_extra_byte"  # every Machine Status one 00 byte too long
    START_TOGGLES_PAUSE = "start_toggles_pause"  # Start/Resume while running pauses the belt
    ALWAYS_SUCCESS = "always_success"  # every control-point request answered 01 success
    IGNORES_TARGET_SPEED = "ignores_target_speed"  # Set Target Speed answered and not done


FTMS_ONLY: Final = frozenset(
    {
        Quirk.NOT_AVAILABLE_SENTINELS,
        Quirk.RESERVED_FLAG_BITS,
        Quirk.STATUS_EXTRA_BYTE,
        Quirk.START_TOGGLES_PAUSE,
        Quirk.ALWAYS_SUCCESS,
        Quirk.IGNORES_TARGET_SPEED,
    }
)

# STRAY_ZERO_SPEED: one telemetry frame in this many reads 0 while the belt moves.
STRAY_ZERO_EVERY: Final = 8
# TARGET_OVERRIDDEN_AFTER_START: seconds after a start at which the console puts its own start
# speed back if a client changed the target meanwhile (the FS 465D50 reverts "about 3 s" after).
OVERRIDE_AFTER_S: Final = 3.0
# RESERVED_FLAG_BITS: the bit set in Treadmill Data's flags (reserved in FTMS 1.0, no field).
RESERVED_FLAG: Final = 1 << 15
