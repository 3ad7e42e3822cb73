"""`SpokenCues`: what the voice says during a session, and when (`treadlink run --voice`).

    async with spoken(session, wanted=True, err=sys.stderr) as notice:  # before run()
        await session.run()     # `notice`: what to show if espeak-ng is not installed

At each change, the segment and how long it lasts ("Walk, 4 minutes", "Run, 30 seconds",
"Walk, 400 metres"); before each timed change a countdown at the seconds the beeps sound ("Run
in 3", "2", "1"); "Stop" on any stop, at once, cutting off what was being said; "Paused",
"Resuming", and at the end whether the stage was completed. Listening only queues sentences
(treadlink.ui.voice): nothing here waits for speech.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
from collections.abc import AsyncIterator, Callable
from typing import TextIO

from treadlink.events import Event
from treadlink.plans.timeline import Timeline
from treadlink.session.engine import Session
from treadlink.session.events import Finished, Paused, Resumed, SegmentStarted, StopRequested
from treadlink.session.view import ViewTracker
from treadlink.ui.screen.cue import CountdownCue
from treadlink.ui.voice import NOT_INSTALLED, Voice

WORDS = {"walk": "Walk", "run": "Run"}
TICK_S = 0.1  # the countdown is checked as often as the screen draws


def duration_words(seconds: float) -> str:
    """4 minutes, 30 seconds, 1 minute 30 seconds."""
    minutes, rest = divmod(round(seconds), 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if rest or not minutes:
        parts.append(f"{rest} second{'s' if rest != 1 else ''}")
    return " ".join(parts)


def distance_words(metres: float) -> str:
    return f"{metres:g} metres" if metres < 1000 else f"{metres / 1000:g} kilometres"


def segment_words(event: SegmentStarted) -> str:
    word = WORDS.get(event.segment_kind, event.name)
    if event.duration_s is not None:
        return f"{word}, {duration_words(event.duration_s)}"
    if event.distance_m is not None:
        return f"{word}, {distance_words(event.distance_m)}"
    return word


class SpokenCues:
    def __init__(self, voice: Voice, timeline: Timeline | None, clock: Callable[[], float]):
        self.voice = voice
        self.clock = clock
        self.tracker = ViewTracker(timeline)
        self._countdown = CountdownCue()
        self._counting: int | None = None  # the segment whose countdown has begun
        self._stopping = False  # "Stop" was said and the plan has not run since

    def __call__(self, event: Event) -> None:
        self.tracker.update(event)
        match event:
            case StopRequested() if not self._stopping:
                self._stopping = True
                self.voice.say("Stop", urgent=True)
            case SegmentStarted():
                self.voice.say(segment_words(event))
            case Paused() if not self._stopping:
                self.voice.say("Paused")
            case Resumed():
                self._stopping = False
                self.voice.say("Resuming")
            case Finished():
                self.voice.say(
                    "Stage completed. Well done." if event.completed else "Session over."
                )

    def tick(self) -> None:
        """Say the countdown's next number if one is due now."""
        view = self.tracker.view
        left = self.tracker.remaining_s(self.clock())
        if view.phase != "running" or view.segment is None or left is None:
            return
        if not self._countdown.due(view.segment.index, left):
            return
        second = math.ceil(left)
        if self._counting == view.segment.index:
            self.voice.say(str(second))
            return
        self._counting = view.segment.index
        following = self.tracker.next_step()
        word = "End" if following is None else WORDS.get(following.kind, following.name)
        self.voice.say(f"{word} in {second}")

    @contextlib.asynccontextmanager
    async def counting(self) -> AsyncIterator[None]:
        """The countdown, on the loop's own clock (as the screen's frames), while the body runs."""
        task = asyncio.get_running_loop().create_task(self._tick_loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self.tick()


@contextlib.asynccontextmanager
async def spoken(
    session: Session, *, wanted: bool, err: TextIO = sys.stderr, path: str | None = None
) -> AsyncIterator[str | None]:
    """The session's spoken cues while the body runs it, if `wanted`. Yields a notice for the
    screen: None, or that espeak-ng is not installed (said once on `err` too). `path`: where
    to look for espeak-ng (default $PATH)."""
    if not wanted:
        yield None
        return
    voice = Voice.find(path=path)
    if voice is None:
        print(f"treadlink run: {NOT_INSTALLED}", file=err, flush=True)
        yield NOT_INSTALLED
        return
    cues = SpokenCues(voice, session.timeline, session.clock)
    session.subscribe(cues)
    try:
        async with cues.counting():
            yield None
    finally:
        await asyncio.to_thread(voice.close)  # the session is over: the last words finish
        if voice.failed is not None:
            print(f"treadlink run: --voice: {voice.failed}", file=err, flush=True)
