"""CORS: browser pages on the origins of SHAREDGOALS_CORS_ORIGINS may call /graphql, /export and /import; others not.

Over HTTP (in process) for the headers of every kind of answer, refusals included, then in headless Chromium:
a page served by another server on another loopback port queries the API and shows the answer, and the same page
from an origin that is not listed is refused by the browser.
"""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from api.app import create_app
from api.settings import load_settings
from tests.api.browser_support import api_server, headless_chromium, static_site, wait_for
from tests.api.fixtures import App

ORIGIN = "http://127.0.0.1:8624"
ELSEWHERE = "http://127.0.0.1:8625"
VIEWER = {"query": "{ viewer { name role } }"}


def _preflight(app: App, path: str, origin: str, method: str = "POST",
               headers: str = "authorization,content-type"):
    [response] = app.send({"method": "OPTIONS", "url": path, "headers": {
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}})
    return response


def _allows(response, origin: str = ORIGIN) -> None:
    """The answer may be read by a page of `origin`, with Retry-After readable and no cookies involved."""
    assert response.headers.get("access-control-allow-origin") == origin, response.headers
    exposed = {h.strip().lower() for h in response.headers.get("access-control-expose-headers", "").split(",")}
    assert "retry-after" in exposed, response.headers
    assert "access-control-allow-credentials" not in response.headers


def test_the_allowed_origins_are_a_setting_with_none_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SHAREDGOALS_CORS_ORIGINS", raising=False)
    empty = tmp_path / "empty.env"
    empty.write_text("")
    assert load_settings(empty).cors_origins == ()
    monkeypatch.setenv("SHAREDGOALS_CORS_ORIGINS", "https://app.example.com, http://127.0.0.1:5173")
    assert load_settings(empty).cors_origins == ("https://app.example.com", "http://127.0.0.1:5173")
    for bad in ("https://app.example.com/", "app.example.com", "https://app.example.com/graphql"):
        monkeypatch.setenv("SHAREDGOALS_CORS_ORIGINS", bad)
        with pytest.raises(ValueError, match="is not an origin"):
            load_settings(empty)


@pytest.mark.parametrize("path", ["/graphql", "/export/objectives.csv", "/import/leads"])
def test_a_preflight_from_a_listed_origin_is_answered_on_every_route(api, live_server, path):
    app = App(api, live_server, cors_origins=(ORIGIN,))
    method = "GET" if path.startswith("/export") else "POST"
    response = _preflight(app, path, ORIGIN, method)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert method in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


def test_an_origin_not_listed_gets_no_cors_headers(api, live_server, admin):
    app = App(api, live_server, cors_origins=(ORIGIN,))
    refused = _preflight(app, "/graphql", ELSEWHERE)
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    [answer] = app.send({"json": VIEWER, "headers": {"Origin": ELSEWHERE, "Authorization": f"Bearer {admin}"}})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


def test_by_default_no_origin_may_call_from_a_browser(api, live_server, admin):
    app = App(api, live_server)  # the test server's settings: no SHAREDGOALS_CORS_ORIGINS
    assert _preflight(app, "/graphql", ORIGIN).status_code == 400
    [answer] = app.send({"json": VIEWER, "headers": {"Origin": ORIGIN, "Authorization": f"Bearer {admin}"}})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


def test_answers_and_refusals_carry_the_cors_headers(api, live_server, admin):
    # a budget of 3 cost units a minute: the admin's viewer query costs 3, every request without a token 1
    app = App(api, live_server, cors_origins=(ORIGIN,), max_body_bytes=2000, rate_limit_per_minute=3)
    cors = {"Origin": ORIGIN}
    ok, unauthenticated, too_large = app.send(
        {"json": VIEWER, "headers": {**cors, "Authorization": f"Bearer {admin}"}},
        {"method": "GET", "url": "/export/objectives.csv?period=2026-Q4", "headers": cors},
        {"content": b"x" * 3000, "headers": {**cors, "Content-Type": "application/json"}},
    )
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["role"] == "ADMIN"
    _allows(ok)
    assert unauthenticated.status_code == 401, unauthenticated.text
    _allows(unauthenticated)
    assert too_large.status_code == 413, too_large.text
    _allows(too_large)
    # the 401 and two more spend the anonymous address's budget of 3 (the admin's has its own; the 413 was refused
    # before the budget was asked): the next is a 429
    for _ in range(2):
        [again] = app.send({"method": "GET", "url": "/export/objectives.csv?period=2026-Q4", "headers": cors})
        assert again.status_code == 401, again.text
    [limited] = app.send({"url": "/import/leads", "content": b"external_id\n", "headers": cors})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1, limited.text
    _allows(limited)
    # a preflight is answered before the rate limit: it neither spends nor needs a budget
    assert _preflight(app, "/import/leads", ORIGIN).status_code == 200


