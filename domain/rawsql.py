"""Hand-written SQL for the few reports an ORM query cannot say well (sums with CASE, correlated EXISTS): named
parameters written once, bound as each dialect wants, times bound as the ORM stores them."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from datetime import datetime, timezone

from tortoise import connections

UTC = timezone.utc


def placeholders(dialect: str, text: str, names: Sequence[str]) -> str:
    """`:name` parameters as the dialect's numbered placeholders (?1 on SQLite, $1 on PostgreSQL), numbered in the
    order of `names`, so a parameter may appear several times."""
    for i, name in enumerate(names, start=1):
        text = text.replace(f":{name}", f"?{i}" if dialect == "sqlite" else f"${i}")
    return text


def bound(*values):
    """Parameter values, times in UTC (as Tortoise stores and compares them on SQLite)."""
    return [v.astimezone(UTC) if isinstance(v, datetime) else v for v in values]


async def rows(text: str, **params) -> list:
    """The rows of `text` with `:name` parameters, on the default connection."""
    conn = connections.get("default")
    names = list(params)
    _, found = await conn.execute_query(placeholders(conn.capabilities.dialect, text, names),
                                        bound(*params.values()))
    return list(found)


def int_list(ids) -> str:
    """Ids as a literal SQL list for `IN (...)` (whole numbers only, so nothing else can get in); NULL for none."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def as_utc(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime. Tortoise keeps DatetimeFields as text on SQLite
    ("2026-07-01 09:30:00.250000+00:00") and asyncpg returns aware datetimes for PostgreSQL's timestamptz; both
    become the same aware datetime here (a naive value is taken as UTC, as Tortoise's use_tz does)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif not isinstance(value, datetime):
        raise TypeError(f"not a stored time: {value!r}")
    tz = value.tzinfo
    if tz is UTC:
        return value
    if tz is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def dialect() -> str:
    return connections.get("default").capabilities.dialect


_BUCKET_TEXT = {"DAY": (10, "YYYY-MM-DD"), "HOUR": (13, "YYYY-MM-DD HH24"), "MINUTE": (16, "YYYY-MM-DD HH24:MI")}


def time_bucket(column: str, size: str = "HOUR") -> str:
    """A stored time cut to its UTC day, hour or minute as text ("2026-06-18", "2026-06-18 06", "2026-06-18 06:28"),
    the same on both engines (SQLite keeps times as UTC text; PostgreSQL's timestamptz is formatted in UTC): for
    counts grouped by bucket, read back with bucket_start."""
    length, pattern = _BUCKET_TEXT[size]
    if dialect() == "sqlite":
        return f"substr({column}, 1, {length})"
    return f"to_char({column} AT TIME ZONE 'UTC', '{pattern}')"


def bucket_start(text: str) -> datetime:
    """time_bucket's text back to the aware UTC instant its bucket starts at."""
    if len(text) == 13:
        text += ":00"
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
