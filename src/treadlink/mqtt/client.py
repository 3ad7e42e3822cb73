"""`BrokerLink`: the one connection to the MQTT broker, kept apart from treadmill control.

    link = BrokerLink(broker, client_id=..., status_topic=..., subscriptions=[...],
                      on_message=handle, on_connect=refresh)
    async with link:
        link.publish(topic, payload, Kind.KEEP, retain=True)     # never blocks, never raises

Nothing here can delay the treadmill: `publish` only appends to a bounded queue that a task of
its own drains while the broker is there; old telemetry is dropped first, then other events and
answers, and state, status and faults never (a retained topic keeps only its newest value, so
they cannot pile up). The broker is reconnected with backoff; each connection is a clean session
(MQTT 5, clean start, no session expiry) so no command queued while treadlink was away is ever
delivered, and `offline` is both the Last Will and what a clean exit publishes. Subscriptions never
deliver a stale retained message (MQTT 5 Retain Handling 2, `SUBSCRIPTION`).

Incoming messages are handed over in arrival order, except that stop and pause jump the queue:
they are handed over the moment their packet is read from the socket, ahead of anything read
before them and not yet handled. Every packet waiting in the socket is read at once (up to a
burst), so a stop is never left in the kernel's buffer behind a flood that the client would
otherwise take one packet per turn of the event loop. Other messages are handled in batches, and
the loop gets a turn between batches, so the stop that a message started is never held up
behind the flood's own work (docs/decisions/0011).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import select
import socket
import ssl
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from types import TracebackType
from typing import Any, ClassVar, Final, Self

import aiomqtt
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from treadlink.backoff import Backoff
from treadlink.mqtt.aiomqtt_private import incoming, paho_client
from treadlink.mqtt.settings import Broker
from treadlink.mqtt.topics import OFFLINE, ONLINE

log = logging.getLogger(__name__)

_IN_FLIGHT = 10  # publishes awaiting the broker at once (aiomqtt warns above 10)
_READ_BURST = 32  # packets read from the socket per turn of the event loop, at most
_BATCH = 16  # incoming messages handled per turn of the event loop, at most

# MQTT 5 subscription options (MQTT 5.0 §3.8.3.1). Retain Handling 2: a retained message left at
# the broker (yesterday's stop) is never delivered on subscribing, so every message that arrives
# was published while we listened. Retain As Published: a live publish keeps its retain flag, so
# its retained copy can be cleared. No Local: that clearing (an empty retained message on the
# topic) is not delivered back to us as a message.
SUBSCRIPTION: Final = SubscribeOptions(
    qos=1,
    noLocal=True,
    retainAsPublished=True,
    retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND,
)


class Kind(IntEnum):
    """What may be dropped when the broker cannot keep up, lowest first."""

    TELEMETRY = 0  # telemetry events: dropped first
    EVENT = 1  # other events and command answers
    KEEP = 2  # state, status, faults, discovery: never dropped


@dataclass(slots=True, eq=False)
class Outgoing:
    topic: str
    payload: bytes
    kind: Kind
    retain: bool = False
    properties: Properties | None = None
    done: bool = False  # sent or dropped
    seq: int = 0  # order of queueing: what was queued later is newer


class PublishQueue:
    """Bounded FIFO of messages to publish, dropping the least important oldest first."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self.dropped = 0
        self._items: deque[Outgoing] = deque()
        self._droppable: dict[Kind, deque[Outgoing]] = {
            Kind.TELEMETRY: deque(),
            Kind.EVENT: deque(),
        }
        self._retained: dict[str, Outgoing] = {}  # pending retained message per topic
        self._retry: list[tuple[int, Outgoing]] = []  # put back after a failed publish, by seq
        self._seq = 0
        self._live = 0
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return self._live

    def put(self, message: Outgoing) -> None:
        self._seq += 1
        message.seq = self._seq
        if message.retain and self._coalesced(message):
            return
        self._items.append(message)
        self._live += 1
        if message.kind in self._droppable:
            self._droppable[message.kind].append(message)
        while self._live > self.limit and self._drop_oldest():
            pass
        self._ready.set()

    def put_back(self, message: Outgoing) -> None:
        """A message whose publish failed: state and faults go out again first, oldest first;
        the rest is lost."""
        if message.kind != Kind.KEEP or (message.retain and self._coalesced(message)):
            return
        message.done = False
        heapq.heappush(self._retry, (message.seq, message))
        self._live += 1
        self._ready.set()

    def _coalesced(self, message: Outgoing) -> bool:
        """Merge a retained message into the one pending for its topic (the newer value wins);
        False if none is pending, and it is then the pending one."""
        pending = self._retained.get(message.topic)
        if pending is None:
            self._retained[message.topic] = message
            return False
        if message.seq > pending.seq:
            pending.payload, pending.properties = message.payload, message.properties
            pending.seq = message.seq
        pending.kind = max(pending.kind, message.kind)
        return True

    async def get(self) -> Outgoing:
        while True:
            if self._retry:
                _, message = heapq.heappop(self._retry)
                self._mark_done(message)
                return message
            while self._items:
                message = self._items.popleft()
                if message.done:
                    continue
                self._mark_done(message)
                droppable = self._droppable.get(message.kind)
                if droppable and droppable[0] is message:
                    droppable.popleft()
                return message
            self._ready.clear()
            await self._ready.wait()

    def _drop_oldest(self) -> bool:
        for kind in (Kind.TELEMETRY, Kind.EVENT):
            droppable = self._droppable[kind]
            while droppable:
                message = droppable.popleft()
                if not message.done:
                    self._mark_done(message)
                    self.dropped += 1
                    return True
        return False

    def _mark_done(self, message: Outgoing) -> None:
        message.done = True
        self._live -= 1
        if self._retained.get(message.topic) is message:
            del self._retained[message.topic]