def test_an_import_without_a_token_is_refused_readably(api, live_server):
    app = App(api, live_server, cors_origins=(ORIGIN,))
    [refused] = app.send({"url": "/import/leads", "content": b"external_id\n",
                          "headers": {"Origin": ORIGIN, "Content-Type": "text/csv"}})
    assert refused.status_code == 401
    _allows(refused)
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- headless Chromium ------------------------------------------------------------------------------
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>front end</title></head>
<body data-state="loading"><p id="answer"></p><p id="refusal"></p>
<script>
const params = new URLSearchParams(location.hash.slice(1));
const api = params.get('api');
async function main() {
  try {
    const response = await fetch(api + '/graphql', {method: 'POST',
      headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + params.get('token')},
      body: JSON.stringify({query: '{ viewer { name role } }'})});
    const body = await response.json();
    document.getElementById('answer').textContent = body.data.viewer.name + ' (' + body.data.viewer.role + ')';
    const refused = await fetch(api + '/export/objectives.csv?period=2026-Q4');
    const reason = await refused.json();
    document.getElementById('refusal').textContent = refused.status + ' ' + reason.errors[0].extensions.code;
    document.body.dataset.state = 'ok';
  } catch (error) {
    document.getElementById('answer').textContent = String(error);
    document.body.dataset.state = 'failed';
  }
}
main();
</script></body></html>
"""


@pytest.fixture(scope="module")
def front_end(tmp_path_factory):
    """The same page served from two origins: `listed` is in the API's CORS setting, `other` is not."""
    site = tmp_path_factory.mktemp("front-end")
    (site / "index.html").write_text(PAGE)
    with static_site(site) as listed, static_site(site) as other:
        yield listed, other


@pytest.fixture(scope="module")
def cors_api(live_server, front_end):
    listed, _ = front_end
    app = create_app(replace(live_server.settings, cors_origins=(listed,)), manage_db=False)
    with api_server(live_server, app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    with headless_chromium() as driver:
        yield driver


def _open(browser, url: str) -> str:
    browser.get("about:blank")
    browser.get(url)
    wait_for(browser, lambda: browser.find_element("tag name", "body").get_attribute("data-state") != "loading")
    return browser.find_element("tag name", "body").get_attribute("data-state")


def test_a_page_on_another_origin_queries_the_api_and_shows_the_answer(api, admin, front_end, cors_api, chromium):
    listed, _ = front_end
    state = _open(chromium, f"{listed}/index.html#api={cors_api}&token={admin}")
    assert state == "ok", chromium.find_element("id", "answer").text
    viewer = api.gql("{ viewer { name role } }", token=admin)["viewer"]
    assert chromium.find_element("id", "answer").text == f"{viewer['name']} (ADMIN)"
    # the refusal is readable too: the page sees the status and the coded reason, not an opaque network error
    assert chromium.find_element("id", "refusal").text == "401 UNAUTHENTICATED"


def test_the_same_page_on_an_origin_not_listed_is_refused_by_the_browser(api, admin, front_end, cors_api, chromium):
    _, other = front_end
    chromium.get_log("browser")  # drain
    state = _open(chromium, f"{other}/index.html#api={cors_api}&token={admin}")
    assert state == "failed"
    assert chromium.find_element("id", "answer").text == "TypeError: Failed to fetch"
    console = json.dumps(chromium.get_log("browser"))
    assert "blocked by CORS policy" in console, console
