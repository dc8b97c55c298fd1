"""The test harness: the real app in process against a real database, a real server only where a socket is needed.

One event loop runs in a background thread for the whole session. On it the database (a fresh SQLite file, or the
one TEST_DATABASE_URL names) is migrated from scratch, Tortoise is opened once, and the app of `api.app.create_app`
answers requests through httpx's ASGI transport: `Api.post`, `Api.gql` and `Api.http` (a synchronous facade taking
paths, as a client of a server would) go through the whole ASGI stack, middleware included, without a socket.
`LiveServer` serves the same app with uvicorn on loopback, on the same loop, for what needs a socket (websockets,
another process, the browser, concurrent clients); it starts the first time a test asks for it.

Between tests `Tables` empties only the tables that were written (and resets their ids), in one statement to find
them and one script to empty them. `Tables.take` copies the written tables aside (an attached in-memory database on
SQLite, a schema of its own on PostgreSQL) and `Tables.restore` puts exactly those rows and ids back, so a module can
build its organisation once through GraphQL and every test starts from it (see `snapshot`).
"""
from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import uvicorn
from tortoise import Tortoise, connections
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance

from api import db, pubsub, revocation
from api.app import create_app
from api.settings import Settings, load_settings
from api.sqlite_client import CHECKPOINT_TASK
from domain import clock
from domain import config as domain_config
from domain.org.models import ApiToken
from domain.org.rules import Role
from domain.attribution.stored import FOLD_TASK
from domain.org.service import LAST_USE_TASK, create_token, hash_token

_TMP = tempfile.mkdtemp(prefix="sharedgoals-test-")
# pytest-xdist's worker (gw0, gw1, ...) when `make test` runs the suite in several processes, else None.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_database(url: str, worker: str | None) -> str:
    """The database this process tests on: TEST_DATABASE_URL's own, or on PostgreSQL under xdist a database of the
    worker's (`<name>_gw0`, created on the same server when missing), since every worker migrates from scratch and
    empties tables. On SQLite every process has its own file in its own temporary folder already."""
    if not worker or not url.startswith(("postgres://", "postgresql://")):
        return url
    parts = urlsplit(url)
    name = parts.path.lstrip('/') or 'postgres'
    if name.endswith(f"_{worker}"):  # a child process of the worker, given the worker's database already
        return url
    name = f"{name}_{worker}"

    async def create() -> None:
        try:
            conn = await asyncpg.connect(url)
        except asyncpg.InvalidCatalogNameError:  # TEST_DATABASE_URL's own database need not exist: ask the server's
            conn = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
    asyncio.run(create())
    return urlunsplit(parts._replace(path=f"/{name}"))


TEST_DATABASE_URL = _worker_database(os.environ.get("TEST_DATABASE_URL", ""), XDIST_WORKER) \
    or f"sqlite://{Path(_TMP) / 'test.sqlite3'}"
if os.environ.get("TEST_DATABASE_URL"):
    # what reads the variable itself (a test's child process, a module's skip condition) sees this worker's database
    os.environ["TEST_DATABASE_URL"] = TEST_DATABASE_URL
ON_POSTGRES = TEST_DATABASE_URL.startswith(("postgres://", "postgresql://"))

# The `admin` fixture's secret: the same in every test, so that a snapshot taken with it keeps it valid.
ADMIN_SECRET = "sg_test-admin-service-token"
SNAPSHOT_SCHEMA = "test_snapshot"
# On SQLite, a copy of the test database as the migrations left it (no rows): tests of the command line start
# their own databases from it rather than migrating from scratch again (tests/api/cli_support.py).
MIGRATED_SQLITE: Path | None = None


