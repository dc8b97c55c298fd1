"""A database outage: every request, GraphQL included, answers JSON 503 with Retry-After and code UNAVAILABLE (never
a 500 or a traceback), /readyz says so, a database that stopped accepting writes is reported as such, and the
service recovers by itself. A `sharedgoals serve` of its own reaches PostgreSQL through a TCP relay the test cuts."""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from tests.api import cli_support as cli
from tests.api.fixtures import free_port
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(TEST_DATABASE_URL.startswith("sqlite"),
                                reason="a PostgreSQL server that goes away (SQLite's busy writer: test_database_busy)")


class Relay:
    """127.0.0.1:port → the database server; `cut()` drops every connection and refuses new ones until `mend()`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()
            self.open.clear()

    def mend(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def served_through_relay(api, tmp_path):
    """(base url, admin token, relay, database name): a fresh database served by `sharedgoals serve` via a relay."""
    name = f"outage_{os.getpid()}"
    api.run(_admin(f'DROP DATABASE IF EXISTS "{name}"'))
    api.run(_admin(f'CREATE DATABASE "{name}"'))
    parts = urlsplit(TEST_DATABASE_URL)
    relay = Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    url = f"postgres://{parts.username or 'postgres'}@127.0.0.1:{relay.port}/{name}"
    env = dict(os.environ, DATABASE_URL=url, SHAREDGOALS_LOG_LEVEL="WARNING", SHAREDGOALS_RATE_LIMIT_PER_MINUTE="0")
    env.pop("SHAREDGOALS_CLOCK", None)
    cli.run(["migrate"], env=env, check=True, timeout=120)
    token = cli.run(["create-token", "--role", "ADMIN"], env=env, check=True, timeout=60).stdout.strip().splitlines()[-1]
    port = free_port()
    log = open(tmp_path / "serve.log", "w+")
    server = cli.start(["serve", "--port", str(port)], env=env, stdout=log.name, stderr=log.name)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + "/readyz").status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield base, token, relay, name, log
    finally:
        server.terminate()
        server.wait(30)
        relay.close()
        log.close()
        api.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    codes = [e["extensions"]["code"] for e in body["errors"]] if "errors" in body else [body.get("code")]
    assert codes and set(codes) == {"UNAVAILABLE"}, body
    assert "Traceback" not in response.text


def test_every_request_answers_503_unavailable_while_the_database_is_down_and_recovers(served_through_relay):
    base, token, relay, name, log = served_through_relay
    auth = {"Authorization": f"Bearer {token}"}
    http = httpx.Client(base_url=base, timeout=30)
    query = {"query": "{ viewer { name } }"}
    mutation = {"query": 'mutation { teamCreate(input: {name: "Down", function: SALES}) { team { id } } }'}
    assert http.post("/graphql", json=query, headers=auth).status_code == 200

    relay.cut()
    _unavailable(http.post("/graphql", json=query, headers=auth))  # the token lookup meets the outage
    _unavailable(http.post("/graphql", json=mutation, headers=auth))
    _unavailable(http.post("/graphql", json=[query, query], headers=auth))  # a batch
    _unavailable(http.get("/export/objectives.csv", params={"period": "2026-Q4"}, headers=auth))
    _unavailable(http.post("/import/leads", content=b"external_id,company,created_at\nL-1,A,2026-11-02T09:00:00Z\n",
                           headers={**auth, "Content-Type": "text/csv"}))
    ready = http.get("/readyz")
    _unavailable(ready)
    assert ready.json()["reads"] == "failed" and ready.json()["ready"] is False
    assert http.get("/healthz").status_code == 200  # the process itself is up

    relay.mend()
    deadline = time.monotonic() + 30
    while http.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the service did not recover"
        time.sleep(0.2)
    assert http.post("/graphql", json=query, headers=auth).json()["data"]["viewer"] is not None
    log.seek(0)
    logged = log.read()
    # One warning line a refused request (asyncpg's own pool logs its reconnect attempts with a traceback)
    assert " ERROR " not in logged and "Exception in ASGI application" not in logged
    assert "database unavailable on /import/leads" in logged


def test_a_database_that_stopped_accepting_writes_is_reported_and_writes_are_unavailable(served_through_relay, api):
    base, token, relay, name, _ = served_through_relay
    auth = {"Authorization": f"Bearer {token}"}
    http = httpx.Client(base_url=base, timeout=30)
    api.run(_admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    relay.cut()  # the pool's sessions end: the new ones are read-only (as after a fail-over to a replica)
    relay.mend()
    deadline = time.monotonic() + 30
    while (ready := http.get("/readyz")).json().get("reads") != "ok":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    _unavailable(ready)
    assert ready.json()["writes"] == "refused" and "writes" in ready.json()["reason"]
    read = http.post("/graphql", json={"query": "{ viewer { name } }"}, headers=auth)
    assert read.status_code == 200 and read.json()["data"]["viewer"] is not None  # reads go on
    _unavailable(http.post("/graphql", headers=auth, json={
        "query": 'mutation { teamCreate(input: {name: "Read only", function: SALES}) { team { id } } }'}))

    api.run(_admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
    relay.cut()
    relay.mend()
    deadline = time.monotonic() + 30
    while http.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    created = http.post("/graphql", headers=auth, json={
        "query": 'mutation { teamCreate(input: {name: "Writable", function: SALES}) { team { id } } }'})
    assert created.status_code == 200 and created.json()["data"]["teamCreate"]["team"]["id"]
