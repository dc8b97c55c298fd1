"""Which failures mean "the database cannot serve this now" (UNAVAILABLE, retryable) and which are other faults;
and which statements the SQLite client may send to its read connections."""
import sqlite3

import asyncpg
from tortoise.exceptions import OperationalError

from api.sqlite_client import is_read
from domain.availability import BUSY_RETRY_AFTER, OUTAGE_RETRY_AFTER, Unavailable, unavailable_cause


def _sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def test_a_locked_sqlite_database_wrapped_by_tortoise_is_busy():
    try:
        try:
            raise _sqlite_error("database is locked", 5)
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc)
    except OperationalError as wrapped:
        cause = unavailable_cause(wrapped)
    assert cause is not None and cause.busy and cause.retry_after == BUSY_RETRY_AFTER
    assert "locked" not in cause.message


def test_a_read_only_or_broken_sqlite_file_is_an_outage():
    for error in (_sqlite_error("attempt to write a readonly database", 8), _sqlite_error("disk I/O error", 10)):
        cause = unavailable_cause(error)
        assert cause is not None and not cause.busy and cause.retry_after == OUTAGE_RETRY_AFTER


def test_postgresql_gone_read_only_or_a_lock_wait_timed_out():
    assert unavailable_cause(ConnectionRefusedError(111, "refused")).retry_after == OUTAGE_RETRY_AFTER
    assert unavailable_cause(asyncpg.ReadOnlySQLTransactionError("read-only")).retry_after == OUTAGE_RETRY_AFTER
    assert unavailable_cause(asyncpg.LockNotAvailableError("lock timeout")).busy


def test_other_faults_are_not_unavailability():
    assert unavailable_cause(_sqlite_error("no such table: x", 1)) is None
    assert unavailable_cause(ValueError("bad")) is None
    assert unavailable_cause(FileNotFoundError("leads.csv")) is None
    assert unavailable_cause(asyncpg.UniqueViolationError("dup")) is None


def test_an_unavailable_is_itself():
    busy = Unavailable("busy")
    assert unavailable_cause(RuntimeError("x")) is None and unavailable_cause(busy) is busy


def test_only_statements_that_read_go_to_the_read_connections():
    assert is_read('SELECT "id" FROM "lead"') and is_read("  select 1")
    assert is_read("WITH t AS (SELECT 1) SELECT * FROM t")
    assert not is_read('INSERT INTO "lead" VALUES (1)') and not is_read("UPDATE lead SET x = 1")
    assert not is_read("WITH t AS (SELECT 1) DELETE FROM lead WHERE id IN (SELECT * FROM t)")
    assert not is_read("PRAGMA foreign_keys=ON") and not is_read("EXPLAIN QUERY PLAN SELECT 1")
