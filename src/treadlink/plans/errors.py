"""PlanError: a stage, plan or Zwift file that cannot be used, with every problem found.

Problem and format_path live in treadlink.sources (config shares them); they are re-exported here
for the callers that import them from the plans package.
"""

from __future__ import annotations

from treadlink.sources import InputError, Problem, format_path


class PlanError(InputError):
    """A workout or plan file that cannot be used; `problems` lists everything wrong."""


__all__ = ["PlanError", "Problem", "format_path"]