async def _drop_everything(url: str) -> None:
    """Start each run from an empty database, so the migrations are applied from scratch every time."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(db.normalise_url(url)[len("sqlite://"):] + suffix).unlink(missing_ok=True)
        return
    await Tortoise.init(config=db.tortoise_config(url))
    await connections.get("default").execute_script(
        f"DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE;")
    await Tortoise.close_connections()


def _parents_first(models) -> list[str]:
    """The models' tables, each after the tables its foreign keys refer to (children are emptied first)."""
    refers = {m._meta.db_table: {f.related_model._meta.db_table for f in m._meta.fields_map.values()
                                 if isinstance(f, (ForeignKeyFieldInstance, OneToOneFieldInstance))}
              for m in models}
    ordered: list[str] = []
    while len(ordered) < len(refers):
        ready = sorted(t for t, parents in refers.items()
                       if t not in ordered and parents - {t} <= set(ordered))
        if not ready:  # a cycle: the rest in name order (PostgreSQL as superuser turns the checks off anyway)
            ready = sorted(set(refers) - set(ordered))
        ordered += ready
    return ordered


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Snapshot:
    """Rows copied aside: `tables` (name -> copy), the ids' counters, and the value the set-up returned."""
    tables: dict[str, str]
    sequences: dict[str, int]
    value: Any
    now: datetime | None
    config: Any


class Tables:
    """Targeted cleanup and snapshots of the model tables on the one database of the run."""

    def __init__(self, dialect: str, tables: list[str], sequences: dict[str, str]) -> None:
        self.dialect = dialect
        self.tables = tables
        self.sequences = sequences  # PostgreSQL: sequence -> its table
        self._taken = 0
        self._superuser = False

    @classmethod
    async def open(cls) -> "Tables":
        conn = connections.get("default")
        dialect = conn.capabilities.dialect
        names = _parents_first(Tortoise.apps["models"].values())
        sequences: dict[str, str] = {}
        tables = cls(dialect, names, sequences)
        if dialect == "sqlite":
            await conn.execute_script("ATTACH DATABASE ':memory:' AS test_snapshot;")
        else:
            _, rows = await conn.execute_query(
                "SELECT s.relname, t.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
                "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE s.relkind = 'S' AND n.nspname = 'public' AND d.deptype IN ('a', 'i')")
            sequences.update({row[0]: row[1] for row in rows if row[1] in names})
            _, rows = await conn.execute_query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            tables._superuser = bool(rows and rows[0][0])
            await conn.execute_script(f"CREATE SCHEMA IF NOT EXISTS {SNAPSHOT_SCHEMA};")
        return tables

    @property
    def _conn(self):
        return connections.get("default")

    async def written(self) -> list[str]:
        """The tables with rows, or whose ids were used (on PostgreSQL a rolled-back insert uses an id too)."""
        probes = [f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {_quoted(t)})" for t in self.tables]
        if self.dialect == "sqlite":
            probes.append("SELECT name FROM sqlite_sequence")
        else:
            probes.append("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' "
                          "AND last_value IS NOT NULL")
        _, rows = await self._conn.execute_query(" UNION ".join(probes))
        found = {row[0] for row in rows}
        return sorted({self.sequences.get(name, name) for name in found} & set(self.tables))

    def _emptying(self, written: list[str]) -> list[str]:
        """DELETEs, children first: a few rows go faster than with TRUNCATE (which makes new files on PostgreSQL
        and, with CASCADE, for every table that refers to these)."""
        tables = [t for t in reversed(self.tables) if t in written]
        if not tables:
            return []
        deletes = [f"DELETE FROM {_quoted(t)};" for t in tables]
        if self.dialect == "sqlite":
            listed = ", ".join(f"'{t}'" for t in tables)
            return [*deletes, f"DELETE FROM sqlite_sequence WHERE name IN ({listed});"]
        return [*deletes, *(f"ALTER SEQUENCE {_quoted(s)} RESTART;" for s, t in self.sequences.items() if t in tables)]

    async def _script(self, statements: list[str]) -> None:
        if not statements:
            return
        if self.dialect == "sqlite":
            # Foreign keys off, so no cascade walks the tables; one transaction, one commit.
            script = "PRAGMA foreign_keys=OFF; BEGIN; " + " ".join(statements) + " COMMIT; PRAGMA foreign_keys=ON;"
        else:
            # As superuser, no foreign-key trigger runs in this transaction (the order already satisfies them).
            off = "SET LOCAL session_replication_role = replica; " if self._superuser else ""
            script = "BEGIN; " + off + " ".join(statements) + " COMMIT;"
        await self._conn.execute_script(script)

    async def clean(self) -> list[str]:
        """Empty the written tables; returns which they were."""
        tables = await self.written()
        await self._script(self._emptying(tables))
        return tables

    def _copy_name(self, number: int, table: str) -> str:
        return f"{SNAPSHOT_SCHEMA}.{_quoted(f's{number}_{table}')}"

    async def take(self) -> tuple[dict[str, str], dict[str, int]]:
        """Copy the written tables (and their id counters) aside."""
        self._taken += 1
        tables = {t: self._copy_name(self._taken, t) for t in await self.written()}
        statements = [f"CREATE TABLE {copy_} AS SELECT * FROM {_quoted(t)};" for t, copy_ in tables.items()]
        await self._script(statements)
        if self.dialect == "sqlite":
            _, rows = await self._conn.execute_query("SELECT name, seq FROM sqlite_sequence")
        else:
            _, rows = await self._conn.execute_query(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' "
                "AND last_value IS NOT NULL")
        return tables, {row[0]: int(row[1]) for row in rows}

    async def restore(self, snapshot: Snapshot) -> list[str]:
        """Empty the written tables, then put the snapshot's rows and id counters back; returns what was emptied."""
        written = await self.written()
        statements = self._emptying(written)
        statements += [f"INSERT INTO {_quoted(t)} SELECT * FROM {snapshot.tables[t]};"
                       for t in self.tables if t in snapshot.tables]
        if self.dialect == "sqlite":  # the inserts moved the counters to the highest ids: put them as they were
            statements += ["DELETE FROM sqlite_sequence;"]
            statements += [f"INSERT INTO sqlite_sequence (name, seq) VALUES ('{name}', {seq});"
                           for name, seq in snapshot.sequences.items()]
        else:
            statements += [f"SELECT setval('{_quoted(name)}', {seq}, true);"
                           for name, seq in snapshot.sequences.items()]
        await self._script(statements)
        return written


