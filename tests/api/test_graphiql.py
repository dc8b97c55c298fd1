"""GraphiQL at /graphql works without internet: its scripts and styles come from the service (api/static/vendor),
the token comes from the page's `#token=` into the tab's session storage, and production serves no GraphiQL.

The browser test runs headless Chromium with every host but 127.0.0.1 unresolvable, so a single CDN reference left
anywhere would leave the page at "Loading…".
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.api.browser_support import headless_chromium, wait_for
from tests.api.fixtures import App

HTML = {"Accept": "text/html"}
SCREENSHOT = Path(os.environ.get("GRAPHIQL_SCREENSHOT", "/tmp/sharedgoals-graphiql.png"))


def _assets(page: str) -> list[str]:
    return re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)


def test_the_page_names_only_assets_of_the_service_and_each_is_served(api):
    page = api.http.get("/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "unpkg" not in page.text and "http://" not in page.text and "https://" not in page.text
    assets = [a for a in _assets(page.text) if not a.startswith("data:")]
    assert {"/static/vendor/graphiql-3.8.3/graphiql.min.js", "/static/vendor/graphiql-3.8.3/graphiql.min.css",
            "/static/vendor/react-18.3.1/react.production.min.js",
            "/static/vendor/react-dom-18.3.1/react-dom.production.min.js", "/static/graphiql.js"} == set(assets)
    for asset in assets:
        served = api.http.get(asset)
        assert served.status_code == 200, asset
        kind = "css" if asset.endswith(".css") else "javascript"
        assert kind in served.headers["content-type"], (asset, served.headers["content-type"])
        assert "unpkg.com" not in served.text and "cdn.jsdelivr" not in served.text, asset


def test_the_vendored_copies_keep_their_licences_and_say_where_they_came_from():
    vendor = Path(__file__).resolve().parents[2] / "api" / "static" / "vendor"
    for folder, package in (("graphiql-3.8.3", "graphiql@3.8.3"), ("react-18.3.1", "react@18.3.1"),
                            ("react-dom-18.3.1", "react-dom@18.3.1")):
        assert "MIT License" in (vendor / folder / "LICENSE").read_text(), folder
        assert package in (vendor / "README.md").read_text(), package


def test_production_serves_no_graphiql(api, live_server, admin):
    app = App(api, live_server, env="production")
    [page] = app.send({"method": "GET", "url": "/graphql", "headers": HTML})
    assert page.status_code == 404 and "graphiql" not in page.text.lower()
    assert app.post("{ viewer { role } }", admin)["data"] == {"viewer": {"role": "ADMIN"}}  # the API still answers


# --- headless Chromium without internet -------------------------------------------------------------
@pytest.fixture(scope="module")
def offline_chromium():
    with headless_chromium("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1") as driver:
        yield driver


QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"  # variables is the hidden one
RESPONSE = ".result-window .CodeMirror"


def _editor_text(browser, selector: str) -> str:
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.CodeMirror.getValue() : null;", selector)


def test_graphiql_renders_loads_the_docs_and_runs_a_query_without_internet(api, admin, offline_chromium):
    browser = offline_chromium
    # the browser really is offline: a CDN does not resolve
    failed = browser.execute_async_script(
        "const done = arguments[0]; fetch('https://unpkg.com/graphiql@3.8.3/graphiql.min.js')"
        ".then(() => done('reached'), (e) => done(String(e)));")
    assert failed == "TypeError: Failed to fetch"

    browser.get("about:blank")
    browser.get(f"{api.server.base_url}/graphql#token={admin}")
    wait_for(browser, lambda: _editor_text(browser, QUERY_EDITOR) is not None)
    assert admin not in browser.current_url  # the token left the address bar...
    assert browser.execute_script("return sessionStorage.getItem('sharedgoals.token')") == admin  # ...for the tab
    wait_for(browser, lambda: admin in (_editor_text(browser, HEADERS_EDITOR) or ""))
    assert json.loads(_editor_text(browser, HEADERS_EDITOR)) == {"Authorization": f"Bearer {admin}"}

    # the schema's docs: GraphiQL introspected the API with the token and lists the root fields
    browser.find_element("css selector", "button[aria-label='Show Documentation Explorer']").click()
    wait_for(browser, lambda: "Query" in browser.find_element("css selector", ".graphiql-doc-explorer").text)
    browser.find_element("css selector", ".graphiql-doc-explorer a.graphiql-doc-explorer-type-name").click()
    wait_for(browser, lambda: "teamContribution" in browser.find_element("css selector", ".graphiql-doc-explorer").text)

    browser.execute_script("document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1])", QUERY_EDITOR,
                           "{ viewer { name role } }")
    browser.find_element("css selector", "button.graphiql-execute-button").click()
    wait_for(browser, lambda: "ADMIN" in (_editor_text(browser, RESPONSE) or ""))
    assert json.loads(_editor_text(browser, RESPONSE)) == {"data": {"viewer": api.gql("{ viewer { name role } }",
                                                                                         token=admin)["viewer"]}}
    browser.save_screenshot(str(SCREENSHOT))
    # the token never reached local storage (GraphiQL keeps its tabs there, without headers)
    stored = browser.execute_script("return JSON.stringify(Object.assign({}, localStorage))")
    assert admin not in stored


def test_a_token_typed_into_the_headers_is_kept_for_the_tab(api, admin, offline_chromium):
    browser = offline_chromium
    browser.get(f"{api.server.base_url}/healthz")
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{api.server.base_url}/graphql")
    wait_for(browser, lambda: _editor_text(browser, HEADERS_EDITOR) is not None)
    assert json.loads(_editor_text(browser, HEADERS_EDITOR)) == {"Authorization": "Bearer sg_..."}
    browser.execute_script("document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1])", HEADERS_EDITOR,
                           json.dumps({"Authorization": f"Bearer {admin}"}))
    assert browser.execute_script("return sessionStorage.getItem('sharedgoals.token')") == admin
    browser.refresh()  # typed once: the next page of the tab starts with it
    wait_for(browser, lambda: admin in (_editor_text(browser, HEADERS_EDITOR) or ""))
    assert admin not in browser.execute_script("return JSON.stringify(Object.assign({}, localStorage))")


def test_a_subscription_in_graphiql_follows_a_check_in_with_the_tabs_token(api, admin, offline_chromium):
    from domain import events
    from schema.core.ids import decode_id
    from tests.api.goals_support import Goals
    goals = Goals(api, admin)
    objective = goals.objective(title="Grow bookings", period="current")
    key_result = goals.key_result(objective["id"], title="Deals won", target="100")
    browser = offline_chromium
    browser.get("about:blank")  # a fresh document even when only the fragment differs
    browser.get(f"{api.server.base_url}/graphql#token={admin}")
    wait_for(browser, lambda: admin in (_editor_text(browser, HEADERS_EDITOR) or ""))
    browser.execute_script(
        "document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1])", QUERY_EDITOR,
        'subscription { keyResultUpdated(objectiveId: "%s") { title current } }' % objective["id"])
    # GraphiQL sends an operation over the websocket only once it has parsed the editor's text as a subscription
    # (it parses a moment after each edit); until then it would POST it, which the API does not serve
    time.sleep(1)
    browser.find_element("css selector", "button.graphiql-execute-button").click()
    wait_for(browser, lambda: browser.find_element(  # subscribed: the button offers to stop
        "css selector", "button.graphiql-execute-button").get_attribute("aria-label").startswith("Stop"))
    topic = events.objective_topic(decode_id(objective["id"], "Objective", "objectiveId"))
    wait_for(browser, lambda: events.has_subscribers(topic))  # the server holds the subscription: nothing is missed
    assert goals.check_in(key_result["id"], value="40")["userErrors"] == []
    wait_for(browser, lambda: "Deals won" in (_editor_text(browser, RESPONSE) or ""))
    assert json.loads(_editor_text(browser, RESPONSE)) == {
        "data": {"keyResultUpdated": {"title": "Deals won", "current": "40"}}}
