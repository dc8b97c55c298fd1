"""Database wiring: the Tortoise config, start-up and shutdown, migrations, SQLite pragmas."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as tortoise_migrate

from api.settings import ROOT, get_settings
from domain.attribution import driven_store, stored

log = logging.getLogger("sharedgoals.db")

# Every area's models live in one Tortoise app, "models", whose migrations are the `migrations` package.
MODEL_MODULES = [
    "domain.org.models",
    "domain.audit.models",
    "domain.goals.models",
    "domain.leads.models",
    "domain.attribution.models",
    "domain.comp.models",
    "domain.imports.crm.models",
]


class DatabaseUnusable(Exception):
    """The database cannot be opened for writing (a SQLite path that cannot be created or written)."""


def normalise_url(url: str) -> str:
    """Resolve a relative SQLite path against the project root and make sure its folder exists."""
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        path = Path(url[len("sqlite://"):])
        if not path.is_absolute():
            path = ROOT / path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), path.parent)
            raise DatabaseUnusable(f"cannot create the folder of the SQLite database {_plain(path.resolve())}: "
                                   f"{blocking.resolve()} is a file, not a folder") from None
        except OSError as exc:
            raise DatabaseUnusable(f"cannot create the folder of the SQLite database {_plain(path.resolve())}: "
                                   f"{exc.strerror or exc}") from None
        return f"sqlite://{path}"
    return url


def _plain(path: Path) -> str:
    return str(path).split("?", 1)[0]


def check_writable(url: str) -> None:
    """Fail at once, with the reason, when a SQLite database cannot be opened for writing: aiosqlite would
    otherwise wait forever on a path it cannot open (a folder, a file under /proc)."""
    path = sqlite_file(url)
    if path is None:
        return
    try:
        connection = sqlite3.connect(path, timeout=2)
        try:
            connection.execute("BEGIN IMMEDIATE")  # takes the write lock: proves the file can be written
            connection.rollback()
        finally:
            connection.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return  # a running server holds the write lock: the file is writable
        raise DatabaseUnusable(f"cannot open the SQLite database {path} for writing: {exc}") from None
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"cannot open the SQLite database {path} for writing: {exc}") from None


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite DATABASE_URL names, read as Tortoise reads it when it serves (`sqlite://relative`,
    `sqlite:///abs`, `sqlite:////abs`, query options such as `?journal_mode=wal`); None for another database or
    an in-memory one."""
    url = normalise_url(url)
    if not url.startswith("sqlite://"):
        return None
    file_path = expand_db_url(url)["credentials"]["file_path"]
    return None if file_path == ":memory:" else Path(file_path).resolve()


