"""Operational hygiene over HTTP: server-made request ids, bodies that nest too deep or trickle in, import files that
used to end in a 500, and no token in any log."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from dataclasses import replace

import httpx
import pytest
import uvicorn

from api import logsafe
from api.app import create_app
from tests.api.support import codes
from tests.api import cli_support as cli
from tests.api.fixtures import LEAD_HEADER, cli_env  # noqa: F401  (the fixture)
from tests.api.fixtures import free_port as _free_port
from tests.api.fixtures import imports_org as org  # noqa: F401  (the fixture)
from tests.api.fixtures import post_import as post

VIEWER = {"query": "{ viewer { name } }"}


# --- request ids ------------------------------------------------------------------------------------------------

def test_the_server_makes_request_ids_and_keeps_the_clients_beside_them(api, admin):
    headers = {"Authorization": f"Bearer {admin}", "X-Request-ID": "incident-42"}
    first = api.http.post("/graphql", json=VIEWER, headers=headers)
    second = api.http.post("/graphql", json=VIEWER, headers=headers)
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    # a client can neither choose the id an incident is filed under nor make two requests share one
    assert "incident-42" not in ids and ids[0] != ids[1] and all(len(i) == 32 for i in ids)
    assert first.headers["x-client-request-id"] == second.headers["x-client-request-id"] == "incident-42"
    plain = api.http.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {admin}"})
    assert "x-client-request-id" not in plain.headers
    odd = api.http.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {admin}",
                                                           "X-Request-ID": "x" * 65})
    assert "x-client-request-id" not in odd.headers  # not a sane id: not kept


# --- JSON nested past the limit ---------------------------------------------------------------------------------

def _nested(depth: int) -> bytes:
    return b'{"query": "{ viewer { name } }", "variables": {"v": ' + b"[" * depth + b"]" * depth + b"}}"


@pytest.mark.parametrize("depth", [33, 100_000])
def test_json_nested_past_the_limit_is_a_400_before_any_token_is_looked_up(api, admin, depth):
    # 100,000 levels made Python's json fail with RecursionError: HTTP 500 (after the token lookup)
    with api.count_queries() as statements:
        response = api.http.post("/graphql", content=_nested(depth),
                                 headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert codes(response.json()["errors"]) == ["BAD_REQUEST"] and "deeper than 32" in response.text
    assert statements.count == 0  # no token lookup, no rate-limit work on the database


def test_json_nested_within_the_limit_and_brackets_in_strings_are_served(api, admin):
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    assert api.http.post("/graphql", content=_nested(30), headers=headers).status_code == 200
    brackets = json.dumps({"query": "{ viewer { name } }", "variables": {"v": "[" * 5000 + "{" * 5000}})
    response = api.http.post("/graphql", content=brackets, headers=headers)
    assert response.status_code == 200 and response.json() == {"data": {"viewer": {"name": "admin service token"}}}


# --- a body that trickles in ------------------------------------------------------------------------------------

@pytest.fixture
def slow_server(api, live_server):
    """The service with a 1-second body read timeout, served by uvicorn on a port of its own."""
    app = create_app(replace(live_server.settings, body_timeout_seconds=1, import_body_timeout_seconds=1),
                     manage_db=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))

    async def start():
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        return task
    task = api.run(start())
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    api.run(asyncio.wait_for(task, 10))


def _trickle(port: int, path: str, content_type: str, token: str) -> tuple[float, bytes]:
    """Sends the headers and a byte of a 1,000-byte body, then a byte a second; the answer and when it came."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n"
                      f"Content-Type: {content_type}\r\nContent-Length: 1000\r\n\r\n{{").encode())
        started = time.monotonic()
        sock.settimeout(1)
        answer = b""
        for _ in range(10):
            try:
                while b"}]}" not in answer:  # the headers, then the JSON error
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
                return time.monotonic() - started, answer
            except TimeoutError:
                if answer:
                    return time.monotonic() - started, answer
                sock.sendall(b" ")
    raise AssertionError("the trickling body was never cut off")


@pytest.mark.parametrize("path, content_type", [("/graphql", "application/json"), ("/import/leads", "text/csv")])
def test_a_body_that_trickles_in_is_cut_off_after_the_read_timeout(api, admin, slow_server, path, content_type):
    took, answer = _trickle(slow_server, path, content_type, admin)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"code":"TIMEOUT"' in answer and took < 5


