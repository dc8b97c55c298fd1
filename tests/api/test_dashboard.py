"""The leaders' workspace at `/`: served by the app, and in real headless Chromium it shows what the API gives, acts
through it, follows it live, draws its charts with the API's numbers, and asks nothing of any host but this one.

The browser tests drive Debian's `chromium` with its `chromium-driver` through selenium (no browser downloads); one
browser serves the module. They are skipped only when those binaries are absent (`.ci/run` installs them). The tests
of the charts that need the history fields (`series`, `funnelCohort`, `SlaReport.weeks`) run when the server's
schema has them and are skipped, saying so, when not. Screenshots of the main views go to var/screenshots/.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.api.browser_support import headless_chromium, wait_for
from tests.api.fixtures import agree
from tests.api.goals_support import CHECK_IN, KR_CREATE, OBJECTIVE_CREATE
from tests.harness import snapshot

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

CONTRIBUTION = """query($period: String!) { teamContribution(period: $period) { team { name } goalProgress
  mqlsDelivered sals sqls sourcedPipeline influencedPipeline attributedBookings slaCompliance payoutsAccrued
  wastedSellingCost previousPeriod { mqlsDelivered sals sqls } } }"""
OBJECTIVES = """query($period: String!) { objectives(period: $period, first: 50) { edges { node {
  id title progress expectedProgress status score owners { share team { name } }
  keyResults { id title current target progress status version checkIns(first: 1) { value confidence comment } } } } } }"""
COMPANY = """query($period: String!) { companyContribution(period: $period) { bookings } }"""
ATTRIBUTION = """query($period: String!) { attributionComparison(period: $period,
  models: [FIRST_TOUCH, LAST_TOUCH, LINEAR, W_SHAPED], groupBy: TEAM) { model lines { key label bookings } } }"""
KR_UPDATE = """mutation($input: KeyResultUpdateInput!) { keyResultUpdate(input: $input) {
  keyResult { target version } userErrors { field message code } } }"""
DECIMALS = ("sourcedPipeline", "influencedPipeline", "attributedBookings", "payoutsAccrued", "wastedSellingCost")
RATIOS = ("goalProgress", "slaCompliance")
COUNTS = ("mqlsDelivered", "sals", "sqls")

# What the page shows, read in one round trip: per row, each cell's raw value, figure text and state.
READ_TABLE = """
const cells = (tr) => Object.fromEntries(Array.from(tr.querySelectorAll('[data-field]')).map((td) => [td.dataset.field, {
  value: td.dataset.value, state: td.dataset.state,
  text: (td.querySelector('.figure') || td).textContent.trim(),
  delta: td.querySelector('.delta') ? td.querySelector('.delta').textContent.trim() : null}]));
return Array.from(document.querySelectorAll(arguments[0])).map(
  (tr) => ({key: tr.dataset.team || tr.dataset.title, cells: cells(tr)}));
"""
READ_CHART = """
const canvas = document.querySelector(arguments[0] + ' canvas');
const chart = canvas && window.Chart.getChart(canvas);
return chart ? {labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({label: d.label, data: d.data}))}
             : {state: document.querySelector(arguments[0]).dataset.state,
                text: document.querySelector(arguments[0]).textContent};