def tortoise_config(url: str | None = None, busy_timeout: float | None = None) -> dict[str, Any]:
    settings = get_settings()
    url = normalise_url(url or settings.database_url)
    busy = settings.busy_timeout if busy_timeout is None else busy_timeout
    return {
        "connections": {"default": _connection(url, busy)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


class PooledConnection(asyncpg.Connection):
    """A pooled PostgreSQL connection handed back without asyncpg's reset query (`SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL`), a round trip after every statement: the service keeps no session state on
    pooled connections (no SET, cursor, advisory lock or LISTEN; live updates LISTEN on a connection of their own;
    the writers' advisory locks and lock timeouts are transaction-scoped, see domain/locks.py), and asyncpg still
    rolls back a transaction left open."""

    def get_reset_query(self) -> str:
        return ""


def _connection(url: str, busy_timeout: float) -> str | dict[str, Any]:
    """Tortoise's connection config: SQLite through api.sqlite_client (reads on their own connections, writes
    waiting at most `busy_timeout` seconds for the writer), PostgreSQL's pool connections as PooledConnection."""
    if url.startswith("sqlite"):
        config = expand_db_url(url)
        config["engine"] = "api.sqlite_client"
        config["credentials"]["busy_timeout"] = busy_timeout
        return config
    if not url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return url
    config = expand_db_url(url)
    config["credentials"]["connection_class"] = PooledConnection
    return config


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads `api.db.TORTOISE_ORM` (see [tool.tortoise] in pyproject.toml).
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)


def is_sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


# Tortoise opens SQLite in WAL mode with foreign keys on (its defaults); a test checks both.
async def init_db(url: str | None = None, busy_timeout: float | None = None) -> None:
    check_writable(url or get_settings().database_url)
    # The global fallback lets request tasks use the connections opened in the lifespan task.
    await Tortoise.init(config=tortoise_config(url, busy_timeout), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(url: str | None = None, progress=None) -> None:
    """Apply pending migrations (idempotent)."""
    check_writable(url or get_settings().database_url)
    config = tortoise_config(url)
    await tortoise_migrate(config=config, progress=progress)
    await Tortoise.close_connections()
    await backfill_derived(url, progress)


async def backfill_derived(url: str | None = None, progress=None) -> None:
    """Derived rows a new version keeps that an existing database has not written yet: the stored credit rows of a
    model newly stored (domain.attribution.stored.backfill; one indexed look-up a model when there is nothing to
    do)."""
    await init_db(url)
    try:
        written = await stored.backfill()
        driven = await driven_store.backfill()
        await stored.fold_pending()  # deals an import left pending (its process ended before it summed them)
    finally:
        await close_db()
    if written and progress is not None:
        progress("backfill", "models", "stored credit rows of " + ", ".join(written))
    if driven and progress is not None:
        progress("backfill", "models", "stored data-driven models of " + ", ".join(driven))


READ_PROBE_SECONDS = 1.0   # /readyz: a read slower than this counts as not served
WRITE_PROBE_SECONDS = 0.2  # SQLite: how long the readiness check waits for the write lock (busy is not down)


async def health() -> dict[str, Any]:
    """The database as /readyz reports it: `reads` "ok", "slow" (not answered within READ_PROBE_SECONDS) or
    "failed"; `writes` "ok", "busy" (another writer holds the lock: writes wait up to the busy timeout) or
    "refused" (the database stopped accepting writes: read-only, in recovery, disk full or gone); `ready` when
    both reads and writes can be served."""
    conn = connections.get("default")
    report: dict[str, Any] = {}
    try:
        if is_sqlite():
            await asyncio.wait_for(conn.read_probe(), READ_PROBE_SECONDS)
            report["reads"] = "ok"
            report["writes"] = await asyncio.to_thread(_sqlite_write_probe, conn.filename)
        else:
            _, rows = await asyncio.wait_for(conn.execute_query(
                "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only"),
                READ_PROBE_SECONDS)
            report["reads"] = "ok"
            read_only = rows[0]["recovery"] or rows[0]["read_only"] == "on"
            report["writes"] = "refused" if read_only else "ok"
    except TimeoutError:
        report.setdefault("reads", "slow")
    except Exception as exc:  # the database is down or unreachable
        log.warning("readiness check failed: %s", exc)
        report.setdefault("reads", "failed")
    report.setdefault("writes", "unknown")
    report["ready"] = report["reads"] == "ok" and report["writes"] in ("ok", "busy")
    return report


def _sqlite_write_probe(path: str) -> str:
    """Take SQLite's write lock for a moment on a connection of its own (this process's writer may be busy with
    an import) and give it back: "ok", "busy" or "refused"."""
    from domain.availability import BUSY_RETRY_AFTER, unavailable_cause
    try:
        probe = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=WRITE_PROBE_SECONDS,
                                isolation_level=None)
    except sqlite3.Error as exc:
        log.warning("readiness check: cannot open %s for writing: %s", path, exc)
        return "refused"
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return "ok"
    except sqlite3.Error as exc:
        cause = unavailable_cause(exc)
        if cause is not None and cause.retry_after == BUSY_RETRY_AFTER:
            return "busy"
        log.warning("readiness check: %s refuses writes: %s", path, exc)
        return "refused"
    finally:
        probe.close()
