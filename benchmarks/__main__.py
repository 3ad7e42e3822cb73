"""Run every benchmark, print a table, write bench-results/latest.json.

make bench                      # or: python -m benchmarks [--quick] [--only NAME,...]

Each step runs in a process of its own, bounded (benchmarks/steps.py): a step that fails or
outlives its bound is reported with the reason, its log kept in bench-results/logs/, and the run
goes on to the next. The exit status is 0 only if every step ran to the end (a skipped step, such
as FitShow with no FitShow driver, counts as run); whether each figure met its goal is in the
table and the JSON, not in the exit status: these machines are shared and noisy.

Each step records the 1-minute load average before and after it, and the run its nice level, so
a figure can be read against the load it ran under (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.steps import BY_NAME, STEPS, Step
from benchmarks.table import Rows, render, rows_of

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results" / "latest.json"
DUMP_GRACE_S = 3.0  # after SIGUSR1, for the step to write its stacks to its log
TERM_GRACE_S = 15.0  # after SIGTERM, for a `treadlink` child to stop its belt and exit


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer trials, for a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output file")
    parser.add_argument(
        "--only",
        metavar="NAME,...",
        help="run only these steps (names as in the JSON, e.g. mqtt_stop,clinic)",
    )
    parser.add_argument("--list", action="store_true", help="list the steps and their bounds")
    args = parser.parse_args()
    # SIGTERM (`timeout`, a CI runner) ends the step running too, as Ctrl-C does: a step's
    # process group left behind would load the machine for the next run.
    signal.signal(signal.SIGTERM, _terminated)
    steps = list(STEPS)
    if args.list:
        for step in steps:
            print(f"{step.name:<26} bound {step.bound_s:5.0f} s ({step.quick_bound_s:.0f} quick)")
        return 0
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - set(BY_NAME))
        if unknown:
            parser.error(f"--only: no step named {', '.join(unknown)} (see --list)")
        steps = [step for step in steps if step.name in wanted]
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "nice": os.nice(0),
        "quick": args.quick,
        "load_average": {},
        "steps": {},
    }
    logs = args.out.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for step in steps:
        before = os.getloadavg()[0]
        bound = step.bound(args.quick)
        print(
            f"… {step.name} (bound {bound:.0f} s, load {before:.2f})", file=sys.stderr, flush=True
        )
        outcome = run_step(step, args.quick, logs)
        results["load_average"][step.name] = [before, os.getloadavg()[0]]
        results["steps"][step.name] = {k: v for k, v in outcome.items() if k != "result"}
        if outcome["status"] == "ok":
            results[step.name] = outcome["result"]
        print(f"  {_said(outcome)}", file=sys.stderr, flush=True)
        _write(args.out, results)  # after every step: a run cut short keeps what it measured
    print_table(results, [step.name for step in steps])
    print(f"\nwritten to {args.out}")
    return 0 if all(o["status"] in ("ok", "skipped") for o in results["steps"].values()) else 1


def run_step(step: Step, quick: bool, logs: Path) -> dict[str, Any]:
    """The step in a child process of its own session, bounded; its output to its log."""
    out, log = logs / f"{step.name}.json", logs / f"{step.name}.log"
    out.unlink(missing_ok=True)
    bound = step.bound(quick)
    command = [sys.executable, "-m", "benchmarks.step", step.name, "--out", str(out)]
    t0 = time.perf_counter()
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command + (["--quick"] if quick else []),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: all of it can be stopped at once
        )
        try:
            code = process.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            _end(process)
            waiting = json.loads(out.read_text()).get("waiting_at", []) if out.exists() else []
            at = f" waiting at {'; '.join(waiting)};" if waiting else ""
            return {
                "status": "timed out",
                "why": f"outlived its bound of {bound:.0f} s,{at} every stack then is in {log}",
                "wall_s": time.perf_counter() - t0,
                "bound_s": bound,
                "log": str(log),
            }
        except BaseException:  # Ctrl-C: leave nothing running behind
            _end(process)
            raise
    outcome: dict[str, Any] = {"bound_s": bound, "log": str(log)}
    if out.exists():
        outcome |= json.loads(out.read_text())
        outcome.pop("traceback", None)  # it is in the log
    else:
        outcome |= {"status": "failed", "why": f"exited with status {code} and no result"}
    outcome.setdefault("wall_s", time.perf_counter() - t0)
    return outcome


def _end(process: subprocess.Popen[bytes]) -> None:
    """Stacks to the log (SIGUSR1); then SIGTERM to what the step started (a `treadlink` child
    stops its belt, on the step's simulator, which is still there), then to the step; SIGKILL
    to whatever is left."""
    try:
        children = [p.pid for p in psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        children = []
    _signal([process.pid], signal.SIGUSR1)
    _wait([process.pid], DUMP_GRACE_S)
    _signal(children, signal.SIGTERM)
    _wait(children, TERM_GRACE_S)
    _signal([process.pid, *children], signal.SIGTERM)
    _wait([process.pid, *children], DUMP_GRACE_S)
    _signal([process.pid, *children], signal.SIGKILL)
    process.wait()


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _wait(pids: list[int], seconds: float) -> None:
    processes = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            processes.append(psutil.Process(pid))
    psutil.wait_procs(processes, timeout=seconds)


def _said(outcome: dict[str, Any]) -> str:
    status, wall = outcome["status"], outcome.get("wall_s", 0.0)
    if status == "ok":
        return f"done in {wall:.0f} s"
    return f"{status.upper()} after {wall:.0f} s: {outcome.get('why', '')}"


def _write(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def print_table(r: dict[str, Any], names: list[str]) -> None:
    """One row per figure of each step that ran, then the steps that did not, and why."""
    rows: Rows = []
    for name in names:
        if name in r:
            rows += rows_of(name, r[name])
    for line in render(rows):
        print(line)
    others = [(n, o) for n, o in r["steps"].items() if o["status"] != "ok"]
    if others:
        print()
        for name, outcome in others:
            print(f"{name}: {_said(outcome)}")
    loads = ", ".join(f"{k} {a:.1f}→{b:.1f}" for k, (a, b) in r["load_average"].items())
    print(f"\nload average (1 min) before→after each step ({r['cpus']} CPUs, nice {r['nice']}):")
    print(f"  {loads}")


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
