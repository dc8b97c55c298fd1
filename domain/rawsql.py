"""Hand-written SQL for the few reports an ORM query cannot say well (sums with CASE, correlated EXISTS): named
parameters written once, bound as each dialect wants, times bound as the ORM stores them."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from datetime import datetime, timezone

from tortoise import connections

UTC = timezone.utc
T = TypeVar("T")


# One pass over the text, left to right: a string literal, a quoted name, a comment or a `::` cast is taken whole
# (and kept as it is), so only a `:name` outside them is a parameter, and `:start` never matches inside `:start_at`.
_TOKENS = re.compile(r"""
    '(?:[^']|'')*'            # a string literal ('' is a quote inside it)
  | "(?:[^"]|"")*"            # a quoted name
  | --[^\n]*                  # a line comment
  | /\*.*?\*/                 # a block comment
  | ::                        # a cast (PostgreSQL's value::text)
  | :(?P<name>[A-Za-z_]\w*)   # a parameter
""", re.VERBOSE | re.DOTALL)


def placeholders(dialect: str, text: str, names: Sequence[str]) -> str:
    """`:name` parameters as the dialect's numbered placeholders (?1 on SQLite, $1 on PostgreSQL), numbered in the
    order of `names`, so a parameter may appear several times. Only whole names outside string literals, quoted
    names and comments are parameters (`:start` is not one inside `:start_at`, nor `::text` a parameter `text`); a
    `:name` that is not in `names` is left as written."""
    number = {name: i for i, name in enumerate(names, start=1)}
    mark = "?" if dialect == "sqlite" else "$"

    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name is None or name not in number:
            return match.group(0)
        return f"{mark}{number[name]}"

    return _TOKENS.sub(replace, text)


def bound(*values):
    """Parameter values, times in UTC (as Tortoise stores and compares them on SQLite)."""
    return [v.astimezone(UTC) if isinstance(v, datetime) else v for v in values]


async def rows(text: str, **params) -> list:
    """The rows of `text` with `:name` parameters, on the default connection."""
    _, found = await _execute(text, params)
    return list(found)


async def records(make: Callable[..., T], text: str, **params) -> list[T]:
    """The rows of `text` as named records: `make(**row)`, each row's columns by name (a dataclass or an `of` that
    converts, or a NamedTuple). Name every column with AS, in lower case (PostgreSQL folds names that are not quoted). When the
    columns are a NamedTuple's or dataclass's fields in order (checked by name, once a statement), rows are passed by position:
    dicts per row would cost a large read three times the CPU."""
    _, found = await _execute(text, params)
    if not found:
        return []
    columns = tuple(found[0].keys())  # sqlite3.Row and asyncpg's Record both name their columns
    if tuple(getattr(make, "_fields", None) or getattr(make, "__dataclass_fields__", ())) == columns:
        return [make(*row) for row in found]  # the columns are the record's fields in order (checked by name above)
    return [make(**dict(zip(columns, row))) for row in found]


async def _execute(text: str, params: dict):
    conn = connections.get("default")
    return await conn.execute_query(placeholders(conn.capabilities.dialect, text, list(params)),
                                    bound(*params.values()))


async def raw_values_list(query) -> list:
    """The rows of a `.values_list(...)` query as the database driver returns them, without Tortoise's per-value
    conversion (on SQLite that parses every timestamp through iso8601, the bulk of a large read): each row is a
    sequence in the order of the named fields, times as text (SQLite) or datetimes (PostgreSQL), enums as their
    stored values. Convert times with as_utc and enums with their class.

    Through public API only: `sql()` builds the statement for the connection's dialect (Tortoise), the built
    query's `get_parameterized_sql()` gives the values bound to its placeholders (pypika), and the connection
    runs it as `rows` runs hand-written SQL."""
    text = query.sql()
    _, params = query.query.get_parameterized_sql()
    _, found = await connections.get("default").execute_query(text, params)
    return found


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


_fromisoformat = datetime.fromisoformat


def sqlite_time_text(moment: datetime, given: Any = None) -> str:
    """A time as SQLite keeps it: the text Tortoise's adapter binds for a datetime (`isoformat(" ")`, in UTC for the
    times written here: "2026-07-01 09:30:00+00:00"), which as_utc reads back. `given`: the text the time was read
    from, taken as it is, its "T" made a space, when it is that form already (a whole second in UTC, written out:
    "2026-07-01T09:30:00+00:00") and gives the same time: a third of the cost of formatting the time again."""
    try:
        if (isinstance(given, str) and moment.tzinfo is UTC and len(given) == 25 and given[10] == "T"
                and given[19:] == "+00:00"
                and given[4] == given[7] == "-" and given[13] == given[16] == ":" and _fromisoformat(given) == moment):
            return given.replace("T", " ", 1)  # the first T: fromisoformat read digits and dashes before it
    except ValueError:  # not a time
        pass
    return moment.isoformat(" ")


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
