"""The leaders' dashboard at `/`: served by the app, and in real headless Chromium it shows the API's figures.

The browser tests drive Debian's `chromium` with its `chromium-driver` through selenium (no browser downloads);
they are skipped only when those binaries are absent (`.ci/run` installs them, so CI runs them).
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.browser_support import headless_chromium

CONTRIBUTION = """query($period: String!) { teamContribution(period: $period) { team { name } goalProgress
  mqlsDelivered sals sqls sourcedPipeline influencedPipeline attributedBookings slaCompliance payoutsAccrued
  wastedSellingCost } }"""
OBJECTIVES = """query($period: String!) { objectives(period: $period, first: 50) { edges { node {
  id title progress status owners { share team { name } } } } } }"""
DECIMALS = ("sourcedPipeline", "influencedPipeline", "attributedBookings", "payoutsAccrued", "wastedSellingCost")
RATIOS = ("goalProgress", "slaCompliance")
COUNTS = ("mqlsDelivered", "sals", "sqls")

# What the page shows, read in one round trip: per row, each cell's raw value, text and whether it is empty.
READ_TABLE = """
const cells = (tr) => Object.fromEntries(Array.from(tr.querySelectorAll('[data-field]')).map(
  (td) => [td.dataset.field, {value: td.dataset.value, text: td.textContent.trim(), isNull: td.dataset.null === 'true'}]));
return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr')).map(
  (tr) => ({key: tr.dataset.team || tr.dataset.title, cells: cells(tr)}));
