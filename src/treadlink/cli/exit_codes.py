"""Exit statuses of every `treadlink` command, defined once (README: "Exit status")."""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
"""Done: the stage completed, the files are valid, the device answered."""
EXIT_FAILED: Final = 1
"""Ended early or could not be done (a fault, no Bluetooth, no treadmill); the belt is stopped."""
EXIT_BAD_INPUT: Final = 2
"""Bad input (a file, an option, the config, the environment): nothing was sent."""
EXIT_BELT_MAY_BE_RUNNING: Final = 3
"""The runner quit while the treadmill had not confirmed the stop: the belt may still run."""
EXIT_INTERRUPTED: Final = 130
"""Ctrl-C before anything reached the treadmill."""
