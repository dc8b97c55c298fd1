"""Test harness: a real uvicorn server on loopback, on SQLite or on the database TEST_DATABASE_URL names.

Tests talk to it over HTTP. `api.run(coro)` runs a coroutine on the server's own event loop, for
setting up rows and reading back what was or was not written.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from tortoise import Tortoise, connections

from api import db
from api.app import create_app
from api.settings import load_settings
from domain import clock
from domain import config as domain_config
from domain.org.rules import Role
from domain.org.service import create_token

_TMP = tempfile.mkdtemp(prefix="sharedgoals-test-")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite://{Path(_TMP) / 'test.sqlite3'}"


async def _drop_everything(url: str) -> None:
    """Start each run from an empty database, so the migrations are applied from scratch every time."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(db.normalise_url(url)[len("sqlite://"):] + suffix).unlink(missing_ok=True)
        return
    await Tortoise.init(config=db.tortoise_config(url))
    await connections.get("default").execute_script("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    await Tortoise.close_connections()


async def truncate_all() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()]
    if conn.capabilities.dialect == "sqlite":
        await conn.execute_script("PRAGMA foreign_keys=OFF;" + "".join(f'DELETE FROM "{t}";' for t in tables)
                                  + "DELETE FROM sqlite_sequence; PRAGMA foreign_keys=ON;")
    else:
        await conn.execute_script(f"TRUNCATE {', '.join(chr(34) + t + chr(34) for t in tables)} RESTART IDENTITY CASCADE;")


class QueryCounter(logging.Handler):
    """Counts SQL statements by the Tortoise client's debug log of each query."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(("Created connection", "Closed connection")):
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)


class LiveServer:
    def __init__(self, url: str) -> None:
        self.url = url
        # No rate limit on the shared test server: tests build their own app to test the limiter.
        self.settings = replace(load_settings(), database_url=url, env="development", clock=None,
                                rate_limit_per_minute=0)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.server: uvicorn.Server | None = None
        self.base_url = ""

    def start(self) -> None:
        threading.Thread(target=self._main, name="live-server", daemon=True).start()
        if not self._ready.wait(120):
            raise RuntimeError("the test server did not start")
        if self._error:
            raise self._error

    def _main(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # report start-up failures to the test session
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        await _drop_everything(self.url)
        await db.migrate(self.url)
        app = create_app(self.settings)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._ready.set()
        await task

    def run(self, awaitable, timeout: float = 120):
        async def wrapped():
            return await awaitable  # querysets are awaitables, not coroutines
        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.server:
            self.server.should_exit = True


class Api:
    """What a test uses: GraphQL over HTTP, tokens, the clock, and direct reads of stored rows."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url, timeout=60)

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
        return self.server.run(coro)

    def token(self, role: Role | str = Role.ADMIN, person: str | None = None) -> str:
        role = Role(role) if role and not person else None
        secret, _ = self.run(create_token(role=role, person_email=person))
        return secret

    def set_now(self, moment: datetime | None) -> None:
        clock.set_now(moment)

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


@pytest.fixture(scope="session")
def live_server():
    server = LiveServer(TEST_DATABASE_URL)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(live_server):
    """A clean database, the real clock and default settings for every test."""
    live_server.run(truncate_all())
    saved = domain_config.current()
    client = Api(live_server)
    yield client
    client.http.close()
    clock.set_now(None)
    domain_config.configure(**saved.__dict__)


@pytest.fixture
def admin(api) -> str:
    """A service token with the ADMIN role."""
    return api.token(Role.ADMIN)