"""


@pytest.fixture
def org(contribution_org):
    return contribution_org


# --- plain HTTP ------------------------------------------------------------------------------------
def test_the_page_is_served_at_the_root_without_a_token(api):
    page = api.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="contribution"' in page.text and 'id="objectives"' in page.text and 'id="token-form"' in page.text
    script = api.http.get("/static/dashboard.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "/graphql" in script.text and "sessionStorage" in script.text
    assert api.http.get("/static/dashboard.css").status_code == 200
    assert api.http.get("/static/missing.js").status_code == 404
    graphiql = api.http.get("/graphql", headers={"Accept": "text/html"})  # GraphiQL stays where it was
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()


# --- headless Chromium ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():
    with headless_chromium() as driver:
        yield driver


@pytest.fixture
def browser(chromium, api, live_server):
    """The module's browser with this tab's session storage emptied (the token of an earlier test gone)."""
    chromium.get(f"{live_server.base_url}/healthz")
    chromium.execute_script("window.sessionStorage.clear()")
    chromium.get_log("browser")  # drain: each test reads only its own console
    return chromium


def open_dashboard(browser, url: str, until=("ready",)) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get("about:blank")  # a fresh document even when only the fragment differs
    browser.get(url)
    root = browser.find_element("id", "dashboard")
    WebDriverWait(browser, 30).until(lambda _: root.get_attribute("data-state") in ("ready", "error", "needs-token"))
    state = root.get_attribute("data-state")
    assert state in until, (state, browser.find_element("id", "message").text)
    return state


def shown(browser, table: str) -> dict[str, dict]:
    return {row["key"]: row["cells"] for row in browser.execute_script(READ_TABLE, f"#{table}")}


def assert_same_figures(cells: dict, figures: dict) -> None:
    team = figures["team"]["name"]
    for field in DECIMALS + RATIOS + COUNTS:
        value, cell = figures[field], cells[field]
        if value is None:
            assert cell["isNull"] and cell["text"] == "—", (team, field, cell)
        elif field in DECIMALS:
            assert cell["value"] == value and cell["text"] == f"{Decimal(value):,}", (team, field, cell, value)
        elif field in RATIOS:
            assert float(cell["value"]) == value and cell["text"] == f"{value * 100:.1f}%", (team, field, cell, value)
        else:
            assert int(cell["value"]) == value and cell["text"] == str(value), (team, field, cell, value)


def test_the_dashboard_shows_the_seeded_teams_figures_as_the_api_gives_them(org, api, browser, live_server):
    token = org.finance
    open_dashboard(browser, f"{live_server.base_url}/#token={token}")
    assert token not in browser.current_url  # the token left the address bar...
    assert browser.execute_script("return sessionStorage.getItem('sharedgoals.token')") == token  # ...for the tab
    assert browser.find_element("id", "period").get_attribute("value") == "2026-Q4"  # the current period

    expected = {t["team"]["name"]: t for t in api.gql(CONTRIBUTION, {"period": "2026-Q4"}, token)["teamContribution"]}
    rows = shown(browser, "contribution")
    assert set(rows) == set(expected) >= {"Field Sales", "Demand Generation"}
    for name, figures in expected.items():
        assert_same_figures(rows[name], figures)
    assert rows["Demand Generation"]["attributedBookings"]["text"] == "20,000.00"
    assert rows["Field Sales"]["goalProgress"]["text"] == "50.0%"

    objectives = {e["node"]["title"]: e["node"] for e in
                  api.gql(OBJECTIVES, {"period": "2026-Q4"}, token)["objectives"]["edges"]}
    goals = shown(browser, "objectives")
    assert set(goals) == set(objectives) == {"Grow bookings"}
    for title, node in objectives.items():
        assert float(goals[title]["progress"]["value"]) == node["progress"]
        assert goals[title]["status"]["value"] == node["status"]
        assert goals[title]["owners"]["text"] == " · ".join(
            f"{o['team']['name']} {Decimal(o['share']) * 100:.0f}%" for o in node["owners"])

    # Another period by the URL: the figures follow the API's for that period too.
    open_dashboard(browser, f"{live_server.base_url}/#period=2026-Q3")  # the token is still in the tab
    assert browser.find_element("id", "period").get_attribute("value") == "2026-Q3"
    rows = shown(browser, "contribution")
    for figures in api.gql(CONTRIBUTION, {"period": "2026-Q3"}, token)["teamContribution"]:
        assert_same_figures(rows[figures["team"]["name"]], figures)
    assert shown(browser, "objectives") == {}
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert severe == []  # no script errors, no failed requests (the /healthz visit's favicon aside)


def test_a_leader_sees_a_dash_for_other_teams_pay_and_the_page_still_loads(org, api, browser, live_server):
    open_dashboard(browser, f"{live_server.base_url}/#token={org.marketing_leader}")
    rows = shown(browser, "contribution")
    assert rows["Field Sales"]["payoutsAccrued"]["isNull"] and rows["Field Sales"]["payoutsAccrued"]["text"] == "—"
    assert rows["Demand Generation"]["payoutsAccrued"]["value"] == "0.00"
    for figures in api.post(CONTRIBUTION, {"period": "2026-Q4"}, org.marketing_leader)["data"]["teamContribution"]:
        assert_same_figures(rows[figures["team"]["name"]], figures)


def test_a_refused_token_asks_for_another_and_a_pasted_one_opens_the_page(org, api, browser, live_server):
    open_dashboard(browser, f"{live_server.base_url}/#token=sg_not-a-real-token", until=("needs-token",))
    assert browser.find_element("id", "token-form").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('sharedgoals.token')") is None
    browser.find_element("id", "token-input").send_keys(org.seller_token)
    browser.find_element("css selector", "#token-form button[type=submit]").click()

    from selenium.webdriver.support.ui import WebDriverWait
    root = browser.find_element("id", "dashboard")
    WebDriverWait(browser, 30).until(lambda _: root.get_attribute("data-state") in ("ready", "error"))
    # A member may not see any team's pay: those columns are dashes, the rest is the API's.
    rows = shown(browser, "contribution")
    body = api.post(CONTRIBUTION, {"period": "2026-Q4"}, org.seller_token)
    for figures in body["data"]["teamContribution"]:
        assert_same_figures(rows[figures["team"]["name"]], figures)
    assert root.get_attribute("data-state") == "ready", browser.find_element("id", "message").text


def test_without_a_token_the_page_asks_for_one(api, browser, live_server):
    open_dashboard(browser, f"{live_server.base_url}/", until=("needs-token",))
    assert browser.find_element("id", "token-form").is_displayed()
    assert not browser.find_element("id", "contribution-section").is_displayed()
