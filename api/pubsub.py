"""Live-update events across processes on PostgreSQL, with LISTEN/NOTIFY.

Each process of the service holds one dedicated asyncpg connection (besides Tortoise's pool) that LISTENs on
`sharedgoals_events` and sends this process's events with `pg_notify`. An event published here is delivered to
this process's subscribers at once by `domain.events` and forwarded, tagged with this process's id; a
notification carrying our own id is ignored, so no subscriber gets an event twice. Events are sent after their
change is committed (the publisher calls after the commit), in autocommit, so the others see them at once.

The connection is checked every few seconds and opened again when it drops; events published meanwhile wait and
are sent once it is back (notifications other processes sent while it was down are lost: PostgreSQL keeps them
for listening sessions only).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url

from domain import events

log = logging.getLogger("sharedgoals.pubsub")

CHANNEL = "sharedgoals_events"
PING_EVERY = 5.0        # seconds between checks that the connection is alive (a silent network drop shows here)
PING_TIMEOUT = 5.0
RETRY_AT_MOST = 5.0     # seconds between attempts to reconnect, doubling from 0.1
MAX_WAITING = 10_000    # events waiting to be sent; beyond, new ones are dropped (the connection is down)
MAX_PER_STATEMENT = 200
MAX_NOTIFY_BYTES = 7900  # PostgreSQL refuses payloads of 8000 bytes or more
POSTGRES_ENGINES = ("tortoise.backends.asyncpg", "tortoise.backends.psycopg")


def connect_arguments(database_url: str) -> dict[str, Any]:
    """asyncpg.connect arguments for the database Tortoise is configured with (without its pool options)."""
    credentials = expand_db_url(database_url)["credentials"]
    arguments = {k: credentials[k] for k in ("host", "port", "user", "password", "database", "ssl")
                 if credentials.get(k) is not None}
    arguments["server_settings"] = {"application_name": "sharedgoals-events"}
    return arguments


class PostgresBridge:
    """The `domain.events` backend of one process: NOTIFY out, LISTEN in."""

    def __init__(self, connect_kwargs: dict[str, Any]) -> None:
        self.origin = uuid.uuid4().hex
        self.connect_kwargs = connect_kwargs
        self.connections = 0            # successful connects so far (a reconnection adds one)
        self.connection: asyncpg.Connection | None = None
        self._connected = asyncio.Event()
        self._using = asyncio.Lock()    # one statement at a time on the connection (pings and sends)
        self._waiting: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dropped = 0

    # --- life ---------------------------------------------------------------------------------
    async def start(self, timeout: float = 10) -> None:
        """Connect and listen (waits up to `timeout` for the first connection, then goes on trying behind)."""
        self._loop = asyncio.get_running_loop()
        self._tasks = [asyncio.create_task(self._listen(), name="pubsub-listen"),
                       asyncio.create_task(self._send(), name="pubsub-send")]
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            log.warning("live updates: not connected to PostgreSQL yet; trying again in the background")

    async def stop(self, flush_within: float = 2) -> None:
        if self._connected.is_set():  # send what is waiting, briefly
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._waiting.join(), flush_within)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def wait_connected(self, timeout: float) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    # --- out ----------------------------------------------------------------------------------
    def forward(self, topic: str, payload: Any) -> None:
        message = json.dumps({"o": self.origin, "t": topic, "p": payload}, separators=(",", ":"))
        if len(message.encode()) > MAX_NOTIFY_BYTES:
            log.error("live updates: an event on %s is too large to send (%d bytes)", topic, len(message))
            return
        try:
            same_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._enqueue(message)
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._enqueue, message)

    def _enqueue(self, message: str) -> None:
        if self._waiting.qsize() >= MAX_WAITING:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.warning("live updates: %d events dropped while PostgreSQL is unreachable", self._dropped)
            return
        self._waiting.put_nowait(message)

    async def _send(self) -> None:
        batch: list[str] = []
        while True:
            if not batch:
                batch.append(await self._waiting.get())
            while len(batch) < MAX_PER_STATEMENT and not self._waiting.empty():
                batch.append(self._waiting.get_nowait())
            await self._connected.wait()
            connection = self.connection
            try:
                async with self._using:
                    await connection.execute("SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m", CHANNEL, batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if connection is not None and not connection.is_closed():
                    log.error("live updates: %d events could not be sent: %s", len(batch), exc)
                else:  # the connection went down under us: keep them for the next one
                    log.warning("live updates: connection lost while sending; %d events wait", len(batch))
                    await asyncio.sleep(0.1)
                    continue
            for _ in batch:
                self._waiting.task_done()
            batch = []

    # --- in -----------------------------------------------------------------------------------
    def _on_notification(self, connection, pid: int, channel: str, message: str) -> None:
        try:
            event = json.loads(message)
            origin, topic, payload = event["o"], event["t"], event["p"]
        except (ValueError, KeyError, TypeError):
            log.warning("live updates: ignored a malformed notification on %s", channel)
            return
        if origin != self.origin:  # our own events were delivered here when published
            events.deliver(topic, payload)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(**self.connect_kwargs, timeout=10)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._on_notification)
                self.connection = connection
                self.connections += 1
                if self.connections > 1:
                    log.info("live updates: listening again on PostgreSQL")
                self._connected.set()
                delay = 0.1
                await self._watch(connection, lost)
                log.warning("live updates: connection to PostgreSQL lost; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live updates: PostgreSQL connection failed (%s); again in %.1f s", exc, delay)
            finally:
                self._connected.clear()
                self.connection = None
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_AT_MOST)

    async def _watch(self, connection: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Return when the connection is gone: closed by the server, or no longer answering."""
        while not lost.is_set() and not connection.is_closed():
            try:
                await asyncio.wait_for(lost.wait(), PING_EVERY)
                return
            except TimeoutError:
                pass
            async with self._using:
                await connection.execute("SELECT 1", timeout=PING_TIMEOUT)


@contextlib.asynccontextmanager
async def running(database_url: str) -> AsyncIterator[PostgresBridge | None]:
    """Live updates cross processes while the block runs, when the database is PostgreSQL (else: nothing to do,
    the in-process broker is enough for the one SQLite worker)."""
    if expand_db_url(database_url)["engine"] not in POSTGRES_ENGINES:
        yield None
        return
    bridge = PostgresBridge(connect_arguments(database_url))
    await bridge.start()
    events.install(bridge)
    try:
        yield bridge
    finally:
        if events.installed() is bridge:
            events.install(None)
        await bridge.stop()
