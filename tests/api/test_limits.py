"""Abuse limits, through HTTP: depth, aliases, tokens, cost, batch size, body size, rate, production hardening.

The live server runs with the default limits; smaller limits get a second app of their own, called in process.
"""
from __future__ import annotations

import pytest

from api.settings import load_settings
from tests.api.fixtures import App
from tests.api.support import codes, create_team

PEOPLE = "{ people(first: %d) { edges { node { name team { name } } } } }"
PEOPLE_BY_VARIABLE = "query($n: Int!) { people(first: $n) { edges { node { name team { name } } } } }"


def _refused(body: dict) -> str:
    """The message of an operation refused by a limit before anything ran."""
    assert body["data"] is None, body
    assert codes(body["errors"]) == ["LIMIT_EXCEEDED"] * len(body["errors"]), body
    return body["errors"][0]["message"]


def _served(body: dict) -> dict:
    assert not body.get("errors"), body["errors"]
    return body["data"]


def test_the_limits_have_safe_defaults_and_come_from_the_environment(tmp_path, monkeypatch):
    for name in ("DEPTH", "ALIASES", "TOKENS", "COST", "BATCH", "BODY_BYTES"):
        monkeypatch.delenv(f"SHAREDGOALS_MAX_{name}", raising=False)
    monkeypatch.delenv("SHAREDGOALS_RATE_LIMIT_PER_MINUTE", raising=False)
    empty = tmp_path / "empty.env"
    empty.write_text("")
    defaults = load_settings(empty)
    assert (defaults.max_depth, defaults.max_aliases, defaults.max_tokens, defaults.max_cost, defaults.max_batch,
            defaults.max_body_bytes, defaults.rate_limit_per_minute) == (12, 30, 3000, 50_000, 10, 1_000_000,
                                                                          100_000)

    custom = tmp_path / "custom.env"
    custom.write_text("SHAREDGOALS_MAX_DEPTH=5\nSHAREDGOALS_MAX_COST=900\nSHAREDGOALS_RATE_LIMIT_PER_MINUTE=0\n")
    settings = load_settings(custom)
    assert (settings.max_depth, settings.max_cost, settings.rate_limit_per_minute) == (5, 900, 0)
    assert settings.graphql_limits.max_depth == 5 and settings.graphql_limits.max_cost == 900

    custom.write_text("SHAREDGOALS_MAX_DEPTH=0\n")
    with pytest.raises(ValueError, match="SHAREDGOALS_MAX_DEPTH"):
        load_settings(custom)


def test_a_query_deeper_than_the_limit_is_refused(api, admin, live_server):
    app = App(api, live_server, max_depth=3)
    _served(app.post("{ people(first: 1) { edges { node { name } } } }", admin))  # name is at depth 3
    message = _refused(app.post(PEOPLE % 1, admin))  # team { name } reaches depth 4
    assert "maximum operation depth of 3" in message
    # The default (12) lets ordinary queries through.
    _served(api.post(PEOPLE % 5, token=admin))


def test_more_aliases_than_the_limit_are_refused(api, admin, live_server):
    app = App(api, live_server, max_aliases=2)
    assert _served(app.post("{ a: viewer { name } b: viewer { role } }", admin))["b"] == {"role": "ADMIN"}
    message = _refused(app.post("{ a: viewer { name } b: viewer { role } c: teams { name } }", admin))
    assert "3 aliases found. Allowed: 2" in message

    default = 30
    fields = " ".join(f"v{i}: viewer {{ name }}" for i in range(default))
    _served(api.post("{ %s }" % fields, token=admin))
    body = api.post("{ %s extra: viewer { name } }" % fields, token=admin)
    assert f"Allowed: {default}" in _refused(body)


def test_a_document_with_more_tokens_than_the_limit_is_refused(api, admin, live_server):
    app = App(api, live_server, max_tokens=20)
    _served(app.post("{ viewer { name role } }", admin))  # 6 tokens
    message = _refused(app.post("{ viewer { %s } }" % " ".join(["name role"] * 10), admin))
    assert "more than 20 tokens" in message

    team = create_team(api, admin)
    ids = lambda n: " ".join([f'"{team}"'] * n)  # noqa: E731
    many = " ".join(f"n{i}: nodes(ids: [%s]) {{ id }}" % ids(90) for i in range(29))  # 2872 tokens
    assert len(_served(api.post("{ %s }" % many, token=admin))["n28"]) == 90
    body = api.post("{ nodes(ids: [%s]) { id } }" % ids(3000), token=admin)  # 3012 tokens
    assert "more than 3000 tokens" in _refused(body)


