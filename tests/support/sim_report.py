"""The standalone simulator's report (`treadlink-sim --report FILE`), read while it runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Line = dict[str, Any]


def read(report: Path) -> list[Line]:
    """Complete lines only: the simulator may be half-way through writing the next one."""
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


async def until(report: Path, done: Callable[[list[Line]], bool]) -> list[Line]:
    """Poll the report until `done(lines)`, within a deadline (another process writes it)."""
    async with asyncio.timeout(15):
        # A file written by another process has no event to await: poll it.
        while not done(lines := read(report)):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return lines
