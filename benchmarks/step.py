"""One step of the bench, in a process of its own: `python -m benchmarks.step NAME [--quick]
--out FILE`. Writes {"status": "ok", "result": {...}}, or "skipped" / "failed" with "why" (and
the traceback, for the log), to FILE; exit status 0 unless the step failed.

On SIGUSR1 (sent by `python -m benchmarks` when the step outlives its bound) it writes the stack
of every thread and every asyncio task to stderr, which is the step's log: where it was stuck.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import linecache
import logging
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from benchmarks.skip import Skipped
from benchmarks.steps import BY_NAME

BENCHMARKS = Path(__file__).resolve().parent


def _where(task: asyncio.Task[Any]) -> str | None:
    """The innermost line of the bench's own code in a task's stack."""
    for frame in reversed(task.get_stack()):
        path = Path(frame.f_code.co_filename)
        if path.parent == BENCHMARKS:
            line = linecache.getline(str(path), frame.f_lineno).strip()
            return f"benchmarks/{path.name}:{frame.f_lineno} ({frame.f_code.co_name}): {line}"
    return None


class _Stacks:
    """On SIGUSR1: every thread's and every asyncio task's stack to stderr (the step's log), and
    where the bench's own code was waiting to the outcome file."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def __call__(self, _signum: int, _frame: FrameType | None) -> None:
        print("\n=== stacks of every thread (the step outlived its bound) ===", file=sys.stderr)
        faulthandler.dump_traceback(all_threads=True)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        print("=== asyncio tasks ===", file=sys.stderr)
        waiting = []
        for task in asyncio.all_tasks(loop):
            task.print_stack(file=sys.stderr)
            if (where := _where(task)) is not None:
                waiting.append(where)
        sys.stderr.flush()
        self.out.write_text(json.dumps({"status": "timed out", "waiting_at": waiting}) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.step")
    parser.add_argument("name", choices=sorted(BY_NAME))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("bumble").setLevel(logging.CRITICAL)  # its own teardown races
    signal.signal(signal.SIGUSR1, _Stacks(args.out))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    outcome: dict[str, Any]
    try:
        outcome = {"status": "ok", "result": BY_NAME[args.name].run(args.quick)}
    except Skipped as e:
        outcome = {"status": "skipped", "why": str(e)}
    except BaseException as e:  # any failure is the step's, told in one line
        traceback.print_exc()
        outcome = {
            "status": "failed",
            "why": f"{type(e).__name__}: {e}".strip(),
            "traceback": traceback.format_exc(),
        }
    outcome["wall_s"] = time.perf_counter() - wall0
    outcome["cpu_s"] = time.process_time() - cpu0  # this process only, not its children
    args.out.write_text(json.dumps(outcome, indent=2) + "\n")
    return 1 if outcome["status"] == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