def test_the_estimated_cost_multiplies_by_page_size_and_refuses_above_the_limit(api, admin, live_server):
    create_team(api, admin)
    app = App(api, live_server, max_cost=100)
    # people(first: n) { edges { node { name team { name } } } } costs 1 + n × 5.
    _served(app.post(PEOPLE % 19, admin))  # 96
    message = _refused(app.post(PEOPLE % 20, admin))  # 101
    assert "may cost 101, above the limit of 100" in message

    # A variable counts with its value.
    _served(app.post(PEOPLE_BY_VARIABLE, admin, {"n": 19}))
    body = app.post(PEOPLE_BY_VARIABLE, admin, {"n": 20})
    _refused(body)
    assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED", "cost": 101, "maxCost": 100}

    # A list without `first` counts 10 items: teams { name } costs 1 + 10 × 1, and aliases add up.
    app = App(api, live_server, max_cost=22)
    _served(app.post("{ a: teams { name } b: teams { name } }", admin))  # 22
    _refused(app.post("{ a: teams { name } b: teams { name } viewer { name } }", admin))  # 24

    # Within the default (50,000), the largest page with nested fields is fine.
    assert _served(api.post(PEOPLE % 100, token=admin))["people"]["edges"] == []


def test_a_batch_of_operations_is_served_up_to_the_limit(api, admin):
    headers = {"Authorization": f"Bearer {admin}"}
    batch = [{"query": "{ viewer { role } }"}, {"query": "{ teams { name } }"}]
    response = api.http.post("/graphql", json=batch, headers=headers)
    assert response.status_code == 200
    assert response.json() == [{"data": {"viewer": {"role": "ADMIN"}}}, {"data": {"teams": []}}]

    at_limit = [{"query": "{ viewer { role } }"}] * 10
    response = api.http.post("/graphql", json=at_limit, headers=headers)
    assert response.status_code == 200 and len(response.json()) == 10

    response = api.http.post("/graphql", json=at_limit + [{"query": "{ viewer { role } }"}], headers=headers)
    assert response.status_code == 400
    assert codes(response.json()["errors"]) == ["LIMIT_EXCEEDED"]
    assert "at most 10 operations" in response.json()["errors"][0]["message"]


def test_each_operation_of_a_batch_meets_the_limits(api, admin, live_server):
    app = App(api, live_server, max_batch=2, max_depth=3)
    headers = {"Authorization": f"Bearer {admin}"}
    [response] = app.send({"json": [{"query": "{ viewer { role } }"}, {"query": PEOPLE % 1}], "headers": headers})
    first, second = response.json()
    assert first == {"data": {"viewer": {"role": "ADMIN"}}}
    _refused(second)
    [response] = app.send({"json": [{"query": "{ viewer { role } }"}] * 3, "headers": headers})
    assert response.status_code == 400 and "at most 2 operations" in response.text


