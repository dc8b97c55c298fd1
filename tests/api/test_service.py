"""The service around GraphQL: health, GraphiQL, request ids, masking, the schema file, SQLite mode."""
import logging
from dataclasses import replace
from pathlib import Path

import httpx
from tortoise import connections

from api.app import create_app
from schema.schema import export_sdl
from tests.api.support import codes

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_health_and_readiness(api):
    assert api.http.get("/healthz").status_code == 200
    ready = api.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True}


def test_graphiql_is_served_in_development(api):
    page = api.http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_every_response_carries_a_request_id(api):
    response = api.http.post("/graphql", json={"query": "{ viewer { name } }"})
    assert len(response.headers["x-request-id"]) == 32
    echoed = api.http.post("/graphql", json={"query": "{ viewer { name } }"}, headers={"x-request-id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"


def test_schema_file_is_up_to_date():
    assert SCHEMA_FILE.read_text() == export_sdl(), "run `make schema` and commit schema/schema.graphql"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(api):
    conn = connections.get("default")
    if conn.capabilities.dialect != "sqlite":
        return
    _, rows = api.run(conn.execute_query("PRAGMA journal_mode"))
    assert rows[0][0] == "wal"
    _, rows = api.run(conn.execute_query("PRAGMA foreign_keys"))
    assert rows[0][0] == 1


def _failing_teams(monkeypatch):
    from domain.org import queries

    async def broken():
        raise RuntimeError("secret internals: connection string postgres://user:pw@db")
    monkeypatch.setattr(queries, "all_teams", broken)


def _ask_teams(api, settings, token):
    app = create_app(settings, manage_db=False)

    async def ask():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return (await client.post("/graphql", json={"query": "{ teams { name } }"},
                                      headers={"Authorization": f"Bearer {token}"})).json()
    return api.run(ask())


def test_unexpected_errors_are_masked_and_logged_in_production(api, admin, live_server, monkeypatch, caplog):
    _failing_teams(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="sharedgoals.graphql"):
        body = _ask_teams(api, replace(live_server.settings, env="production"), admin)
    error = body["errors"][0]
    assert "secret" not in str(body)
    assert error["message"].startswith("Unexpected error (request id ")
    assert codes(body["errors"]) == ["INTERNAL"]
    assert any("secret internals" in repr(r.exc_info) for r in caplog.records)


def test_unexpected_errors_are_shown_in_development(api, admin, live_server, monkeypatch):
    _failing_teams(monkeypatch)
    body = _ask_teams(api, live_server.settings, admin)
    assert "secret internals" in body["errors"][0]["message"]


def test_production_serves_no_graphiql(api, live_server):
    app = create_app(replace(live_server.settings, env="production"), manage_db=False)

    async def page():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.get("/graphql", headers={"accept": "text/html"})
    response = api.run(page())
    assert "graphiql" not in response.text.lower()


def test_migrations_match_the_models(api):
    """A model change without `tortoise makemigrations` fails here, not in production."""
    from tortoise import Tortoise
    from tortoise.migrations.autodetector import MigrationAutodetector

    from api.db import tortoise_config

    apps_config = tortoise_config(api.server.url)["apps"]
    writers = api.run(MigrationAutodetector(Tortoise.apps, apps_config).changes())
    assert [w.name for w in writers] == [], "run `make migrations` and commit the new migration"