"""
# Every request the page made (resources, and the websocket it opened), to check none left this host.
READ_REQUESTS = """return performance.getEntriesByType('resource').map((e) => e.name)
  .concat(performance.getEntriesByType('navigation').map((e) => e.name));"""


@snapshot
def org(contribution_org, api):
    """The common view's organisation (a shared objective with a BOOKINGS key result, a won 30,000 deal) with a
    MANUAL key result and its check-in, a marketing-only objective, an SLA, and an objective in 2026-Q3."""
    o = contribution_org
    grow = api.gql(OBJECTIVES, {"period": "2026-Q4"}, o.sales_leader)["objectives"]["edges"][0]["node"]
    o.grow = grow["id"]
    kr = api.gql(KR_CREATE, {"input": {"objectiveId": grow["id"], "title": "Qualified meetings", "kind": "INCREASE_TO",
                                       "unit": "COUNT", "start": "0", "target": "40"}}, o.sales_leader)
    o.meetings = kr["keyResultCreate"]["keyResult"]["id"]
    done = api.gql(CHECK_IN, {"input": {"keyResultId": o.meetings, "value": "12", "confidence": 0.6,
                                        "comment": "Webinar follow-ups booked"}}, o.seller_token)["keyResultCheckIn"]
    assert done["userErrors"] == []
    mine = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Answer every MQL fast", "period": "2026-Q4",
                                                "owners": [{"teamId": o.marketing, "share": "1"}]}},
                   o.marketing_leader)["objectiveCreate"]["objective"]
    api.gql(KR_CREATE, {"input": {"objectiveId": mine["id"], "title": "Webinars held", "kind": "INCREASE_TO",
                                  "unit": "COUNT", "start": "0", "target": "6"}}, o.marketing_leader)
    assert agree(o, api)["userErrors"] == []
    q3 = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Launch the partner channel", "period": "2026-Q3",
                                              "owners": [{"teamId": o.sales, "share": "0.5"},
                                                         {"teamId": o.marketing, "share": "0.5"}]}},
                 o.sales_leader)["objectiveCreate"]["objective"]
    api.gql(KR_CREATE, {"input": {"objectiveId": q3["id"], "title": "Partners signed", "kind": "INCREASE_TO",
                                  "unit": "COUNT", "start": "0", "target": "10"}}, o.sales_leader)
    return o


def has_field(api, admin, type_name: str, field: str) -> bool:
    fields = api.gql('query($t: String!) { __type(name: $t) { fields { name } } }', {"t": type_name}, admin)["__type"]
    return bool(fields) and field in {f["name"] for f in fields["fields"]}


def needs(api, admin, type_name: str, field: str) -> None:
    if not has_field(api, admin, type_name, field):
        pytest.skip(f"the API has no {type_name}.{field} yet (the history fields of issue 18): this chart test runs "
                    "once they are merged")


# --- plain HTTP ------------------------------------------------------------------------------------
def test_the_page_and_its_modules_are_served_at_the_root_without_a_token(api):
    page = api.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="contribution"' in page.text and 'id="objectives"' in page.text and 'id="token-form"' in page.text
    assert "/static/vendor/chartjs-4.5.1/chart.umd.min.js" in page.text and "http" not in page.text.replace(
        'http-equiv', '')  # nothing from another host
    for module in ("dashboard.js", "workspace/api.js", "workspace/charts.js", "workspace/forms.js", "workspace/queries.js",
                   "workspace/contribution.js", "workspace/insights.js",
                   "workspace/format.js", "vendor/chartjs-4.5.1/chart.umd.min.js"):
        script = api.http.get(f"/static/{module}")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"], module
    assert "sessionStorage" in api.http.get("/static/workspace/api.js").text
    assert api.http.get("/static/dashboard.css").status_code == 200
    assert api.http.get("/static/missing.js").status_code == 404
    graphiql = api.http.get("/graphql", headers={"Accept": "text/html"})  # GraphiQL stays where it was
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()


def test_the_chart_library_keeps_its_licence_and_says_where_it_came_from():
    vendor = Path(__file__).resolve().parents[2] / "api" / "static" / "vendor"
    assert "MIT License" in (vendor / "chartjs-4.5.1" / "LICENSE").read_text()
    assert "chart.js@4.5.1" in (vendor / "README.md").read_text()


# --- headless Chromium ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():
    with headless_chromium("--window-size=1440,1000", "--hide-scrollbars") as driver:
        yield driver


@pytest.fixture
def browser(chromium, api, live_server):
    """The module's browser with this tab's session storage emptied (the token of an earlier test gone)."""
    chromium.set_window_size(1440, 1000)
    chromium.get(f"{live_server.base_url}/healthz")
    chromium.execute_script("window.sessionStorage.clear()")
    chromium.get_log("browser")  # drain: each test reads only its own console
    return chromium


def open_page(browser, url: str, until=("ready",)) -> str:
    browser.get("about:blank")  # a fresh document even when only the fragment differs
    browser.get(url)
    root = browser.find_element("id", "dashboard")
    wait_for(browser, lambda: root.get_attribute("data-state") in ("ready", "error", "needs-token"))
    state = root.get_attribute("data-state")
    assert state in until, (state, browser.find_element("id", "message").text)
    return state


def shown(browser, selector: str) -> dict[str, dict]:
    return {row["key"]: row["cells"] for row in browser.execute_script(READ_TABLE, selector)}


def krs_shown(browser, objective_title: str) -> dict[str, dict]:
    return shown(browser, f'article[data-title="{objective_title}"] table.krs tbody tr')


def open_objective(browser, title: str):
    card = browser.find_element("css selector", f'article[data-title="{title}"]')
    button = card.find_element("css selector", "button.disclosure")
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    wait_for(browser, lambda: browser.find_element("css selector", f'article[data-title="{title}"] .detail')
             .get_attribute("data-loaded") == "true")
    return browser.find_element("css selector", f'article[data-title="{title}"]')


def severe_logs(browser) -> list:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]


def assert_only_loopback(browser, live_server) -> None:
    requests = browser.execute_script(READ_REQUESTS)
    assert requests and all(r.startswith(live_server.base_url + "/") for r in requests), requests


def screenshot(browser, name: str, width: int) -> Path:
    """A full-page screenshot at `width` CSS pixels (Chromium's own capture beyond the viewport)."""
    import base64

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(width, 1000)
    size = browser.execute_script("return [document.documentElement.clientWidth, document.documentElement.scrollHeight]")
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": size[0], "height": min(size[1], 8000), "scale": 1}})
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def assert_same_figures(cells: dict, figures: dict) -> None:
    team = figures["team"]["name"]
    for field in DECIMALS + RATIOS + COUNTS:
        if field not in cells:
            assert field in ("payoutsAccrued", "wastedSellingCost") and figures[field] is None, (team, field)
            continue
        value, cell = figures[field], cells[field]
        if value is None:
            assert cell["state"] in ("hidden", "none") and cell["text"] in ("⊘ hidden", "none"), (team, field, cell)
        elif field in DECIMALS:
            assert cell["value"] == value and cell["text"] == f"{Decimal(value):,}", (team, field, cell, value)
        elif field in RATIOS:
            assert float(cell["value"]) == value and cell["text"] == f"{value * 100:.1f}%", (team, field, cell, value)
        else:
            assert int(cell["value"]) == value and cell["text"] == str(value), (team, field, cell, value)


def test_the_workspace_shows_every_goal_figure_and_chart_as_the_api_gives_them(org, api, admin, browser, live_server):
    token = org.sales_leader
    open_page(browser, f"{live_server.base_url}/#token={token}")
    assert token not in browser.current_url  # the token left the address bar...
    assert browser.execute_script("return sessionStorage.getItem('sharedgoals.token')") == token  # ...for the tab
    assert browser.find_element("id", "period").get_attribute("value") == "2026-Q4"  # the current period

    # Every objective and key result of the period, with the API's figures.
    objectives = [e["node"] for e in api.gql(OBJECTIVES, {"period": "2026-Q4"}, token)["objectives"]["edges"]]
    cards = browser.find_elements("css selector", "#objectives article.objective")
    assert [c.get_attribute("data-title") for c in cards] == [o["title"] for o in objectives]
    assert len(objectives) == 2
    for o in objectives:
        card = browser.find_element("css selector", f'article[data-title="{o["title"]}"]')
        progress = card.find_element("css selector", '[data-field="progress"]')
        assert float(progress.get_attribute("data-value")) == o["progress"]
        assert card.find_element("css selector", '[data-field="status"]').get_attribute("data-value") == o["status"]
        owners = json.loads(card.find_element("css selector", '[data-field="owners"]').get_attribute("data-value"))
        assert owners == [{"team": s["team"]["name"], "share": s["share"]} for s in o["owners"]]
        rows = krs_shown(browser, o["title"])
        assert set(rows) == {k["title"] for k in o["keyResults"]}
        for k in o["keyResults"]:
            cells = rows[k["title"]]
            assert cells["current"]["value"] == k["current"] and cells["target"]["value"] == k["target"], cells
            assert float(cells["progress"]["value"]) == k["progress"] and cells["status"]["value"] == k["status"]
            confidence = k["checkIns"][0]["confidence"] if k["checkIns"] else None
            assert cells["confidence"]["value"] == ("" if confidence is None else str(confidence)), cells
    meetings = krs_shown(browser, "Grow bookings")["Qualified meetings"]
    assert meetings["current"]["text"] == "12" and meetings["confidence"]["text"] == "60.0%"

    # The period header: expected progress as the API computes it, the company's bookings against the shared
    # objective's BOOKINGS key result.
    fact = lambda key: browser.find_element("css selector", f'[data-fact="{key}"]').text  # noqa: E731
    assert fact("expectedProgress") == f"{objectives[0]['expectedProgress'] * 100:.1f}%"
    company = api.gql(COMPANY, {"period": "2026-Q4"}, token)["companyContribution"]
    assert fact("bookings") == f"{Decimal(company['bookings']):,}" == "30,000.00"
    shared = browser.find_element("css selector", "#bookings-goals li").text
    assert "Bookings" in shared and "30,000.00 of 60,000.00" in shared and "Grow bookings" in shared
    assert "the company's bookings are 50.0% of its target" in shared

    # Team contribution with the change against the previous period; the team column stays while figures scroll.
    expected = {t["team"]["name"]: t for t in
                api.post(CONTRIBUTION, {"period": "2026-Q4"}, token)["data"]["teamContribution"]}
    rows = shown(browser, "#contribution tbody tr")
    assert set(rows) == set(expected) >= {"Field Sales", "Demand Generation"}
    for name, figures in expected.items():
        assert_same_figures(rows[name], figures)
    assert rows["Demand Generation"]["attributedBookings"]["text"] == "20,000.00"
    assert rows["Field Sales"]["sals"]["delta"] == "▲ 1"  # one SAL now, none in 2026-Q3
    assert browser.execute_script("return getComputedStyle(document.querySelector('#contribution tbody th')).position") \
        == "sticky"

    # The attribution models side by side, drawn by the chart library with the API's numbers.
    columns = api.gql(ATTRIBUTION, {"period": "2026-Q4"}, token)["attributionComparison"]
    chart = browser.execute_script(READ_CHART, "#chart-attribution")
    keys = [line["label"] for line in columns[0]["lines"]]
    assert chart["labels"][:len(keys)] == keys
    assert [d["label"] for d in chart["datasets"]] == ["first touch", "last touch", "linear", "w shaped"]
    for column, dataset in zip(columns, chart["datasets"]):
        by_label = {line["label"]: float(line["bookings"]) for line in column["lines"]}
        assert {label: value for label, value in zip(chart["labels"], dataset["data"]) if label in by_label} == by_label

    # The charts that need the history fields say so when this server has none of them.
    for figure, (type_name, field) in {"#chart-progress": ("Objective", "series"),
                                       "#chart-teams": ("TeamContribution", "goalProgressSeries"),
                                       "#chart-funnel": ("Query", "funnelCohort"),
                                       "#chart-sla": ("SlaReport", "weeks")}.items():
        if not has_field(api, admin, type_name, field):
            drawn = browser.execute_script(READ_CHART, figure)
            assert drawn["state"] == "unavailable" and "newer API" in drawn["text"], drawn

    assert severe_logs(browser) == []
    assert_only_loopback(browser, live_server)
    open_objective(browser, "Grow bookings")
    wide = screenshot(browser, "workspace-wide-1440", 1440)
    browser.set_window_size(390, 844)
    # no sideways page scroll, once the page has laid itself out at the new width (the resize is not synchronous)
    wait_for(browser, lambda: browser.execute_script("return document.documentElement.scrollWidth") <= 390, timeout=5)
    # On a phone the contribution figures scroll inside their box and the team column stays in view.
    pinned = browser.execute_script("""const box = document.querySelector('#contribution-section .scroll');
      box.scrollLeft = 300; const th = document.querySelector('#contribution tbody th');
      return [box.scrollLeft, th.getBoundingClientRect().left - box.getBoundingClientRect().left];""")
    assert pinned[0] > 0 and abs(pinned[1]) < 2, pinned
    browser.execute_script("document.querySelector('#contribution-section .scroll').scrollLeft = 0")
    phone = screenshot(browser, "workspace-phone-390", 390)
    assert wide.stat().st_size > 0 and phone.stat().st_size > 0


def test_a_check_in_made_on_the_page_is_what_the_api_returns_and_a_refusal_shows_its_message(
        org, api, browser, live_server):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, f"{live_server.base_url}/#token={org.seller_token}")
    # The keyboard alone opens an objective: its title is a button.
    disclosure = browser.find_element("css selector", 'article[data-title="Grow bookings"] button.disclosure')
    browser.execute_script("arguments[0].focus()", disclosure)
    disclosure.send_keys(Keys.ENTER)
    card = open_objective(browser, "Grow bookings")
    assert disclosure.get_attribute("aria-expanded") == "true"
    form = card.find_element("css selector", f'form.check-in-form[data-kr-id="{org.meetings}"]')

    # A confidence above 1: the API's own message, next to the confidence field, and nothing written.
    refused = api.post(CHECK_IN, {"input": {"keyResultId": org.meetings, "confidence": 5}}, org.seller_token)
    [error] = refused["data"]["keyResultCheckIn"]["userErrors"]
    form.find_element("css selector", '[data-path="confidence"]').send_keys("5")
    form.find_element("css selector", 'button[type="submit"]').click()
    slot = form.find_element("css selector", '[data-error-for="confidence"]')
    wait_for(browser, lambda: slot.text != "")
    assert slot.text == f"{error['message']} ({error['code']})" and error["field"] == ["input", "confidence"]
    assert form.find_element("css selector", '[data-path="confidence"]').get_attribute("aria-invalid") == "true"

    # A good check-in: the page shows what the API then returns.
    form.find_element("css selector", '[data-path="confidence"]').clear()
    form.find_element("css selector", '[data-path="value"]').send_keys("17")
    form.find_element("css selector", '[data-path="confidence"]').send_keys("0.75")
    form.find_element("css selector", '[data-path="comment"]').send_keys("Two more webinars booked")
    form.find_element("css selector", 'button[type="submit"]').click()
    wait_for(browser, lambda: krs_shown(browser, "Grow bookings")["Qualified meetings"]["current"]["value"] == "17")
    [grow] = [e["node"] for e in api.gql(OBJECTIVES, {"period": "2026-Q4"}, org.seller_token)["objectives"]["edges"]
              if e["node"]["title"] == "Grow bookings"]
    [kr] = [k for k in grow["keyResults"] if k["title"] == "Qualified meetings"]
    assert kr["checkIns"][0] == {"value": "17", "confidence": 0.75, "comment": "Two more webinars booked"}
    cells = krs_shown(browser, "Grow bookings")["Qualified meetings"]
    assert float(cells["progress"]["value"]) == kr["progress"] and cells["confidence"]["value"] == "0.75"
    newest = browser.find_element("css selector", f'section.kr-detail[data-kr-id="{org.meetings}"] .check-ins li')
    assert "Two more webinars booked" in newest.text and "17" in newest.text
    # The key result was drawn again with its new figures, and the keyboard is where it was (the form's button).
    assert browser.execute_script("return document.activeElement.closest('form.check-in-form').dataset.krId") \
        == org.meetings
    assert severe_logs(browser) == []


