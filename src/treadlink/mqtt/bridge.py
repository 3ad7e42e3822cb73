"""`MqttBridge`: a session's events out to the broker, remote commands in, under the rules of
docs/safety.md (contract item 8) and docs/mqtt.md.

    bridge = MqttBridge(topics, publish=link.publish, rules=RULES_FOR_RUN)
    bridge.attach(session)        # before session.run()
    link: on_message=bridge.on_message, on_connect=bridge.on_connect

A thin view: the state is the `ViewTracker`'s, and a remote command calls the same `Session`
methods a key at the laptop does, synchronously, so a stop reaches the guard's stop path without
a queue or any wait on the broker. `acknowledge` is not reachable from here at all: a latched
fault is cleared only by the runner, locally.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from treadlink.mqtt.client import Kind
from treadlink.mqtt.commands import ALWAYS_ACCEPTED, Button, Malformed, Setpoint, Start, parse
from treadlink.mqtt.state import BeltTracker, state_document
from treadlink.mqtt.topics import OFFLINE, ONLINE, Topics
from treadlink.safety.faults import ACCEPTED, Verdict, refused
from treadlink.safety.guard import SafetyGuard
from treadlink.session.engine import Session
from treadlink.session.events import (
    ConsoleOverride,
    Event,
    Fault,
    SegmentStarted,
    SetpointSent,
    TelemetryUpdate,
)
from treadlink.session.view import Facet, ViewTracker

log = logging.getLogger(__name__)

# A change of these is published at once; telemetry alone at most once a second.
_AT_ONCE: Final[frozenset[Facet]] = frozenset({"belt", "session", "segment", "fault", "stop"})
_STATE_PERIOD_S: Final = 1.0
_EPSILON: Final = 1e-6
_ACTIVE: Final = frozenset({"starting", "running", "paused", "latched"})
MAX_RESPONSE_TOPIC: Final = 256


class Publish(Protocol):
    def __call__(
        self,
        topic: str,
        payload: str | bytes,
        kind: Kind,
        *,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Rules:
    """What remote commands may do beyond stop, pause and skip. A reason is why it is refused;
    None means allowed."""

    start: str | None
    increase: str | None


RUN_REASON: Final = (
    "`treadlink run` is driven by the runner at the laptop: "
    "MQTT may only stop, pause, skip or slow it"
)
RULES_FOR_RUN: Final = Rules(start=RUN_REASON, increase=RUN_REASON)


def serve_rules(*, allow_remote_start: bool, allow_remote_increase: bool) -> Rules:
    start = None if allow_remote_start else "remote start is off: set mqtt.allow_remote_start: true"
    increase = (
        None
        if allow_remote_increase
        else "remote increase is off: set mqtt.allow_remote_increase: true"
    )
    return Rules(start=start, increase=increase)


Starter = Callable[[str], Verdict]  # serve: start the named stage (checked and loaded there)


class MqttBridge:
    def __init__(
        self,
        topics: Topics,
        *,
        publish: Publish,
        rules: Rules = RULES_FOR_RUN,
        starter: Starter | None = None,
        on_ha_online: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.topics = topics
        self.rules = rules
        self.session: Session | None = None
        self.guard: SafetyGuard | None = None  # `serve`: the connection's guard, while idle too
        self.tracker = ViewTracker()
        self.belt = BeltTracker()
        self.treadmill_online = False
        self._publish = publish
        self._starter = starter
        self._on_ha_online = on_ha_online
        self._unsubscribe: Callable[[], None] | None = None
        self._targets: dict[str, float | None] = {"speed": None, "incline": None}
        self._last_state: str | None = None
        self._ticker: asyncio.TimerHandle | None = None
        self._clock = clock
        self.last_command: dict[str, Any] | None = None  # the last answer, as published
        self.advised: dict[str, Any] | None = None  # the programme's next stage (`serve`)

    # --- out: events and state ---------------------------------------------------------------
    def attach(self, session: Session) -> None:
        """Follow `session` from its first event; call before `session.run()`."""
        self.detach()
        self.session = session
        self.tracker = ViewTracker(session.timeline)
        self._targets = {"speed": None, "incline": None}
        self._unsubscribe = session.subscribe(self.observe)
        self.set_treadmill_online(True)
        self._publish_state()
        self._start_ticking()

    def session_ended(self, session: Session) -> None:
        """`session` is over: commands go to the guard of the connection again (after a drop
        that may be a new one), not to a session that can no longer stop anything."""
        if self.session is session:
            self.detach()
            self.session = None

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def close(self) -> None:
        """Stop following; the last state is queued for the broker."""
        self.detach()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self._publish_state()

    def set_treadmill_online(self, online: bool) -> None:
        changed = online != self.treadmill_online
        self.treadmill_online = online
        if changed:
            self._publish_treadmill()
            self._publish_state()  # `remote_start` depends on it

    def on_connect(self) -> None:
        """A (re)connection to the broker: refresh every retained topic."""
        self._start_ticking()
        self._publish_treadmill()
        self._last_state = None
        self._publish_state()
        if self._on_ha_online is not None:
            self._on_ha_online()

    def observe(self, event: Event) -> None:
        """Apply one event to the view and publish it (the session's listener; `serve` also
        feeds the idle treadmill's telemetry here)."""
        changed = self.tracker.update(event)
        if self.belt.update(event):
            changed.add("belt")
        self._follow_targets(event)
        kind = Kind.EVENT
        if isinstance(event, TelemetryUpdate):
            kind = Kind.TELEMETRY
        elif isinstance(event, Fault):
            kind = Kind.KEEP
        # The same line `--events` writes (treadlink.session.recorder.EventLog.write).
        try:
            line = json.dumps(event.as_json(), separators=(",", ":"), allow_nan=False)
        except ValueError:
            log.warning("event not published (not finite): %r", event)
        else:
            self._publish(self.topics.event, line, kind)
        if "link" in changed:
            self.set_treadmill_online(self.tracker.view.link_up)
        if changed & _AT_ONCE:
            self._publish_state()  # the rest with the next tick

    def _follow_targets(self, event: Event) -> None:
        # What the treadmill was last told, whoever told it: the bar for "an increase".
        if isinstance(event, SetpointSent):
            self._targets["speed"] = event.speed_kmh
            if event.incline_pct is not None:
                self._targets["incline"] = event.incline_pct
        elif isinstance(event, ConsoleOverride):
            self._targets["speed"] = event.speed_kmh
        elif isinstance(event, SegmentStarted) and self._targets["incline"] is None:
            self._targets["incline"] = event.incline_pct

    def _start_ticking(self) -> None:
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().call_later(_STATE_PERIOD_S, self._tick)

    def _tick(self) -> None:
        self._ticker = asyncio.get_running_loop().call_later(_STATE_PERIOD_S, self._tick)
        # Every second, not only when dirty: some of it changes with no event (`remote_start`
        # once the belt has been at rest long enough). Nothing is sent if nothing changed.
        self._publish_state()

    def set_advised(self, advised: dict[str, Any] | None) -> None:
        """The programme's next stage changed (`serve` looks again after each session and
        every minute): published at once."""
        if advised != self.advised:
            self.advised = advised
            self._publish_state()

    def _publish_state(self) -> None:
        now = self.session.clock() if self.session is not None else 0.0
        document = state_document(
            self.tracker,
            now,
            remote_start=self._start_refusal() is None,
            belt_running=self.belt.running,
            last_command=self.last_command,
            advised=self.advised,
        )
        text = json.dumps(document, separators=(",", ":"))
        if text != self._last_state:
            self._last_state = text
            self._publish(self.topics.state, text, Kind.KEEP, retain=True)

    def _publish_treadmill(self) -> None:
        payload = ONLINE if self.treadmill_online else OFFLINE
        self._publish(self.topics.treadmill, payload, Kind.KEEP, retain=True)

    # --- in: commands --------------------------------------------------------------------------
    def on_message(self, message: aiomqtt.Message) -> None:
        topic = message.topic.value
        payload = message.payload if isinstance(message.payload, bytes) else b""
        if topic == self.topics.ha_status:
            if payload == ONLINE.encode() and self._on_ha_online is not None:
                self._on_ha_online()
            return
        name = self.topics.command_name(topic)
        if name is None:
            return
        verdict = self._live(name, payload, retained=message.retain)
        if verdict is None:
            return
        log.info("MQTT %s: %s", name, "accepted" if verdict.ok else f"refused: {verdict.reason}")
        self._answer(name, verdict, message.properties)

    def _live(self, name: str, payload: bytes, *, retained: bool) -> Verdict | None:
        """A command as it arrived. The subscription never delivers a stale retained message
        (BrokerLink's Retain Handling 2), so a retain flag here is a live publish's: stop and
        pause are honoured whatever their flags, other commands are refused for it. Its retained
        copy is cleared either way, so that no other client is handed it later. None: an empty
        retained message on any other command, which is how MQTT clears one, not a command."""
        if not retained:
            return self.command(name, payload)
        verdict = None
        if name in ALWAYS_ACCEPTED:
            verdict = self.command(name, payload)  # first: the stop before anything else
        elif payload:
            verdict = refused("retained command ignored: commands must be sent without retain")
        if payload:
            self._publish(self.topics.command(name), b"", Kind.KEEP, retain=True)
        return verdict

    def command(self, name: str, payload: bytes) -> Verdict:
        """Carry out one command; the answer says whether it was accepted and why not."""
        try:
            command = parse(name, payload)
        except Malformed as e:
            return refused(str(e))
        match command:
            case Button(name="stop"):
                return self.session.stop("MQTT stop") if self.session else self._idle_stop(name)
            case Button(name="pause"):
                if self.session is None:
                    return self._idle_stop(name)
                return self.session.pause("MQTT pause")
            case Button(name="skip"):
                return self.session.skip() if self.session else _IDLE
            case Button(name="resume"):
                if self.rules.start is not None:
                    return refused(self.rules.start)
                return self.session.resume() if self.session else _IDLE
            case Setpoint():
                return self._setpoint(command)
            case Start():
                return self._start(command)
        return refused(f"unknown command {name!r}")

    def _idle_stop(self, name: str) -> Verdict:
        """No session: a belt moving from the console is stopped through the guard's stop
        path all the same (a pause, too: the safe direction)."""
        if self.guard is None:
            return refused("the treadmill is not connected: nothing can be stopped from here")
        self.guard.stop(f"MQTT {name}")
        return ACCEPTED

    def _setpoint(self, command: Setpoint) -> Verdict:
        # Range, grid, caps and the latch are the guard's checks, through set_target; the rule
        # on increases is the bridge's own.
        session = self.session
        if session is None or session.current is None or self.tracker.view.phase not in _ACTIVE:
            return refused("no segment is running")
        value = command.value
        speed = command.name == "speed"
        unit = "km/h" if speed else "%"
        current = session.treadmill_target() if speed else None
        if current is None:
            current = self._targets[command.name]
        if current is None:
            view = self.tracker.view
            current = (view.speed_kmh if speed else view.incline_pct) or 0.0
        if value > current + _EPSILON and self.rules.increase is not None:
            return refused(
                f"{value:g} {unit} is above the current {current:g}: {self.rules.increase}"
            )
        if speed:
            verdict = session.set_target(speed_kmh=value)
        else:
            verdict = session.set_target(incline_pct=value)
        if verdict:
            self._targets[command.name] = value
        return verdict

    def _start(self, command: Start) -> Verdict:
        reason = self._start_refusal()
        if reason is not None:
            return refused(reason)
        assert self._starter is not None
        return self._starter(command.stage)

    def _start_refusal(self) -> str | None:
        """Why a remote start would be refused now, or None if it would be accepted."""
        if self.rules.start is not None:
            return self.rules.start
        if self._starter is None:
            return "this bridge cannot start sessions"
        view = self.tracker.view
        guard = self.guard
        latched = guard.latched.value if guard is not None and guard.latched is not None else None
        if latched is None and view.fault is not None:
            latched = view.fault.kind
        if latched is not None:
            return f"a fault is latched ({latched}): the runner acknowledges it locally"
        if guard is not None and guard.stopping:
            return "the belt has not been confirmed stopped"
        if not self.treadmill_online:
            return "the treadmill is not connected"
        if view.phase in _ACTIVE:
            return "a session is running"
        if self.belt.running or (view.stop.requested and not view.stop.belt_stopped):
            return "the belt has not been confirmed stopped"
        if guard is not None and not guard.idle_at_rest:
            # Frames may read 0 km/h from a belt walked on the console: the guard's window of
            # frames at rest, the distance unchanged, is the judge.
            return "the belt has not been seen at rest for long enough"
        return None

    def _answer(self, name: str, verdict: Verdict, request: Properties | None) -> None:
        body = json.dumps({"command": name, "ok": verdict.ok, "reason": verdict.reason})
        self._publish(self.topics.result, body, Kind.EVENT)
        # Also kept in the retained state (Home Assistant's "Last command"), with the next
        # tick: a flood of commands costs no state document each.
        self.last_command = answered(name, verdict, self._clock())
        response_topic = getattr(request, "ResponseTopic", None)
        if not isinstance(response_topic, str) or not _publishable(response_topic):
            return
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        correlation = getattr(request, "CorrelationData", None)
        if isinstance(correlation, bytes):
            properties.CorrelationData = correlation
        self._publish(response_topic, body, Kind.EVENT, properties=properties)


_IDLE = refused("no session is running")
MAX_SAID: Final = 255  # characters: Home Assistant's longest state


def answered(name: str, verdict: Verdict, at: datetime) -> dict[str, Any]:
    """A command's answer as the state document keeps it; `said` is what Home Assistant shows."""
    said = f"{name}: accepted" if verdict.ok else f"{name}: refused — {verdict.reason}"
    if len(said) > MAX_SAID:
        said = said[: MAX_SAID - 1] + "…"
    return {
        "command": name,
        "ok": verdict.ok,
        "reason": verdict.reason,
        "at": at.astimezone(UTC).isoformat(timespec="seconds"),
        "said": said,
    }


def _publishable(topic: str) -> bool:
    return 0 < len(topic) <= MAX_RESPONSE_TOPIC and not any(c in topic for c in "+#\0")