def test_a_body_above_the_limit_is_refused_with_413(api, admin):
    headers = {"Authorization": f"Bearer {admin}"}
    padding = " " * 1_000_001
    response = api.http.post("/graphql", content=b'{"query": "{ viewer { name } }%s"}' % padding.encode(),
                             headers={**headers, "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "The request body is larger than the limit of 1000000 bytes.",
                                           "extensions": {"code": "LIMIT_EXCEEDED", "maxBytes": 1_000_000}}]}
    assert response.headers["x-request-id"]

    # A chunked body (no Content-Length) is counted as it arrives.
    def chunks(size):
        yield b'{"query": "{ viewer { name } }", "variables": {"pad": "'
        for _ in range(size // 10_000):
            yield b"x" * 10_000
        yield b'"}}'
    response = api.http.post("/graphql", content=chunks(1_100_000),
                             headers={**headers, "content-type": "application/json"})
    assert response.status_code == 413 and codes(response.json()["errors"]) == ["LIMIT_EXCEEDED"]
    response = api.http.post("/graphql", content=chunks(900_000),
                             headers={**headers, "content-type": "application/json"})
    assert response.status_code == 200 and response.json() == {"data": {"viewer": {"name": "admin service token"}}}


def test_the_body_limit_is_a_setting(api, admin, live_server):
    app = App(api, live_server, max_body_bytes=200)
    query = {"query": "{ viewer { role } }", "variables": {"pad": ""}}
    small, large = app.send({"json": query, "headers": {"Authorization": f"Bearer {admin}"}},
                            {"json": {**query, "variables": {"pad": "x" * 200}}})
    assert small.status_code == 200 and small.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    assert large.status_code == 413 and "limit of 200 bytes" in large.text


def test_a_token_over_its_rate_is_refused_with_429_while_others_are_served(api, live_server):
    app = App(api, live_server, rate_limit_per_minute=6)  # cost units a minute
    first, second = api.token("ADMIN"), api.token("MEMBER")

    def ask(token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        [response] = app.send({"json": {"query": "{ viewer { role } }"}, "headers": headers})  # costs 2
        return response

    assert [ask(first).status_code for _ in range(3)] == [200, 200, 200]
    refused = ask(first)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 20  # 2 units of a budget of 6 a minute come back in 20 s
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED" and "budget of 6 cost units" in error["message"]
    assert refused.headers["x-request-id"]

    other = ask(second).json()
    assert other == {"data": {"viewer": {"role": "MEMBER"}}, "extensions": {"rateLimit": {
        "cost": 2, "limit": 6, "remaining": 4, "resetAt": other["extensions"]["rateLimit"]["resetAt"]}}}
    # Anonymous requests share the budget of their address; health checks are never limited.
    # (refused before anything runs, each spends the floor of 1)
    assert [ask().status_code for _ in range(7)] == [200] * 6 + [429]
    [health] = app.send({"method": "GET", "url": "/healthz"})
    assert health.status_code == 200


def test_made_up_tokens_spend_the_budget_of_their_address(api, live_server):
    """A stream of invented bearer tokens gets no fresh budget per token: they all spend the client address's."""
    app = App(api, live_server, rate_limit_per_minute=3)

    def ask(token):
        [response] = app.send({"json": {"query": "{ viewer { role } }"},
                               "headers": {"Authorization": f"Bearer {token}"}})
        return response

    made_up = [ask(f"sg_made-up-{i}") for i in range(4)]
    assert [r.status_code for r in made_up] == [200, 200, 200, 429]
    assert codes(made_up[0].json()["errors"]) == ["UNAUTHENTICATED"]
    # a genuine token has its own budget, untouched by them
    assert ask(api.token("MEMBER")).json()["data"] == {"viewer": {"role": "MEMBER"}}


def test_a_websocket_spends_the_budget_to_connect_and_for_each_message():
    """Pure ASGI: the middleware before an echoing socket app, with a budget of 3 a minute for the address."""
    import asyncio

    from api.limits import RateLimitMiddleware

    async def echo(scope, receive, send):
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": message["text"]})

    app = RateLimitMiddleware(echo, per_minute=3, clock=lambda: 0.0)
    scope = {"type": "websocket", "path": "/graphql", "headers": [], "client": ("10.0.0.9", 5000)}

    async def session(messages: list[str]) -> list[dict]:
        incoming = [{"type": "websocket.connect"}] + [{"type": "websocket.receive", "text": m} for m in messages] \
            + [{"type": "websocket.disconnect", "code": 1000}]
        sent: list[dict] = []

        async def receive():
            return incoming.pop(0)

        async def send(message):
            sent.append(message)
        await app(scope, receive, send)
        return sent

    first = asyncio.run(session(["a", "b", "c"]))  # connect + a + b spend the 3; c is one too many
    assert [m["type"] for m in first] == ["websocket.accept", "websocket.send", "websocket.send", "websocket.close"]
    assert first[-1]["code"] == 4429
    second = asyncio.run(session(["d"]))  # no budget left: the handshake is refused
    assert second == [{"type": "websocket.close", "code": 1008}]


def test_a_rate_limit_of_zero_turns_it_off(api, admin, live_server):
    app = App(api, live_server, rate_limit_per_minute=0)
    responses = app.send(*[{"json": {"query": "{ viewer { role } }"}, "headers": {"Authorization": f"Bearer {admin}"}}
                           for _ in range(30)])
    assert {r.status_code for r in responses} == {200}


INTROSPECTION = "{ __schema { queryType { name } } __type(name: \"Person\") { name } }"


def test_production_answers_no_introspection_and_no_suggestions(api, admin, live_server):
    production = App(api, live_server, env="production")
    body = production.post(INTROSPECTION, admin)
    assert body["data"] is None and "introspection has been disabled" in body["errors"][0]["message"]
    assert _served(production.post("{ viewer { __typename name } }", admin))["viewer"]["__typename"] == "Viewer"

    for query in ("{ viewer { nam } }", "{ people(first: 1, role: ADMN) { edges { node { name } } } }",
                  "{ people(frist: 1) { edges { node { name } } } }"):
        body = production.post(query, admin)
        assert body["errors"] and not any("Did you mean" in e["message"] for e in body["errors"]), body
        assert not any("'name'" in e["message"] or "ADMIN" in e["message"] for e in body["errors"]), body
    variable = production.post("query($r: Role) { people(first: 1, role: $r) { edges { node { name } } } }",
                               admin, {"r": "ADMN"})
    assert variable["errors"] and "Did you mean" not in str(variable), variable


def test_development_answers_introspection_and_suggestions(api, admin):
    data = _served(api.post(INTROSPECTION, token=admin))
    assert data == {"__schema": {"queryType": {"name": "Query"}}, "__type": {"name": "Person"}}
    body = api.post("{ viewer { nam } }", token=admin)
    assert "Did you mean 'name'?" in body["errors"][0]["message"]