def test_a_check_in_made_elsewhere_appears_without_a_reload(org, api, browser, live_server):
    open_page(browser, f"{live_server.base_url}/#token={org.sales_leader}")
    wait_for(browser, lambda: browser.find_element("id", "dashboard").get_attribute("data-live") == "live")
    marker = browser.execute_script("window.__sameDocument = 1; return window.__sameDocument")
    # The subscription is registered once the socket has acked and subscribed: give the server a moment to have it.
    api.run(_registered(org.grow))
    done = api.gql(CHECK_IN, {"input": {"keyResultId": org.meetings, "value": "21", "comment": "From the CRM"}},
                   org.seller_token)["keyResultCheckIn"]
    assert done["userErrors"] == []
    wait_for(browser, lambda: krs_shown(browser, "Grow bookings")["Qualified meetings"]["current"]["value"] == "21")
    assert browser.execute_script("return window.__sameDocument") == marker  # no reload


async def _registered(objective_gid: str) -> None:
    import asyncio

    from strawberry import relay

    from domain import events
    topic = events.objective_topic(int(relay.GlobalID.from_id(objective_gid).node_id))
    for _ in range(250):
        if events.has_subscribers(topic):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the page's subscription was not registered")


def test_a_stale_target_edit_reloads_the_key_result_and_says_so(org, api, browser, live_server):
    open_page(browser, f"{live_server.base_url}/#token={org.sales_leader}")
    card = open_objective(browser, "Grow bookings")
    form = card.find_element("css selector", f'form.target-form[data-kr-id="{org.meetings}"]')
    version = int(form.get_attribute("data-version"))
    target = form.find_element("css selector", '[data-path="target"]')
    target.clear()
    target.send_keys("45")  # the leader is typing when someone else changes the key result
    changed = api.gql(KR_UPDATE, {"input": {"id": org.meetings, "expectedVersion": version, "target": "50"}},
                      org.marketing_leader)["keyResultUpdate"]
    assert changed["userErrors"] == []
    # The live update shows the new figures and keeps the form being typed in (with the version it was read at).
    wait_for(browser, lambda: krs_shown(browser, "Grow bookings")["Qualified meetings"]["target"]["value"] == "50")
    assert target.get_attribute("value") == "45"
    form.find_element("css selector", 'button[type="submit"]').click()
    notice = wait_for(browser, lambda: browser.find_elements("css selector", '[data-notice="reloaded"]'))
    assert "changed by someone else" in notice[0].text and "reloaded" in notice[0].text
    assert krs_shown(browser, "Grow bookings")["Qualified meetings"]["target"]["value"] == "50"  # the API's now
    fresh = browser.find_element("css selector", f'form.target-form[data-kr-id="{org.meetings}"]')
    assert fresh.find_element("css selector", '[data-path="target"]').get_attribute("value") == "50"
    assert int(fresh.get_attribute("data-version")) == changed["keyResult"]["version"]