class QueryCounter(logging.Handler):
    """Counts SQL statements by the Tortoise client's debug log of each query, leaving out the background tasks'
    statements (a large import's rollup fold, domain.attribution.stored.fold_later) and a token's last-use write
    (domain.org.service: a background hint written at most every few minutes a token, whose statement lands inside
    or after a counted request by timing alone)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # logged outside an event loop
            task = None
        if task is not None and task.get_name() in (LAST_USE_TASK, FOLD_TASK, CHECKPOINT_TASK):
            return
        message = record.getMessage()
        if not message.startswith(("Created connection", "Closed connection")):
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)


class LiveServer:
    """uvicorn on loopback serving the harness's app on the harness's loop."""

    def __init__(self, harness: "Harness") -> None:
        self.harness = harness
        self.url = harness.url
        self.settings = harness.settings
        self.loop = harness.loop
        self.server: uvicorn.Server | None = None
        self.base_url = ""

    async def start(self) -> None:
        config = uvicorn.Config(self.harness.app, host="127.0.0.1", port=0, log_level="warning", log_config=None,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._task = task

    async def stop(self) -> None:
        if self.server:
            self.server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)

    def run(self, awaitable, timeout: float = 120):
        return self.harness.run(awaitable, timeout)


class Harness:
    """The session: the loop thread, the database, the app, its in-process client, and the live server if asked."""

    def __init__(self, url: str) -> None:
        self.url = url
        # No rate limit on the shared app: tests build their own app to test the limiter.
        self.settings: Settings = replace(load_settings(), database_url=url, env="development", clock=None,
                                          rate_limit_per_minute=0)
        self.loop = asyncio.new_event_loop()
        self.app = None
        self.client: httpx.AsyncClient | None = None
        self.tables: Tables | None = None
        self.snapshots: dict[str, Snapshot] = {}
        self.now: datetime | None = None         # the clock as `Api.set_now` left it
        self.admin_used = False                  # this test asked for the `admin` fixture
        self.in_place: str | None = None         # the snapshot this test built or restored
        self._live: LiveServer | None = None
        self._exit = contextlib.AsyncExitStack()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)

    def start(self) -> None:
        global _current
        self._thread.start()
        self.run(self._open(), timeout=300)
        _current = self

    async def _open(self) -> None:
        global MIGRATED_SQLITE
        await _drop_everything(self.url)
        await db.migrate(self.url)
        if self.url.startswith("sqlite"):
            copy = Path(_TMP) / "migrated.sqlite3"
            with contextlib.closing(sqlite3.connect(db.normalise_url(self.url)[len("sqlite://"):])) as source, \
                    contextlib.closing(sqlite3.connect(copy)) as target:
                source.backup(target)
            MIGRATED_SQLITE = copy
        await db.init_db(self.url)
        # On PostgreSQL live updates cross processes as the service's do (LISTEN/NOTIFY; see api/pubsub.py).
        await self._exit.enter_async_context(pubsub.running(self.url))
        # and a revoked token's websockets are closed, as the service's lifespan does (api/revocation.py)
        await self._exit.enter_async_context(revocation.watching())
        self.app = create_app(self.settings, manage_db=False)
        # A 500 comes back as a response, as from a server, rather than as the app's exception.
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60)
        self.tables = await Tables.open()

    def run(self, awaitable, timeout: float = 120):
        async def wrapped():
            return await awaitable  # querysets are awaitables, not coroutines
        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def live(self) -> LiveServer:
        if self._live is None:
            server = LiveServer(self)
            self.run(server.start())
            self._live = server
        return self._live

    def close(self) -> None:
        async def close():
            if self._live:
                await self._live.stop()
            await self.client.aclose()
            await self._exit.aclose()
            await db.close_db()
        with contextlib.suppress(Exception):
            self.run(close(), timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)

    # --- between tests ----------------------------------------------------------------------------------------
    def begin_test(self) -> None:
        self.run(self.tables.clean())
        self.now, self.admin_used, self.in_place = None, False, None

    def _strays(self, written: list[str], key: str, doing: str) -> None:
        """Refuse rows that other fixtures wrote before a snapshot was built or restored (only the `admin`
        fixture's token and its audit entry may come first): they would be baked into it, or silently lost."""
        stray = set(written) - ({"api_token", "audit_entry"} if self.admin_used else set())
        if stray:
            raise RuntimeError(f"rows were written to {sorted(stray)} before the snapshot {key!r} was {doing}: "
                               "ask for the snapshot fixture before the fixtures that write")

    def admin_token(self) -> str:
        """The ADMIN service token of the `admin` fixture, written once per clean database."""
        self.admin_used = True
        self.run(self._ensure_admin())
        return ADMIN_SECRET

    async def _ensure_admin(self) -> None:
        if not await ApiToken.filter(token_hash=hash_token(ADMIN_SECRET)).exists():
            _, token = await create_token(role=Role.ADMIN)
            await ApiToken.filter(id=token.id).update(token_hash=hash_token(ADMIN_SECRET))

    def snapshot(self, key: str, build: Callable[[], Any], api: "Api") -> Any:
        """`build()`'s value, built on the first call with `key` and restored (its rows as they were) after."""
        known = self.snapshots.get(key)
        if known is None:
            if self.in_place is None:  # else it builds on the snapshot in place (one it asks for)
                self._strays(self.run(self.tables.written()), key, "built")
            value = build()
            tables, sequences = self.run(self.tables.take())
            kept = _copied(value, api, api)  # as built: what this test changes in its value stays its own
            self.snapshots[key] = Snapshot(tables, sequences, (api, kept), self.now, domain_config.current())
            self.in_place = key
            return value
        self._strays(self.run(self.tables.restore(known)), key, "restored (and are gone now)")
        self.in_place = key
        if self.admin_used:
            self.run(self._ensure_admin())  # when the snapshot was built without the `admin` fixture
        clock.set_now(known.now)
        self.now = known.now
        domain_config.configure(**known.config.__dict__)
        built_with, value = known.value
        return _copied(value, built_with, api)


def _copied(value: Any, built_with: "Api", api: "Api") -> Any:
    """A deep copy of a snapshot's value with the Api it was built with swapped for `api` (the value itself when
    it cannot be copied)."""
    try:
        return copy.deepcopy(value, {id(built_with): api})
    except Exception:
        return value


_current: Harness | None = None  # the session's harness, for truncate_all


async def truncate_all() -> None:
    """Empty every table a test wrote (and restart their ids), on the session's database: what the `api` fixture
    does before each test, for fixtures of a wider scope (the name is the former harness's)."""
    await _current.tables.clean()


class SyncHttp:
    """`api.http`: httpx's synchronous calls (paths, params, headers, json, content) sent in process."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness

    @property
    def base_url(self) -> str:
        """The live server's address (started on first use), for clients of a test's own, as in threads: requests
        through `api.http` itself stay in process."""
        return self.harness.live().base_url

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        content = kwargs.get("content")
        if content is not None and not isinstance(content, (bytes, str)) and not hasattr(content, "__aiter__"):
            kwargs["content"] = _chunks(content)
        return self.harness.run(self.harness.client.request(method, url, **kwargs))

    get = functools.partialmethod(request, "GET")
    post = functools.partialmethod(request, "POST")
    put = functools.partialmethod(request, "PUT")
    patch = functools.partialmethod(request, "PATCH")
    delete = functools.partialmethod(request, "DELETE")
    head = functools.partialmethod(request, "HEAD")
    options = functools.partialmethod(request, "OPTIONS")

    def close(self) -> None:
        pass


async def _chunks(iterable):
    for chunk in iterable:
        yield chunk


class Api:
    """What a test uses: GraphQL in process, tokens, the clock, and direct reads of stored rows."""

    def __init__(self, harness: "Harness | LiveServer") -> None:
        # Api(live_server), as fixtures written for the former harness build it, is the same Api.
        self.harness = harness.harness if isinstance(harness, LiveServer) else harness
        self.http = SyncHttp(self.harness)

    @property
    def server(self) -> LiveServer:
        """The live server (started on first use), for what needs a socket."""
        return self.harness.live()

    @property
    def settings(self) -> Settings:
        """The settings of the app under test (build another app with `replace(api.settings, ...)`)."""
        return self.harness.settings

    @property
    def database_url(self) -> str:
        return self.harness.url

    # --- HTTP ---------------------------------------------------------------------------
    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """Data of an operation that must not fail with top-level errors."""
        body = self.post(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    # --- set-up -------------------------------------------------------------------------
    def run(self, coro):
        return self.harness.run(coro)

    def token(self, role: Role | str = Role.ADMIN, person: str | None = None) -> str:
        role = Role(role) if role and not person else None
        secret, _ = self.run(create_token(role=role, person_email=person))
        return secret

    def set_now(self, moment: datetime | None) -> None:
        clock.set_now(moment)
        self.harness.now = moment

    def snapshot(self, key: str, build: Callable[[], Any]) -> Any:
        """The value of `build()` with the rows it wrote: built once per `key` on a clean database, then restored
        as it was for every later caller (the clock and domain settings it left included)."""
        return self.harness.snapshot(key, build, self)

    @contextlib.contextmanager
    def count_queries(self):
        counter = QueryCounter()
        logger = logging.getLogger("tortoise.db_client")
        previous = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
        try:
            yield counter
        finally:
            logger.removeHandler(counter)
            logger.setLevel(previous)


def snapshot(build: Callable[..., Any]):
    """Make `build` a fixture whose organisation is built once per module, through GraphQL like any other set-up,
    and whose rows are restored before each test that asks for it, instead of being built again:

        @snapshot
        def goals(api, admin):
            api.set_now(MIDPOINT)
            return Goals(api, admin)

    Its arguments are fixtures that are the same in every test (`api`, `admin`, other snapshots). Fixtures that
    write rows must come after it (a test that asks for one before is stopped with an error saying so)."""
    parameters = list(inspect.signature(build).parameters)
    key = f"{build.__module__}.{build.__qualname__}"

    def fixture(request):
        api = request.getfixturevalue("api")
        # The arguments are asked for only to build: a restore needs none of them (nor the snapshots below it).
        return api.snapshot(key, lambda: build(**{name: request.getfixturevalue(name) for name in parameters}))
    fixture.__name__ = build.__name__
    fixture.__doc__ = build.__doc__
    return pytest.fixture(fixture)  # named as the module names it: `from ... import x as org` gives `org`
