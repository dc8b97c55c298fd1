"""The database could not serve a request now: busy with another writer past the busy timeout, or down.

Either way the request changed nothing and may be sent again: clients see the code UNAVAILABLE (GraphQL
`extensions.code`, HTTP 503 with `Retry-After`). `unavailable_cause` recognises the drivers' own errors for it, so
the service never answers "database is locked" or a connection error as an unexpected one.
"""
from __future__ import annotations

import sqlite3

import asyncpg

UNAVAILABLE = "UNAVAILABLE"
BUSY_RETRY_AFTER = 1      # seconds: a writer's turn comes soon
OUTAGE_RETRY_AFTER = 5    # seconds: a database down or refusing writes


class Unavailable(Exception):
    """The database cannot serve this now; nothing was written. `retry_after`: seconds to wait before retrying."""

    def __init__(self, message: str, retry_after: int = BUSY_RETRY_AFTER) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    @property
    def busy(self) -> bool:
        """Another writer holds the lock (it will end soon), as opposed to a database down or refusing writes."""
        return self.retry_after == BUSY_RETRY_AFTER


# SQLite's primary result codes that mean "not now", not "wrong request"
_SQLITE_BUSY = {5, 6}              # SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_DOWN = {8, 10, 13, 14, 15, 26}  # READONLY, IOERR, FULL, CANTOPEN, PROTOCOL, NOTADB

# asyncpg: the server gone, refusing connections, in recovery, read-only, out of space, or a lock wait timed out
_PG_DOWN = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError,
            asyncpg.CrashShutdownError, asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError,
            asyncpg.ReadOnlySQLTransactionError, asyncpg.InsufficientResourcesError,
            asyncpg.TooManyConnectionsError)
_PG_BUSY = (asyncpg.LockNotAvailableError,)
_FILE_ERRORS = (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError)


def _chain(exc: BaseException):
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]


def unavailable_cause(exc: BaseException) -> Unavailable | None:
    """The Unavailable that `exc` amounts to, or None when it is some other failure."""
    for e in _chain(exc):
        if isinstance(e, Unavailable):
            return e
        if isinstance(e, sqlite3.OperationalError | sqlite3.DatabaseError):
            code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
            text = str(e).lower()
            if code in _SQLITE_BUSY or "database is locked" in text or "database table is locked" in text:
                return Unavailable("The database is busy with another write; try again shortly.", BUSY_RETRY_AFTER)
            if code in _SQLITE_DOWN or "readonly database" in text or "disk i/o error" in text \
                    or "unable to open database" in text:
                return Unavailable(f"The database is not accepting writes ({e}).", OUTAGE_RETRY_AFTER)
        if isinstance(e, _PG_BUSY):
            return Unavailable("The database is busy with another write; try again shortly.", BUSY_RETRY_AFTER)
        if isinstance(e, _PG_DOWN) or isinstance(e, ConnectionError | TimeoutError) \
                or (isinstance(e, OSError) and not isinstance(e, _FILE_ERRORS)):
            return Unavailable("The database is unavailable; try again shortly.", OUTAGE_RETRY_AFTER)
        if type(e).__name__ == "DBConnectionError":  # tortoise's, when a pool cannot be opened
            return Unavailable("The database is unavailable; try again shortly.", OUTAGE_RETRY_AFTER)
    return None