def test_a_leader_creates_an_objective_from_the_page_after_fixing_what_the_api_refused(org, api, browser, live_server):
    open_page(browser, f"{live_server.base_url}/#token={org.marketing_leader}")
    browser.find_element("id", "new-objective").click()
    form = browser.find_element("id", "objective-form")
    form.find_element("css selector", '[data-path="title"]').send_keys("Grow expansion revenue")
    shares = [form.find_element("css selector", f'[data-path="owners.{i}.share"]') for i in (0, 1)]
    shares[0].send_keys("0.5")
    shares[1].send_keys("0.4")
    form.find_element("css selector", '[data-path="keyResults.0.title"]').send_keys("Expansion deals")
    form.find_element("css selector", '[data-path="keyResults.0.target"]').send_keys("12")
    # Every control of the page (the new objective's form open) has a label; every button says what it does.
    unlabelled = browser.execute_script("""return Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((c) => c.offsetParent !== null && !(c.labels && c.labels.length) && !c.getAttribute('aria-label'))
      .map((c) => c.outerHTML).concat(Array.from(document.querySelectorAll('button'))
      .filter((b) => b.offsetParent !== null && !b.textContent.trim()).map((b) => b.outerHTML));""")
    assert unlabelled == []
    form.find_element("css selector", 'button[type="submit"]').click()
    slot = form.find_element("css selector", '[data-error-for="owners"]')
    wait_for(browser, lambda: slot.text != "")
    teams = [form.find_element("css selector", f'[data-path="owners.{i}.teamId"]').get_attribute("value") for i in (0, 1)]
    refused = api.post(OBJECTIVE_CREATE, {"input": {"title": "Grow expansion revenue", "period": "2026-Q4", "owners": [
        {"teamId": teams[0], "share": "0.5"}, {"teamId": teams[1], "share": "0.4"}]}}, org.marketing_leader)
    [error] = refused["data"]["objectiveCreate"]["userErrors"]
    assert slot.text == f"{error['message']} ({error['code']})"
    assert len(api.gql(OBJECTIVES, {"period": "2026-Q4"}, org.marketing_leader)["objectives"]["edges"]) == 2

    shares[1].clear()
    shares[1].send_keys("0.5")
    form.find_element("css selector", 'button[type="submit"]').click()
    wait_for(browser, lambda: browser.find_elements("css selector", 'article[data-title="Grow expansion revenue"]'))
    created = [e["node"] for e in api.gql(OBJECTIVES, {"period": "2026-Q4"}, org.marketing_leader)["objectives"]["edges"]
               if e["node"]["title"] == "Grow expansion revenue"]
    assert [(s["team"]["name"], s["share"]) for s in created[0]["owners"]] == [("Demand Generation", 0.5),
                                                                               ("Field Sales", 0.5)]
    assert [(k["title"], k["target"]) for k in created[0]["keyResults"]] == [("Expansion deals", "12")]
    assert set(krs_shown(browser, "Grow expansion revenue")) == {"Expansion deals"}

    # A key result added to it in place: a target on the wrong side of the start is the API's refusal, shown
    # next to the target; once fixed the key result is there.
    card = open_objective(browser, "Grow expansion revenue")
    card.find_element("css selector", "details.add-kr summary").click()
    add = card.find_element("css selector", "form.add-kr-form")
    add.find_element("css selector", '[data-path="keyResults.0.title"]').send_keys("Expansion pipeline")
    add.find_element("css selector", '[data-path="keyResults.0.start"]').clear()
    add.find_element("css selector", '[data-path="keyResults.0.start"]').send_keys("10")
    add.find_element("css selector", '[data-path="keyResults.0.target"]').send_keys("5")
    add.find_element("css selector", 'button[type="submit"]').click()
    slot = add.find_element("css selector", '[data-error-for="keyResults.0.target"]')
    wait_for(browser, lambda: slot.text != "")
    wrong = api.post(KR_CREATE, {"input": {"objectiveId": created[0]["id"], "title": "Expansion pipeline",
                                           "kind": "INCREASE_TO", "unit": "COUNT", "start": "10", "target": "5"}},
                     org.marketing_leader)["data"]["keyResultCreate"]["userErrors"]
    assert [e["field"] for e in wrong] == [["input", "target"]]
    assert slot.text == f"{wrong[0]['message']} ({wrong[0]['code']})"
    target = add.find_element("css selector", '[data-path="keyResults.0.target"]')
    target.clear()
    target.send_keys("25")
    add.find_element("css selector", 'button[type="submit"]').click()
    wait_for(browser, lambda: "Expansion pipeline" in krs_shown(browser, "Grow expansion revenue"))
    [again] = [e["node"] for e in api.gql(OBJECTIVES, {"period": "2026-Q4"}, org.marketing_leader)["objectives"]["edges"]
               if e["node"]["title"] == "Grow expansion revenue"]
    assert [(k["title"], k["target"]) for k in again["keyResults"]] == [("Expansion deals", "12"),
                                                                         ("Expansion pipeline", "25")]


