"""`RunnerScreen`: the full-screen display for the runner beside the treadmill (textual).

A thin view over `ViewTracker`: each frame draws `face(tracker, clock())`; nothing here decides
anything about the session. Keys call the Session's commands through `RunnerCommands`. How the
screen fills the terminal is `layout.layout_for`, applied when the terminal's size changes.

The stop keys do not wait for textual: `post_message` is where the terminal driver hands every
key to the app, on the event loop, before the app's queue, bindings and any rendering. A stop
key calls `emergency_stop` right there, synchronously, and goes no further.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from treadlink.session.view import ViewTracker
from treadlink.ui import bigtext
from treadlink.ui.bigtext import big
from treadlink.ui.commands import KEYS, STOP_KEYS, Action, RunnerCommands
from treadlink.ui.pain import PAIN_KEYS, PainFelt
from treadlink.ui.screen.cue import CountdownCue
from treadlink.ui.screen.face import Face, FaultFace, face
from treadlink.ui.screen.layout import Layout, layout_for
from treadlink.ui.screen.widgets import key_bar, key_rows, stage_bar

log = logging.getLogger(__name__)

FRAME_S = 0.1  # 10 frames a second: the countdown's tenths never show, the belt's speed does
_LABELS = {k.action: k.label for k in KEYS}


class RunnerScreen(App[None]):
    CSS_PATH = "screen.tcss"
    TITLE = "treadlink"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"command('{k.action}')", k.label, show=False)
            for k in KEYS
            if k.action != "stop"  # handled before bindings: see post_message
            for key in k.keys
        ),
        Binding("ctrl+c", "command('quit')", "stop and quit", show=False, priority=True),
        *(Binding(key, f"pain({key})", "pain now", show=False) for key in PAIN_KEYS),
    ]

    def __init__(
        self,
        tracker: ViewTracker,
        clock: Callable[[], float],
        commands: RunnerCommands | None,
        *,
        cue: bool = True,
        frame_s: float = FRAME_S,
        pain: PainFelt | None = None,
        notice: str | None = None,
    ) -> None:
        """`commands` None: a screen that only shows (a replayed session). `pain`: where the
        runner's pain keys go (treadlink.ui.pain). `notice`: said on the title line all along
        (that the voice asked for cannot speak, say)."""
        super().__init__()
        self.pain = pain
        self.tracker = tracker
        self.clock = clock
        self.commands = commands
        self.frame_s = frame_s
        self.cue = CountdownCue() if cue else None
        self.notice = notice
        self.beeps = 0  # rung so far (the bell is silent in a headless test)
        self.message = ""
        self._message_during: tuple[int | None, str] | None = None  # segment, phase
        self.face: Face | None = None
        self.layout = layout_for(100, 30, 2)
        self._drawn: dict[str, object] = {}
        self._frames: asyncio.Task[None] | None = None

    # --- keys ------------------------------------------------------------------------------
    def post_message(self, message: Message) -> bool:
        if isinstance(message, events.Key) and message.key in STOP_KEYS:
            self.command("stop")  # before the queue, the bindings and any refresh
            return True
        return super().post_message(message)

    def command(self, action: Action) -> None:
        if self.commands is None:
            return
        verdict = self.commands.run(action)
        label = _LABELS[action]
        self.message = f"{label}: REFUSED — {verdict.reason}" if not verdict else label
        self._message_during = self._moment()

    def _moment(self) -> tuple[int | None, str]:
        """The segment and phase now: a key's message lasts until either changes."""
        view = self.tracker.view
        return (None if view.segment is None else view.segment.index, view.phase)

    def action_command(self, action: Action) -> None:
        self.command(action)
        self.show()

    def action_pain(self, score: int) -> None:
        if self.pain is not None:
            # Pain felt: the advice to stop running stays on screen (no moment ends it).
            self.message = self.pain.press(score)
            self._message_during = None
            self.show()

    async def action_quit(self) -> None:  # textual's own Ctrl-Q: an orderly stop, too
        self.action_command("quit")

    # --- drawing ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="main"):
            yield Static(id="title")
            with Horizontal(id="now"):
                yield Static(id="word")
                with Vertical(id="clock"):
                    yield Static(id="countdown-label")
                    yield Static(id="countdown")
            yield Static(id="cue")
            yield Static(id="then")
            yield Static(id="then-big")
            yield Static(id="stats")
            yield Static(id="bar")
            yield Static(id="message")
        yield Static(id="fault")
        yield Static(id="keys")

    def on_mount(self) -> None:
        self.fit(self.size.width, self.size.height)
        self.show()
        # The loop's own clock, not textual's timers (which keep wall-clock time), so that the
        # frames follow fake time in the tests as the session does.
        self._frames = asyncio.get_running_loop().create_task(self._frame_loop())

    def on_unmount(self) -> None:
        if self._frames is not None:
            self._frames.cancel()

    async def _frame_loop(self) -> None:
        while True:
            await asyncio.sleep(self.frame_s)
            try:
                self.show()
            except Exception:  # a drawing bug must not freeze the screen for good
                log.exception("drawing the runner's screen failed")

    def on_resize(self, event: events.Resize) -> None:
        self.fit(event.size.width, event.size.height)
        self.show()

    def fit(self, width: int, height: int) -> None:
        """Lay the screen out for a terminal of this size: the only time the layout changes."""
        layout = self.layout = layout_for(width, height, key_rows(width))
        big_rows = layout.big_rows
        sizes: dict[str, tuple[int, bool]] = {
            "title": (1, layout.title),
            "now": (big_rows + 1, True),
            "countdown": (big_rows, True),
            "cue": (layout.cue_rows, layout.cue_rows > 0),
            "then-big": (big_rows, True),
            "stats": (2, layout.stats),
            "bar": (3, layout.bar),
            "message": (1, layout.message),
        }
        for name, (rows, shown) in sizes.items():
            node = self.query_one(f"#{name}")
            node.styles.height = rows
            node.display = shown
        self.query_one("#word").styles.width = layout.word_columns
        self.query_one("#stats").styles.margin = (1 if layout.gap else 0, 0, 0, 0)
        # The takeover's frame gives way to its text on a short terminal.
        self.query_one("#fault").styles.padding = (1 if layout.stats else 0, 2)
        keys = key_bar(width, all_keys=layout.all_keys)
        self.query_one("#keys").styles.height = len(keys.plain.splitlines())
        self._drawn.clear()  # redraw everything at the new size
        self._set("keys", keys)

    def beep(self) -> None:
        self.beeps += 1
        self.bell()

    def show(self) -> None:
        """Draw the current face."""
        f = face(self.tracker, self.clock())
        self.face = f
        seg = self.tracker.view.segment
        if (
            self.cue is not None
            and seg is not None
            and self.tracker.view.phase == "running"
            and self.cue.due(seg.index, self.tracker.remaining_s(self.clock()))
        ):
            self.beep()
        if self.message and self._message_during not in (None, self._moment()):
            self.message = ""  # a key's message lasts until the next change
        layout = self.layout
        self._set("title", f.title if self.notice is None else f"{f.title} · {self.notice}")
        self._set("word", _large(f.word, layout, layout.word_columns))
        self._set_kind("word", f.kind)
        self._set("countdown-label", f.countdown_label)
        clock_columns = self.size.width - layout.word_columns - 2
        self._set("countdown", _large(f.countdown, layout, clock_columns))
        self._set("cue", f.cue)
        self._set("then", f.then)
        self._set("then-big", _large(f.then_big, layout, self.size.width))
        self._set_kind("then-big", f.then_kind)
        stats = f"SPEED {f.speed}    INCLINE {f.incline}\n"
        stats += f"DISTANCE {f.distance}    TIME {f.elapsed}"
        if f.heart_rate is not None:
            stats += f"    HEART RATE {f.heart_rate}"
        self._set("stats", stats)
        if self.tracker.timeline is not None:
            width = self.query_one("#bar").size.width or self.size.width - 4
            self._set("bar", stage_bar(self.tracker.timeline.steps, width, f.position_s))
        self._set("message", self.message)
        self.query_one("#main").display = f.fault is None
        fault = self.query_one("#fault")
        fault.display = f.fault is not None
        if f.fault is not None:
            self._set("fault", fault_text(f.fault, self.message))
            fault.set_class(f.fault.urgent, "urgent")
            fault.set_class(f.fault.runner_stop and not f.fault.urgent, "stopped")

    def _set(self, widget: str, content: object) -> None:
        """Redraw a widget whose content changed. Every widget has a fixed size (screen.tcss),
        so no redraw asks for a new layout of the screen: a frame stays short, and so does
        the wait of a key that arrives during one."""
        if self._drawn.get(widget) != content:
            self._drawn[widget] = content
            self.query_one(f"#{widget}", Static).update(content, layout=False)  # type: ignore[arg-type]

    def _set_kind(self, widget: str, kind: str) -> None:
        node = self.query_one(f"#{widget}")
        node.set_classes(kind)


