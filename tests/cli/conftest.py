"""`run` and `write`: the commands as the runner would start them, in a child process held to
bounds (tests/support/processes.py)."""

from tests.support.processes import run, write

__all__ = ["run", "write"]
