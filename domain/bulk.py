"""Many rows in and out at once, for the writers of derived rows (lead facts, SLA rows, stored credits) and the
import: plain tuples, no model instances (building one ORM object a row, and parsing its times back, was most of
an import's time), one statement a chunk of ids, and the fastest bulk write each database has: multi-row
`INSERT ... VALUES` statements on SQLite (sqlite_values), `COPY` (asyncpg's binary `copy_records_to_table`) on
PostgreSQL.

Every function takes the connection to use (a transaction's, as the caller holds it) or the default one."""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache

from tortoise import connections

from domain.rawsql import UTC, int_list, sqlite_time_text

CHUNK = 5000  # ids a read or delete names at once


def db_of(connection=None):
    return connection if connection is not None else connections.get("default")


def committed_reader():
    """The default connection when its reads run beside a transaction's statements, on connections of their own
    that see what is committed (SQLite's read connections: api.sqlite_client); else None. Taken outside the
    transaction, whose own connection it is not."""
    db = connections.get("default")
    return db if getattr(db, "reads_beside_writes", False) else None


def dialect_of(db) -> str:
    return db.capabilities.dialect


def ids_condition(db, column: str, ids: Sequence[int], number: int = 1) -> tuple[str, list]:
    """`column IN (ids)` and its parameters: literal whole numbers on SQLite (no bound-parameter limit), one array
    on PostgreSQL (`= ANY($n)`, planned once whatever its length)."""
    if dialect_of(db) == "sqlite":
        return f'"{column}" IN ({int_list(ids)})', []
    return f'"{column}" = ANY(${number}::bigint[])', [[int(i) for i in ids]]


def ids_set_condition(db, column: str, ids: Sequence[int], number: int = 1) -> tuple[str, list]:
    """ids_condition for a set-based statement over a whole chunk of leads (facts.FACTS_SQL): on PostgreSQL the
    array through an InitPlan (`= ANY(ARRAY(SELECT unnest($n)))`), which it plans as a few rows and reads by index,
    where the plain `= ANY($n)` of 5,000 ids made it pick hash joins over whole tables (measured on 20k generated
    leads: 3.1 s against 0.15 s a chunk)."""
    if dialect_of(db) == "sqlite":
        return ids_condition(db, column, ids, number)
    return f'"{column}" = ANY(ARRAY(SELECT unnest(${number}::bigint[])))', [[int(i) for i in ids]]


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


async def select(db, sql: str, params: list | None = None) -> list:
    _, rows = await db.execute_query(sql, params or [])
    return rows


async def delete_where(db, table: str, column: str, ids: Sequence[int]) -> None:
    if ids:
        condition, params = ids_condition(db, column, ids)
        await db.execute_query(f'DELETE FROM "{table}" WHERE {condition}', params)


async def insert(db, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Append rows (tuples in the order of `columns`) to a table: multi-row INSERTs on SQLite, COPY on PostgreSQL. Times
    are aware datetimes (stored in UTC, as the ORM stores them), enumerations their values."""
    if not rows:
        return
    if dialect_of(db) == "sqlite":
        names = ", ".join(f'"{c}"' for c in columns)
        await sqlite_values(db, f'INSERT INTO "{table}" ({names}) VALUES {{values}}', rows)
        return
    async with db.acquire_connection() as connection:
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))


MAX_PARAMETERS = 30_000  # values bound in one SQLite statement (below its bound of 32,766)


@lru_cache(maxsize=64)
def sqlite_marks(rows: int, columns: int) -> str:
    """The VALUES list of `rows` rows of `columns` SQLite parameters: (?,?),(?,?),..."""
    return ",".join(["(" + ",".join("?" * columns) + ")"] * rows)


async def sqlite_values(db, sql: str, rows: Sequence[tuple]) -> None:
    """SQLite: `sql` (its `{values}` the VALUES list) for these rows, as many rows a statement as MAX_PARAMETERS
    allows: a fifth faster than executemany of one row a statement (125k credit rows: 0.73 s against 0.93 s)."""
    if not rows:
        return
    width = len(rows[0])
    step = max(1, MAX_PARAMETERS // width)
    full = sql.format(values=sqlite_marks(step, width))
    for start in range(0, len(rows), step):
        part = rows[start:start + step]
        statement = full if len(part) == step else sql.format(values=sqlite_marks(len(part), width))
        await db.execute_query(statement, [v for row in part for v in row])


UNIQUE_VIOLATION = "23505"


async def copy_counted(db, table: str, columns: Sequence[str], rows: list[tuple]) -> int | None:
    """PostgreSQL: COPY the rows into the table and give how many it wrote; None when one of them was there
    already (a unique violation: the transaction is then aborted, the caller can only give up)."""
    async with db.acquire_connection() as connection:
        try:
            status = await connection.copy_records_to_table(table, records=rows, columns=list(columns))
        except Exception as exc:
            if getattr(exc, "sqlstate", None) == UNIQUE_VIOLATION:
                return None
            raise
    return int(status.split()[-1])


def _sqlite_text(value: datetime | None) -> str | None:
    """A time as SQLite stores it (rawsql.sqlite_time_text of it in UTC)."""
    return None if value is None else sqlite_time_text(utc(value))


def time_as_written(db) -> Callable[[datetime | None], datetime | str | None]:
    """value -> what a bulk write passes for a time: on SQLite its stored text (so a time shared by many rows is
    formatted once, not by the driver once a row), on PostgreSQL the aware UTC datetime (utc)."""
    return _sqlite_text if dialect_of(db) == "sqlite" else utc


def utc(value: datetime | None) -> datetime | None:
    """A time as written: aware, in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_bulk_writers = 0
_thresholds: list[int] = []


@contextlib.asynccontextmanager
async def fewer_collections():
    """The cyclic garbage collector, run less often while bulk work is under way (an import, a rollup fold): a
    batch is thousands of live tuples, which would set it off every few hundred rows (a fifth of an import's time)
    for nothing to collect."""
    global _bulk_writers
    if _bulk_writers == 0:
        _thresholds[:] = gc.get_threshold()
        gc.set_threshold(50_000, *_thresholds[1:])
    _bulk_writers += 1
    try:
        yield
    finally:
        _bulk_writers -= 1
        if _bulk_writers == 0:
            gc.set_threshold(*_thresholds)
