"""How much input treadlink reads before refusing it (docs/plans.md, "Limits", says why).

Every file treadlink or its simulator reads (stage, plan, .zwo, runner profile, machine profile,
scenario) is small and written by hand; these bounds are far above any real one and keep a
hostile or broken file to about a second of work and tens of megabytes.
"""

from __future__ import annotations

from typing import Final

MAX_FILE_BYTES: Final = 256 * 1024
"""The largest real stage is ~1 kB, a Zwift workout ~20 kB; this much YAML checks in ~1 s."""

MAX_DEPTH: Final = 32
"""Nesting of YAML collections (and XML elements): a stage with 12 nested repeat blocks is ~30."""

MAX_EXCERPT_CHARS: Final = 60
"""How much of an offending value an error message quotes."""