def test_a_quarter_is_rolled_over_and_an_ended_one_closed_from_the_page(org, api, browser, live_server):
    # Roll 2026-Q4 over as its leader: 2027-Q1 then holds the copies the API lists.
    open_page(browser, f"{live_server.base_url}/#token={org.sales_leader}")
    browser.find_element("css selector", "#rollover-form button").click()
    done = wait_for(browser, lambda: browser.find_elements("css selector", "[data-rolled-over]"))
    copies = api.gql(OBJECTIVES, {"period": "2027-Q1"}, org.sales_leader)["objectives"]["edges"]
    # (the sales leader's own: the marketing-only objective is not theirs to copy)
    assert int(done[0].get_attribute("data-rolled-over")) == len(copies) == 1
    assert copies[0]["node"]["title"] == "Grow bookings" and "2027-Q1" in done[0].text
    # A second roll-over is refused with the API's message.
    browser.find_element("css selector", "#rollover-form button").click()
    slot = browser.find_element("css selector", '#rollover-form [data-error-for=""]')
    wait_for(browser, lambda: "DUPLICATE" in slot.text)

    # 2026-Q3 has ended: its sales leader signs it off for the sales side from the page...
    open_page(browser, f"{live_server.base_url}/#token={org.sales_leader}&period=2026-Q3")
    browser.find_element("id", "preview-close").click()
    sign = wait_for(browser, lambda: browser.find_elements("css selector", '#close-form button[value="signOff"]'))
    assert not browser.find_elements("css selector", '#close-form button[value="close"]')  # viewerCan.close is false
    sign[0].click()
    signed = wait_for(browser, lambda: browser.find_elements("css selector", '[data-fact="signOffs"]'))
    assert signed[0].text == "sales by Sam Lead"
    period = api.gql('{ period(key: "2026-Q3") { status closeSignOffs { side person { name } } } }', None, org.finance)
    assert period["period"] == {"status": "OPEN", "closeSignOffs": [{"side": "SALES", "person": {"name": "Sam Lead"}}]}

    # ...and finance previews and closes it: the page then says it is closed and shows the frozen scores.
    open_page(browser, f"{live_server.base_url}/#token={org.finance}&period=2026-Q3")
    browser.find_element("id", "preview-close").click()
    close = wait_for(browser, lambda: browser.find_elements("css selector", '#close-form button[value="close"]'))
    assert "Launch the partner channel" in browser.find_element("id", "close-panel").text
    close[0].click()
    banner = browser.find_element("id", "closed-banner")
    wait_for(browser, lambda: banner.is_displayed() and "closed" in banner.text)
    [q3] = [e["node"] for e in api.gql(OBJECTIVES, {"period": "2026-Q3"}, org.finance)["objectives"]["edges"]]
    assert q3["score"] is not None
    score = browser.find_element("css selector", 'article[data-title="Launch the partner channel"] [data-field="score"]')
    assert float(score.get_attribute("data-value")) == q3["score"] and "Final score" in score.text
    assert browser.find_element("css selector", '[data-fact="status"]').text == "closed"
    assert not browser.find_elements("id", "rollover-form") and not browser.find_elements("id", "preview-close")
    wait_for(browser, lambda: browser.find_element("id", "dashboard").get_attribute("data-state") == "ready")
    assert severe_logs(browser) == []
    screenshot(browser, "workspace-closed-quarter-1440", 1440)


