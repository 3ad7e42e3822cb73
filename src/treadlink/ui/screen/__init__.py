"""The runner's display for `treadlink run`: full screen on a terminal, plain lines otherwise.

async with attach(session, plain=args.plain, quiet=args.quiet, voice=args.voice):
    finished = await session.run()
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import TextIO

from treadlink.events import Event
from treadlink.outlet import Outlet
from treadlink.plans.durations import format_duration
from treadlink.session.engine import Session
from treadlink.session.events import TelemetryUpdate
from treadlink.session.view import ViewTracker
from treadlink.ui.commands import HELP, RunnerCommands
from treadlink.ui.keys import RunnerKeys
from treadlink.ui.lines import LinePrinter, describe
from treadlink.ui.pain import PainFelt

__all__ = ["attach", "wants_screen"]

HOLD_S = 1.5  # the finished screen stays this long before the terminal is given back
AFTERWARDS = 8  # lines of the session's story printed once the screen has closed


def wants_screen(plain: bool, out: TextIO, keys: TextIO) -> bool:
    """The full screen needs a terminal to draw on and one to read keys from."""
    return not plain and out.isatty() and keys.isatty()


@contextlib.asynccontextmanager
async def attach(
    session: Session,
    *,
    plain: bool = False,
    quiet: bool = False,
    voice: bool = False,
    out: TextIO | None = None,
    pain: PainFelt | None = None,
) -> AsyncIterator[None]:
    """Show `session` to the runner and take their keys while the body runs it (`out`:
    sys.stdout as it is when called; `pain`: where the screen's pain keys go); with `voice`,
    speak the changes too."""
    from treadlink.ui.spoken import spoken  # it uses this package's countdown cue

    out = sys.stdout if out is None else out
    async with spoken(session, wanted=voice, err=sys.stderr) as notice:
        if wants_screen(plain, out, sys.stdin):
            async with _full_screen(session, quiet=quiet, notice=notice, out=out, pain=pain):
                yield
        else:
            with _lines(session, out=out):
                yield


@contextlib.contextmanager
def _lines(session: Session, *, out: TextIO) -> Iterator[None]:
    with RunnerKeys(session) as keys:
        # Written from a thread of its own: a slow terminal or pipe never holds up the
        # loop, and telemetry lines are what gets dropped if it falls behind.
        printer = Outlet(
            LinePrinter(out, keys=keys.active),
            droppable=lambda event: isinstance(event, TelemetryUpdate),
        )
        with printer:
            session.subscribe(printer)
            if keys.active:
                print(HELP, file=out, flush=True)
            yield


@contextlib.asynccontextmanager
async def _full_screen(
    session: Session, *, quiet: bool, notice: str | None, out: TextIO, pain: PainFelt | None
) -> AsyncIterator[None]:
    from treadlink.ui.screen.app import RunnerScreen  # textual: only for the full screen

    tracker = ViewTracker(session.timeline)
    session.subscribe(tracker)
    story: deque[str] = deque(maxlen=AFTERWARDS)

    def remember(event: Event) -> None:
        line = describe(event)
        if line is not None:
            story.append(f"[{format_duration(int(event.at)):>6}] {line}")

    session.subscribe(remember)
    app = RunnerScreen(
        tracker, session.clock, RunnerCommands(session), cue=not quiet, notice=notice, pain=pain
    )
    screen = asyncio.get_running_loop().create_task(app.run_async())
    running = True

    def closed(_: asyncio.Task[None]) -> None:
        if running:  # the screen went away with the belt under the runner's control
            session.stop("the screen closed")

    screen.add_done_callback(closed)
    try:
        yield
        if not screen.done():
            await asyncio.wait({screen}, timeout=HOLD_S)
    finally:
        running = False
        app.exit()
        await screen
        for line in story:
            print(line, file=out)
        out.flush()