def test_the_read_timeouts_are_settings(monkeypatch):
    from api.settings import Settings, load_settings
    assert (Settings.body_timeout_seconds, Settings.import_body_timeout_seconds) == (30, 600)
    monkeypatch.setenv("SHAREDGOALS_BODY_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("SHAREDGOALS_IMPORT_BODY_TIMEOUT_SECONDS", "60")
    assert (load_settings().body_timeout_seconds, load_settings().import_body_timeout_seconds) == (5, 60)


# --- import files that ended in a 500 ---------------------------------------------------------------------------

def _lead_line(created_at: str, external_id: str = "L-1") -> str:
    return f"{external_id},Acme,,,,,,,,{created_at}"


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_csv_date_whose_zone_pushes_it_past_the_calendar_is_a_line_error(api, org, created_at):
    # astimezone(UTC) raised OverflowError: HTTP 500
    csv = "\n".join([LEAD_HEADER, _lead_line("2026-11-02T09:00:00Z", "L-0"), _lead_line(created_at)]) + "\n"
    response = post(api, "leads", csv, org["leader"])
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"line": 3, "reason": f"created_at '{created_at}' is out of the range of "
                                                               "dates (years 1 to 9999 in UTC)"}]


def test_a_csv_header_over_the_field_limit_is_refused_at_line_1(api, org):
    # csv.Error ("field larger than field limit") escaped from the header row: HTTP 500
    csv = LEAD_HEADER + "," + "x" * 200_000 + "\n" + _lead_line("2026-11-02T09:00:00Z") + "\n"
    response = post(api, "leads", csv, org["leader"])
    assert response.status_code in (400, 422), response.text
    (error,) = response.json()["errors"]
    assert error["line"] == 1 and "field larger than field limit" in error["reason"], error


def test_an_ndjson_line_nested_deeply_is_a_line_error(api, org):
    good = json.dumps({**dict.fromkeys(LEAD_HEADER.split(",")), "external_id": "L-1", "company": "Acme",
                       "created_at": "2026-11-02T09:00:00Z"})
    deep = '{"external_id": "L-2", "company": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = post(api, "leads", "\n".join([good, deep]) + "\n", org["leader"], content_type="application/x-ndjson")
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"line": 2, "reason": "nests arrays and objects deeper than 32 levels"}]


# --- no token in the logs ---------------------------------------------------------------------------------------

def test_tokens_are_redacted_from_every_log_record(caplog):
    secret = "sg_" + "A" * 43
    log = logging.getLogger("sharedgoals.test")
    logsafe.install()
    with caplog.at_level(logging.INFO):
        log.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", f"/export/leads.csv?period=2026-Q4&token={secret}",
                 "1.1", 200)
        log.warning(f"token seen: {secret}")
        try:
            raise RuntimeError(f"failed on /export/leads.csv?token={secret}")
        except RuntimeError:
            log.exception("export failed")
    text = "\n".join(caplog.text.splitlines() + [r.exc_text or "" for r in caplog.records])
    assert secret not in text and "A" * 20 not in text
    assert "token=[redacted]" in text and "period=2026-Q4" in text


def test_the_served_access_and_error_logs_hold_no_token(cli_env, tmp_path):
    cli_env.migrated()
    admin = cli_env("create-token", "--role", "ADMIN").stdout.strip().splitlines()[-1]
    port = _free_port()
    log_file = tmp_path / "server.log"
    env = dict(cli_env.env, SHAREDGOALS_LOG_LEVEL="INFO")
    server = cli.start(["serve", "--port", str(port)], env=env, stdout=log_file, stderr=log_file)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, log_file.read_text()
            time.sleep(0.2)
        made = httpx.post(base + "/graphql", headers={"Authorization": f"Bearer {admin}"}, json={
            "query": 'mutation { exportTokenCreate(input: {name: "sheet"}) { secret userErrors { code } } }'}).json()
        export_token = made["data"]["exportTokenCreate"]["secret"]
        assert httpx.get(base + f"/export/leads.csv?period=2026-Q4&token={export_token}").status_code == 200
        assert httpx.get(base + "/export/leads.csv?period=2026-Q4&token=sg_madeupmadeupmadeup").status_code == 401
        assert httpx.get(base + f"/export/nothing.csv?token={export_token}").status_code == 404
    finally:
        server.terminate()
        server.wait(30)
    logged = log_file.read_text()
    assert "/export/leads.csv?period=2026-Q4&token=[redacted]" in logged, logged  # the access log, redacted
    for secret in (admin, export_token, "sg_madeupmadeupmadeup"):
        assert secret not in logged