def test_a_leader_sees_hidden_pay_as_hidden_and_a_member_gets_no_pay_columns(org, api, browser, live_server):
    open_page(browser, f"{live_server.base_url}/#token={org.marketing_leader}")
    rows = shown(browser, "#contribution tbody tr")
    assert rows["Field Sales"]["payoutsAccrued"]["state"] == "hidden"
    assert rows["Field Sales"]["payoutsAccrued"]["text"] == "⊘ hidden"
    assert rows["Demand Generation"]["payoutsAccrued"]["value"] == "0.00"
    for figures in api.post(CONTRIBUTION, {"period": "2026-Q4"}, org.marketing_leader)["data"]["teamContribution"]:
        assert_same_figures(rows[figures["team"]["name"]], figures)
    # "none" (no data) is not "hidden": a team with no SLA-bound leads has no compliance, for everyone.
    assert {r["slaCompliance"]["state"] for r in rows.values()} <= {"value", "none"}

    open_page(browser, f"{live_server.base_url}/#token={org.seller_token}")
    rows = shown(browser, "#contribution tbody tr")
    assert all("payoutsAccrued" not in cells and "wastedSellingCost" not in cells for cells in rows.values())
    assert "may not see any team's pay" in browser.find_element("css selector", ".pay-note").text
    assert not browser.find_element("id", "new-objective").is_displayed()  # a member creates no objective


