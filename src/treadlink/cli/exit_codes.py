"""Exit statuses of every `treadlink` command: one meaning each, since scripts rely on them."""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
"""Done: the files are valid, the plan ran to its end, the treadmills were listed."""

EXIT_FAILED: Final = 1
"""Could not finish for a reason outside the input: no treadmill heard, link lost, plan stopped."""

EXIT_BAD_INPUT: Final = 2
"""Bad input (a file, a setting, an option; argparse uses 2 too): nothing was sent to the belt."""

EXIT_BELT_MAY_BE_RUNNING: Final = 3
"""The treadmill never confirmed the stop: the belt may still be moving; use the safety key."""

EXIT_INTERRUPTED: Final = 130
"""Ctrl-C before anything was running (128 + SIGINT, as shells report it)."""

EXIT_READER_GONE: Final = 141
"""Standard output was closed by its reader (`treadlink history | head`): 128 + SIGPIPE, as a
shell reports a program that a closed pipe ended. Nothing is wrong; nothing more is printed."""