class Inbox(asyncio.Queue[aiomqtt.Message]):
    """aiomqtt's incoming queue. A message on an `urgent` topic is not queued at all: it goes to
    `on_urgent` as aiomqtt hands it over, inside the read of its packet."""

    urgent: ClassVar[frozenset[str]] = frozenset()
    on_urgent: ClassVar[Callable[[aiomqtt.Message], None]]

    def _put(self, item: aiomqtt.Message) -> None:
        if item.topic.value in self.urgent:
            type(self).on_urgent(item)
        else:
            super()._put(item)


def inbox_type(urgent: Iterable[str], on_urgent: Callable[[aiomqtt.Message], None]) -> type[Inbox]:
    return type(
        "UrgentFirstInbox",
        (Inbox,),
        {"urgent": frozenset(urgent), "on_urgent": staticmethod(on_urgent)},
    )


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca: str | None = None
    cert: str | None = None
    key: str | None = None


class BrokerLink:
    def __init__(
        self,
        broker: Broker,
        *,
        client_id: str,
        status_topic: str | None,
        subscriptions: Iterable[str],
        on_message: Callable[[aiomqtt.Message], None],
        on_connect: Callable[[], None],
        urgent: Iterable[str] = (),
        tls: TlsFiles = TlsFiles(),
        queue_limit: int = 1000,
        backoff_s: tuple[float, float] = (0.5, 30.0),
        timeout_s: float = 5.0,
        keepalive_s: int = 15,
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.status_topic = status_topic
        self.subscriptions = tuple(subscriptions)
        self.queue = PublishQueue(queue_limit)
        self.connections = 0  # how many times a connection was made (the first one included)
        self.last_error: str | None = None  # why the last connection failed or ended
        self._on_message = on_message
        self._on_connect = on_connect
        self._urgent = frozenset(urgent)
        self._tls = tls
        self._backoff_s = backoff_s
        self._timeout_s = timeout_s
        self._keepalive_s = keepalive_s
        self._connected = asyncio.Event()
        self._failed = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def wait_failed(self) -> str:
        """Wait for the next failed or lost connection; return why."""
        self._failed.clear()
        await self._failed.wait()
        return self.last_error or ""

    def publish(
        self,
        topic: str,
        payload: str | bytes,
        kind: Kind,
        *,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> None:
        """Queue a message; returns at once whether or not the broker is there."""
        data = payload.encode() if isinstance(payload, str) else payload
        self.queue.put(Outgoing(topic, data, kind, retain, properties))

    # --- life cycle ------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=f"mqtt {self.broker}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Publish what is queued and `offline`, briefly, then disconnect."""
        self._closing.set()
        if self._task is None:
            return
        try:
            async with asyncio.timeout(3 * self._timeout_s):
                await asyncio.shield(self._task)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        backoff = Backoff(*self._backoff_s, jitter=0.2)
        while not self._closing.is_set():
            try:
                async with self._client() as client:
                    backoff.reset()
                    await self._serve(client)
                    return
            except (aiomqtt.MqttError, OSError) as e:  # OSError: a TLS file that will not load
                delay = backoff.next_delay()
                log.warning("MQTT broker %s: %s (again in %.1f s)", self.broker, e, delay)
                self.last_error = str(e)
                self._failed.set()
            finally:
                self._connected.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._closing.wait()

    def _client(self) -> aiomqtt.Client:
        tls_context = None
        if self.broker.tls:
            tls_context = ssl.create_default_context(cafile=self._tls.ca)
            if self._tls.cert is not None:
                tls_context.load_cert_chain(self._tls.cert, self._tls.key)
        return aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=True,  # and no session expiry: nothing is kept for us while away
            will=None
            if self.status_topic is None
            else aiomqtt.Will(self.status_topic, OFFLINE, qos=1, retain=True),
            keepalive=self._keepalive_s,
            timeout=self._timeout_s,
            tls_context=tls_context,
            queue_type=inbox_type(self._urgent, self._handle),
            # Nagle's algorithm would hold a small publish (an answer, a state) back until the
            # broker acknowledges the previous segment: tens of milliseconds under traffic.
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
        )

    async def _serve(self, client: aiomqtt.Client) -> None:
        for topic in self.subscriptions:
            granted = await client.subscribe(topic, options=SUBSCRIPTION)
            refused = [code for code in granted if getattr(code, "is_failure", False)]
            if refused:
                raise aiomqtt.MqttError(
                    f"the broker refused the subscription to {topic}: {refused[0]}"
                )
        if self.status_topic is not None:
            await client.publish(self.status_topic, ONLINE, qos=1, retain=True)
        self.connections += 1
        self._connected.set()
        self._on_connect()
        read_failed = _read_in_bursts(client)
        tasks: set[asyncio.Future[Any]] = {
            asyncio.create_task(self._receive(client)),
            asyncio.create_task(self._send(client)),
            read_failed,
        }
        closing = asyncio.create_task(self._closing.wait())
        try:
            done, _ = await asyncio.wait({*tasks, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*tasks, closing):
                task.cancel()
            await asyncio.gather(*tasks, closing, return_exceptions=True)
        for task in done & tasks:
            task.result()  # the MqttError that ended the connection
        await self._flush(client)

    async def _flush(self, client: aiomqtt.Client) -> None:
        with contextlib.suppress(TimeoutError, aiomqtt.MqttError):
            async with asyncio.timeout(self._timeout_s):
                while len(self.queue):
                    await self._publish(client, await self.queue.get())
                if self.status_topic is not None:
                    await client.publish(self.status_topic, OFFLINE, qos=1, retain=True)

    async def _receive(self, client: aiomqtt.Client) -> None:
        # aiomqtt's iterator costs a task and a turn of the loop per message: it waits for the
        # first one (and notices a lost connection), the rest of a batch is taken directly.
        inbox = incoming(client)  # aiomqtt's own, for the rest of a batch
        async for message in client.messages:
            self._handle(message)
            for _ in range(_BATCH - 1):
                try:
                    message = inbox.get_nowait()
                except asyncio.QueueEmpty:
                    break
                self._handle(message)

    def _handle(self, message: aiomqtt.Message) -> None:
        try:
            self._on_message(message)
        except Exception:
            log.exception("MQTT message on %s not handled", message.topic)

    async def _send(self, client: aiomqtt.Client) -> None:
        # Several publishes in flight: one waiting for the broker's PUBACK does not hold the
        # ones behind it (paho still writes them in queue order).
        in_flight = asyncio.Semaphore(_IN_FLIGHT)
        try:
            async with asyncio.TaskGroup() as group:
                while True:
                    await in_flight.acquire()  # before taking: nothing held outside the queue
                    message = await self.queue.get()
                    group.create_task(self._send_one(client, message, in_flight))
        except* aiomqtt.MqttError as failed:
            raise failed.exceptions[0] from None

    async def _send_one(
        self, client: aiomqtt.Client, message: Outgoing, in_flight: asyncio.Semaphore
    ) -> None:
        try:
            await self._publish(client, message)
        except aiomqtt.MqttError:
            self.queue.put_back(message)
            raise
        except ValueError as e:  # paho refuses the topic or payload: nothing to retry
            log.warning("not published to %r: %s", message.topic, e)
        except asyncio.CancelledError:
            self.queue.put_back(message)
            raise
        finally:
            in_flight.release()

    @staticmethod
    async def _publish(client: aiomqtt.Client, message: Outgoing) -> None:
        await client.publish(
            message.topic,
            message.payload,
            qos=1 if message.kind == Kind.KEEP else 0,
            retain=message.retain,
            properties=message.properties,
        )


def _read_in_bursts(client: aiomqtt.Client) -> asyncio.Future[None]:
    """Replace aiomqtt's reader, which takes one packet per turn of the event loop, with one
    that reads what the socket holds (up to a burst): a flood can then not leave a stop waiting
    in the kernel's buffer. The future fails if reading does; a lost connection is aiomqtt's
    own to report (paho tells it)."""
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[None] = loop.create_future()
    paho = paho_client(client)
    sock = paho.socket()
    if sock is None:
        failed.set_exception(aiomqtt.MqttError("no socket to read from"))
        return failed
    fd = sock.fileno()

    def more() -> bool:
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        return bool(select.select((sock,), (), (), 0)[0])

    def read() -> None:
        try:
            for _ in range(_READ_BURST):
                if paho.loop_read() != 0 or not more():  # 0: MQTT_ERR_SUCCESS
                    return
        except Exception as e:  # a broken socket: the connection is over
            loop.remove_reader(fd)
            if not failed.done():
                failed.set_exception(aiomqtt.MqttError(f"reading from the broker: {e}"))

    loop.remove_reader(fd)
    loop.add_reader(fd, read)
    return failed