def test_a_refused_token_asks_for_another_and_a_pasted_one_opens_the_page(org, api, browser, live_server):
    open_page(browser, f"{live_server.base_url}/#token=sg_not-a-real-token", until=("needs-token",))
    assert browser.find_element("id", "token-form").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('sharedgoals.token')") is None
    browser.find_element("id", "token-input").send_keys(org.finance)
    browser.find_element("css selector", "#token-form button[type=submit]").click()
    root = browser.find_element("id", "dashboard")
    wait_for(browser, lambda: root.get_attribute("data-state") in ("ready", "error"))
    assert root.get_attribute("data-state") == "ready", browser.find_element("id", "message").text
    rows = shown(browser, "#contribution tbody tr")
    for figures in api.gql(CONTRIBUTION, {"period": "2026-Q4"}, org.finance)["teamContribution"]:
        assert_same_figures(rows[figures["team"]["name"]], figures)


def test_without_a_token_the_page_asks_for_one(api, browser, live_server):
    open_page(browser, f"{live_server.base_url}/", until=("needs-token",))
    assert browser.find_element("id", "token-form").is_displayed()
    assert not browser.find_element("id", "contribution-section").is_displayed()


# --- the charts of the history fields (issue 18, point 1): they run once the API has them --------------------------
SERIES = """query($id: ID!) { node(id: $id) { ... on Objective { title series(every: WEEK) { on progress expectedProgress }
  keyResults { title series(every: WEEK) { on progress } } } } }"""