def _large(text: str, layout: Layout, columns: int) -> str:
    """`text` in the screen's large type if it fits `columns` (else its first word, else plain)."""
    for candidate in (text, text.split(" ")[0]):
        drawn = big(candidate, layout.scale)
        if drawn is not None and bigtext.width(candidate, layout.scale) <= columns:
            return drawn
    return text


def fault_text(fault: FaultFace, message: str) -> str:
    def fact(done: bool) -> str:
        return "YES" if done else "NOT YET"

    if fault.belt_doubt is not None:
        belt = f" (belt speed unknown: {fault.belt_doubt})"
    elif fault.belt_kmh is None:
        belt = ""
    else:
        belt = f" (belt at {fault.belt_kmh:.1f} km/h)"
    if fault.runner_stop and not fault.urgent:
        # The runner's own stop: no fault, and no more to do than to resume or to finish.
        heading, what = "STOPPED — you pressed stop", []
    else:
        heading, what = (
            "FAULT — THE BELT IS BEING HELD STOPPED",
            [f"What happened:             {fault.what}"],
        )
    lines = [
        big("STOPPED" if fault.runner_stop else "STOP") or "STOP",
        "",
        heading,
        "",
        *what,
        f"Treadmill accepted stop:   {fact(fault.stop_accepted)}",
        f"Belt seen stopped:         {fact(fault.belt_stopped)}{belt}",
        "",
        fault.todo,
    ]
    if "REFUSED" in message:  # a key that did nothing says why; the others need no echo here
        lines += ["", message]
    return "\n".join(lines)
