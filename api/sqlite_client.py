"""Tortoise's SQLite client, made to share the file with a long write: reads on their own connections, writes
waiting a bounded time for the one writer.

Tortoise's client is one connection behind one lock, held for a whole transaction, so an import stalled every
read of the service. Here:

- A statement that only reads (`SELECT …`), sent outside a transaction, runs on one of a few read-only
  connections of its own. WAL lets them read the last committed state while a writer (this process's or another
  one's, such as `sharedgoals import`) holds the write lock. Inside a transaction every statement stays on the
  transaction's connection, so a transaction reads its own writes.
- A transaction begins with `BEGIN IMMEDIATE`: it takes the write lock first, so two writers are serialised
  whole (a deferred BEGIN lets one read, lose the race for the lock and fail with SQLITE_BUSY_SNAPSHOT at once,
  whatever the busy timeout).
- Waiting for the writer (this process's lock, then SQLite's own) lasts at most the busy timeout; past it the
  request fails with `Unavailable` (code UNAVAILABLE), never with "database is locked".
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import sqlite3
import time
from typing import Any

import aiosqlite
from tortoise.backends.base.client import ConnectionWrapper
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from domain.availability import BUSY_RETRY_AFTER, Unavailable, unavailable_cause

DEFAULT_READERS = 3
# The WAL's size past which a commit has it checkpointed (its pages copied into the database file), as SQLite's own
# automatic checkpoint does past 1,000 pages of 4 KiB. Here in the background, on a read connection: SQLite's is
# made in the committing write's own time (30-45 ms of a large import, measured), and SQLite recommends a checkpoint
# apart for a writer that should not wait for it.
CHECKPOINT_BYTES = 1000 * 4096
CHECKPOINT_TASK = "wal-checkpoint"  # the background checkpoint's task (a statement count may leave it out)
log = logging.getLogger("sharedgoals.sqlite")
_READ = re.compile(r"\s*(SELECT|VALUES)\b", re.IGNORECASE)
_WITH_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def is_read(query: str) -> bool:
    """A statement that only reads: SELECT (or a WITH … SELECT that writes nothing)."""
    if _READ.match(query):
        return True
    stripped = query.lstrip()
    return stripped[:4].upper() == "WITH" and not _WITH_WRITE.search(stripped)


def _busy(timeout: float) -> Unavailable:
    return Unavailable(f"The database is busy with another write (waited {timeout:g} s); try again shortly.",
                       BUSY_RETRY_AFTER)


class _BoundedLock(ConnectionWrapper):
    """The writer connection for one autocommit statement, waited for at most the busy timeout."""

    __slots__ = ("timeout",)

    def __init__(self, lock: asyncio.Lock, client: "SharedSqliteClient") -> None:
        super().__init__(lock, client)
        self.timeout = client.busy_timeout

    async def __aenter__(self):
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._lock.acquire(), self.timeout)
        except TimeoutError:
            raise _busy(self.timeout) from None
        try:
            await self.ensure_connection()
            await self.client._set_busy_timeout(self.connection, self.timeout - (time.monotonic() - started))
        except BaseException:
            self._lock.release()
            raise
        return self.connection

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        finally:
            self.client.checkpoint_later()


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if (cause := unavailable_cause(exc)) is not None:
                raise cause from exc
            raise TransactionManagementError(exc) from exc


class _BoundedTransactionContext(SqliteTransactionContext):
    """Waits for this process's writer at most the busy timeout, then for SQLite's write lock what is left of it."""

    __slots__ = ("timeout",)

    def __init__(self, connection: Any, trxlock: asyncio.Lock, timeout: float) -> None:
        super().__init__(connection, trxlock)
        self.timeout = timeout

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        finally:
            self.connection._parent.checkpoint_later()

    async def __aenter__(self):
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._trxlock.acquire(), self.timeout)
        except TimeoutError:
            raise _busy(self.timeout) from None
        try:
            await self.ensure_connection()
            parent: SharedSqliteClient = self.connection._parent
            left = max(0.0, self.timeout - (time.monotonic() - started))
            await parent._set_busy_timeout(self.connection._connection, left)
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


class SharedSqliteClient(SqliteClient):
    def __init__(self, file_path: str, readers: int = DEFAULT_READERS, busy_timeout: float = 5.0,
                 **kwargs: Any) -> None:
        self.busy_timeout = float(busy_timeout)
        kwargs["busy_timeout"] = int(self.busy_timeout * 1000)  # a pragma of the writer connection
        super().__init__(file_path, **kwargs)
        # An in-memory database is one connection's own: nothing to share it with.
        self.readers = 0 if file_path == ":memory:" or "mode=memory" in file_path else int(readers)
        self._pool: asyncio.Queue[aiosqlite.Connection] | None = None
        self._opened: list[aiosqlite.Connection] = []
        self._pool_lock = asyncio.Lock()
        self._writer_busy_ms = kwargs["busy_timeout"]
        # A file's WAL is checkpointed in the background after commits (checkpoint_later), not by SQLite in them.
        if self.reads_beside_writes:
            self.pragmas["wal_autocheckpoint"] = 0
        self._checkpoint: asyncio.Task | None = None

    # --- the writer ------------------------------------------------------------------------

    def acquire_connection(self) -> ConnectionWrapper:
        return _BoundedLock(self._lock, self)

    def _in_transaction(self) -> SqliteTransactionContext:
        return _BoundedTransactionContext(_ImmediateTransaction(self), self._lock, self.busy_timeout)

    async def _set_busy_timeout(self, connection: aiosqlite.Connection, seconds: float) -> None:
        ms = max(100, math.ceil(seconds * 10) * 100)  # in tenths of a second: mostly unchanged, no statement
        if ms != self._writer_busy_ms:
            await (await connection.execute(f"PRAGMA busy_timeout={ms}")).close()
            self._writer_busy_ms = ms

    # --- checkpoints -----------------------------------------------------------------------

    def checkpoint_later(self) -> None:
        """After a write transaction ended: a passive checkpoint on a read connection, in the background, once the
        WAL has grown past CHECKPOINT_BYTES (one at a time; a write meanwhile is checkpointed by the next one)."""
        if not self.reads_beside_writes or (self._checkpoint is not None and not self._checkpoint.done()):
            return
        try:
            if os.path.getsize(f"{self.filename}-wal") < CHECKPOINT_BYTES:
                return
        except OSError:  # no WAL file (yet): nothing to copy
            return
        self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_now(), name=CHECKPOINT_TASK)

    async def _checkpoint_now(self) -> tuple[int, int, int] | None:
        """PRAGMA wal_checkpoint(PASSIVE) on a read connection: it copies what no reader still needs and waits for
        nobody. (busy, pages in the WAL, pages checkpointed), or None when it failed (logged: the next one retries)."""
        try:
            rows = await self._read("PRAGMA wal_checkpoint(PASSIVE)", None)
            return tuple(rows[0]) if rows else None
        except Exception:
            log.warning("a background WAL checkpoint failed (the next commit tries again)", exc_info=True)
            return None

    async def settle_checkpoint(self) -> None:
        """Wait for a background checkpoint under way."""
        task, self._checkpoint = self._checkpoint, None
        if task is not None:
            with contextlib.suppress(BaseException):
                await task

    # --- the readers -----------------------------------------------------------------------

    async def _open_readers(self) -> asyncio.Queue:
        async with self._pool_lock:
            if self._pool is None:
                pool: asyncio.Queue = asyncio.Queue()
                for _ in range(self.readers):
                    conn = await aiosqlite.connect(self.filename, isolation_level=None)
                    conn._conn.row_factory = sqlite3.Row
                    for pragma in ("query_only=ON", f"busy_timeout={int(self.busy_timeout * 1000)}"):
                        await (await conn.execute(f"PRAGMA {pragma}")).close()
                    self._opened.append(conn)
                    pool.put_nowait(conn)
                self._pool = pool
        return self._pool

    async def _read(self, query: str, values: list | None) -> list:
        pool = self._pool or await self._open_readers()
        conn = await pool.get()
        try:
            self.log.debug("%s: %s", query, values)
            return await conn.execute_fetchall(query, values)
        finally:
            pool.put_nowait(conn)

    @property
    def reads_beside_writes(self) -> bool:
        """Whether a SELECT sent to this client (not to a transaction) runs on a read connection, beside a
        transaction's statements and seeing what is committed (domain.bulk.committed_reader)."""
        return self.readers > 0

    def _reads_apart(self, query: str) -> bool:
        return self.reads_beside_writes and is_read(query)

    @translate_exceptions
    async def execute_query(self, query: str, values: list | None = None) -> tuple[int, Any]:
        if not self._reads_apart(query):
            return await super().execute_query(query, values)
        rows = await self._read(query.replace("\x00", "'||CHAR(0)||'"), values)
        return len(rows), rows

    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        if not self._reads_apart(query):
            return await super().execute_query_dict(query, values)
        return list(map(dict, await self._read(query.replace("\x00", "'||CHAR(0)||'"), values)))

    async def read_probe(self) -> None:
        """One trivial read on a read connection (the readiness check)."""
        if self.readers:
            await self._read("SELECT 1", None)
        else:
            await self.execute_query("SELECT 1")

    async def close(self) -> None:
        await self.settle_checkpoint()
        async with self._pool_lock:
            opened, self._opened, self._pool = self._opened, [], None
            for conn in opened:
                await conn.close()
        await super().close()
        self._writer_busy_ms = self.pragmas["busy_timeout"]  # a new writer connection starts with the pragma


client_class = SharedSqliteClient