TEAM_SERIES = """query($period: String!) { teamContribution(period: $period) { team { name }
  goalProgressSeries(every: WEEK) { on progress } } }"""
FUNNEL = """query($period: String!) { funnelCohort(period: $period) { team { name } mqls sals sqls won } }"""
SLA_WEEKS = """query($period: String!) { slaReport(period: $period) { weeks { start marketing { compliance }
  sales { compliance } } } }"""


def test_the_progress_charts_draw_the_api_series(org, api, admin, browser, live_server):
    needs(api, admin, "Objective", "series")
    needs(api, admin, "KeyResult", "series")
    open_page(browser, f"{live_server.base_url}/#token={org.sales_leader}")
    series = api.gql(SERIES, {"id": org.grow}, org.sales_leader)["node"]
    chart = browser.execute_script(READ_CHART, "#chart-progress")
    [line] = [d for d in chart["datasets"] if d["label"] == "Grow bookings"]
    by_day = dict(zip(chart["labels"], line["data"]))
    assert {p["on"]: by_day[p["on"]] for p in series["series"]} == {p["on"]: p["progress"] for p in series["series"]}
    [expected] = [d for d in chart["datasets"] if d["label"] == "Expected"]
    assert [p["expectedProgress"] for p in series["series"]] == [
        v for day, v in zip(chart["labels"], expected["data"]) if day in {p["on"] for p in series["series"]}]

    if has_field(api, admin, "TeamContribution", "goalProgressSeries"):
        teams = api.post(TEAM_SERIES, {"period": "2026-Q4"}, org.sales_leader)["data"]["teamContribution"]
        chart = browser.execute_script(READ_CHART, "#chart-teams")
        for team in teams:
            if not any(p["progress"] is not None for p in team["goalProgressSeries"]):
                continue
            [line] = [d for d in chart["datasets"] if d["label"] == team["team"]["name"]]
            by_day = dict(zip(chart["labels"], line["data"]))
            assert [by_day[p["on"]] for p in team["goalProgressSeries"]] == [
                p["progress"] for p in team["goalProgressSeries"]], team["team"]["name"]

    card = open_objective(browser, "Grow bookings")
    figure_id = card.find_element("css selector", ".detail figure.chart").get_attribute("id")
    detail = browser.execute_script(READ_CHART, f"#{figure_id}")
    for k in series["keyResults"]:
        [line] = [d for d in detail["datasets"] if d["label"] == k["title"]]
        by_day = dict(zip(detail["labels"], line["data"]))
        assert [by_day[p["on"]] for p in k["series"]] == [p["progress"] for p in k["series"]], k["title"]
    assert severe_logs(browser) == []


def test_the_cohort_funnel_and_the_weekly_sla_draw_the_api_numbers(org, api, admin, browser, live_server):
    needs(api, admin, "Query", "funnelCohort")
    needs(api, admin, "SlaReport", "weeks")
    open_page(browser, f"{live_server.base_url}/#token={org.sales_leader}")
    funnel = api.gql(FUNNEL, {"period": "2026-Q4"}, org.sales_leader)["funnelCohort"]
    chart = browser.execute_script(READ_CHART, "#chart-funnel")
    assert chart["labels"] == ["MQL", "SAL", "SQL", "Won"]
    assert {d["label"]: d["data"] for d in chart["datasets"]} == {
        (line["team"]["name"] if line["team"] else "No first touch"): [line["mqls"], line["sals"], line["sqls"], line["won"]]
        for line in funnel}
    weeks = api.gql(SLA_WEEKS, {"period": "2026-Q4"}, org.sales_leader)["slaReport"]["weeks"]
    chart = browser.execute_script(READ_CHART, "#chart-sla")
    assert chart["labels"] == [w["start"][:10] for w in weeks]
    assert {d["label"]: d["data"] for d in chart["datasets"]} == {
        "Marketing": [w["marketing"]["compliance"] for w in weeks], "Sales": [w["sales"]["compliance"] for w in weeks]}
    assert severe_logs(browser) == []
