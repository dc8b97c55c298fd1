"""Every figure of the common view can be traced to its rows: counting or summing the rows of a team's trace gives
the figure exactly; the pay and cost rows are as private as their totals; a trace costs the same number of SQL
statements however many rows its page holds."""
from collections import defaultdict
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from tests.api.fixtures import write_deal as _deal
from tests.api.leads_support import Org
from tests.api.support import codes, create_person
from tests.harness import snapshot

UTC = timezone.utc
PERIOD = "2026-Q4"
NOW = datetime(2026, 11, 20, tzinfo=UTC)
SALES, MARKETING = "Field Sales", "Demand Generation"


def at(d, m=10, h=12, minute=0):
    return datetime(2026, m, d, h, minute, tzinfo=UTC)


FIGURES = """query($p: String!) { teamContribution(period: $p) { team { name } mqlsDelivered sals sqls sourcedPipeline
  influencedPipeline attributedBookings slaCompliance payoutsAccrued wastedSellingCost } }"""

PLAN = """mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) { userErrors { field code } } }"""
SLA = """mutation($input: SlaAgreementCreateInput!) { slaAgreementCreate(input: $input) { userErrors { field code } } }"""

# What each trace's nodes are asked for: enough to check the figure, and nested records to count statements by.
NODES = {
    "mqlLeads": "externalId stage owner { name team { name } } firstTouchTeam { name } facts { mqlAt salAt }",
    "salLeads": "externalId stage owner { name team { name } } facts { salAt }",
    "sqlLeads": "externalId stage owner { name team { name } } facts { sqlAt }",
    "sourcedDeals": "name amount createdAt owner { name } lead { externalId } sourcedTeam { name } "
                    "credits { amount team { name } }",
    "influencedDeals": "name amount createdAt owner { name } lead { externalId } influencingTeams { name }",
    "bookingCredits": "amount weight at channel team { name } person { name team { name } } "
                      "opportunity { name amount status owner { name } }",
    "slaItems": "side item state met due doneAt lead { externalId owner { name } } person { name }",
    "payoutLines": "kind component amount person { name team { name } } "
                   "line { component payout deals { name } leads { externalId } } adjustment { amount reason }",
    "wastedSellingTouchpoints": "at channel minutes costPerSellingHour cost lead { externalId stage } "
                                "person { name team { name } }",
}
PRIVATE = ("payoutLines", "wastedSellingTouchpoints")

TRACE = """query($p: String!, $first: Int!, $after: String) { teamContribution(period: $p) { team { name }
  %s(first: $first, after: $after) { edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } } }"""


def _journeys(org, api, n: int) -> None:
    """One copy (suffix n) of the quarter's lead journeys, each shaped to land in a different set of figures."""
    s = f"-{n}" if n else ""
    mkt = dict(kind="MARKETING", team=MARKETING, person="dana@example.com")
    # L-1: marketing's MQL, handed over late, accepted, SQL, won in the quarter (sourced by marketing, influenced both)
    lead = org.lead(f"L-1{s}", company=f"Acme{s}")
    org.touch(lead, at(1, h=9), channel="webinar", external_id=f"t1{s}", **mkt)
    org.events(lead, (at(2), "STAGE", "MQL"), (at(3), "ASSIGNED", None, "seller@example.com"),
               (at(4), "STAGE", "SAL"), (at(6), "STAGE", "SQL"))
    org.touch(lead, at(5), channel="call", minutes=60, external_id=f"t2{s}")
    _deal(api, lead, 3_000_000, at(7), closed=at(25), owner="seller@example.com", external_id=f"O-1{s}")
    # L-2: marketing's MQL, handed to Omar, worked for 65 minutes, then recycled: wasted selling time
    lead = org.lead(f"L-2{s}", company=f"Brightside{s}")
    org.touch(lead, at(3, h=9), channel="email", external_id=f"t3{s}", **mkt)
    org.events(lead, (at(4), "STAGE", "MQL"), (at(4, h=13), "ASSIGNED", None, "omar@example.com"),
               (at(10), "STAGE", "RECYCLED", None, "NO_BUDGET"))
    org.touch(lead, at(5), person="omar@example.com", minutes=45, external_id=f"t4{s}")
    org.touch(lead, at(8), person="omar@example.com", channel="email", minutes=20, external_id=f"t5{s}")
    # L-3: sales' own MQL (first touch by the seller), accepted, then disqualified; an open deal sourced by sales;
    # the sales leader (who has no annual cost) logged 15 of its wasted minutes
    lead = org.lead(f"L-3{s}", company=f"Cobalt{s}")
    org.touch(lead, at(2, h=9), minutes=30, external_id=f"t6{s}")
    org.events(lead, (at(3), "STAGE", "MQL"), (at(3, h=13), "ASSIGNED", None, "seller@example.com"),
               (at(5), "STAGE", "SAL"), (at(12), "STAGE", "DISQUALIFIED", None, "NOT_ICP"))
    org.touch(lead, at(9), minutes=25, external_id=f"t7{s}")
    org.touch(lead, at(11), person="saleslead@example.com", minutes=15, external_id=f"t8{s}")
    _deal(api, lead, 1_234_567, at(8), status="OPEN", owner="seller@example.com", external_id=f"O-3{s}")
    # L-4: marketing's MQL, handed over at once, SQL, created in October and won in November by Omar
    lead = org.lead(f"L-4{s}", company=f"Dune{s}")
    org.touch(lead, at(20, h=9), channel="webinar", external_id=f"t9{s}", **mkt)
    org.events(lead, (at(21), "STAGE", "MQL"), (at(21, h=12, minute=30), "ASSIGNED", None, "seller@example.com"),
               (at(22), "STAGE", "SAL"), (at(23), "STAGE", "SQL"))
    org.touch(lead, at(22, h=10), channel="demo", external_id=f"t10{s}")
    _deal(api, lead, 777_777, at(24), closed=at(10, m=11), owner="omar@example.com", external_id=f"O-4{s}")
    # L-5: an MQL of the previous quarter whose deal is won in this one: bookings, not pipeline
    lead = org.lead(f"L-5{s}", company=f"Evergreen{s}")
    org.touch(lead, at(1, m=9), channel="webinar", external_id=f"t11{s}", **mkt)
    org.events(lead, (at(2, m=9), "STAGE", "MQL"), (at(3, m=9), "ASSIGNED", None, "seller@example.com"),
               (at(4, m=9), "STAGE", "SAL"))
    _deal(api, lead, 2_000_000, at(15, m=9), closed=at(15), owner="seller@example.com", external_id=f"O-5{s}")
    # O-6: a deal without a lead, so without touches: UNATTRIBUTED, no team's credit
    _deal(api, None, 500_000, at(2), closed=at(30), owner="omar@example.com", external_id=f"O-6{s}")


def _plan(api, org, person_id, target, components):
    result = api.gql(PLAN, {"input": {"personId": person_id, "period": PERIOD, "targetVariable": target,
                                      "components": components}}, org.finance)["compPlanCreate"]
    assert result["userErrors"] == [], result


@snapshot
def org(api, admin):
    api.set_now(NOW)
    org = Org(api, admin)
    org.admin = admin
    org.finance = api.token("FINANCE")
    # Omar: 100,000 a year over 10 × 48 selling hours is 208.33 an hour
    org.omar = create_person(api, admin, org.sales, email="omar@example.com", name="Omar Outbound",
                             annualCost="100000", sellingHoursPerWeek="10")
    org.omar_token = api.token(person="omar@example.com")
    _journeys(org, api, 0)
    agreed = api.gql(SLA, {"input": {"period": PERIOD, "marketingTeamId": org.marketing, "salesTeamId": org.sales,
                                     "mqlVolume": 3, "acceptanceRateTarget": 0.5, "handoverHours": "4",
                                     "followUpHours": "24", "followUpRateTarget": 0.8, "decisionDays": "5"}},
                     org.sales_leader)["slaAgreementCreate"]
    assert agreed["userErrors"] == []
    _plan(api, org, org.seller["id"], "20000", [
        {"name": "Own bookings", "metric": "OWN_BOOKINGS", "quota": "60000", "weight": "1"}])
    _plan(api, org, org.omar["id"], "10000", [
        {"name": "Team bookings", "metric": "TEAM_BOOKINGS", "quota": "100000", "weight": "0.5"},
        {"name": "MQLs", "metric": "MQLS_DELIVERED", "quota": "2", "weight": "0.5"}])
    _plan(api, org, org.marketer["id"], "10000", [
        {"name": "Attributed bookings", "metric": "ATTRIBUTED_BOOKINGS", "quota": "50000", "weight": "1"}])
    return org


def _teams(api, token, query=FIGURES, period=PERIOD):
    return {r["team"]["name"]: r for r in api.gql(query, {"p": period}, token)["teamContribution"]}


def _trace(api, token, field, team, page_size=2, period=PERIOD):
    """Every row of a team's trace, walked page by page with the cursors the API gives out."""
    rows, after, seen = [], None, set()
    while True:
        data = {r["team"]["name"]: r for r in api.gql(TRACE % (field, NODES[field]),
                                                      {"p": period, "first": page_size, "after": after},
                                                      token)["teamContribution"]}
        connection = data[team][field]
        assert len(connection["edges"]) <= page_size
        for edge in connection["edges"]:
            assert edge["cursor"] not in seen
            seen.add(edge["cursor"])
            rows.append(edge["node"])
        if not connection["pageInfo"]["hasNextPage"]:
            return rows
        after = connection["pageInfo"]["endCursor"]


def _money(rows, key="amount"):
    return sum((Decimal(r[key]) for r in rows), Decimal("0.00"))


# --- each figure and its rows ---------------------------------------------------------------------

def test_mqls_delivered_are_the_leads_first_touched_by_the_team_that_became_mql_in_the_period(org, api):
    teams = _teams(api, org.finance)
    for team in (SALES, MARKETING):
        leads = _trace(api, org.finance, "mqlLeads", team)
        assert len(leads) == teams[team]["mqlsDelivered"]
        assert all(lead["firstTouchTeam"]["name"] == team for lead in leads)
        assert all(lead["facts"]["mqlAt"].startswith("2026-1") for lead in leads)
    assert [x["externalId"] for x in _trace(api, org.finance, "mqlLeads", MARKETING)] == ["L-1", "L-2", "L-4"]
    assert [x["externalId"] for x in _trace(api, org.finance, "mqlLeads", SALES)] == ["L-3"]


def test_sals_and_sqls_are_the_owner_teams_leads_accepted_or_qualified_in_the_period(org, api):
    teams = _teams(api, org.finance)
    sals, sqls = _trace(api, org.finance, "salLeads", SALES), _trace(api, org.finance, "sqlLeads", SALES)
    assert (len(sals), len(sqls)) == (teams[SALES]["sals"], teams[SALES]["sqls"]) == (3, 2)
    assert [x["externalId"] for x in sals] == ["L-1", "L-3", "L-4"]  # L-5 was accepted in the previous quarter
    assert [x["externalId"] for x in sqls] == ["L-1", "L-4"]
    assert all(x["owner"]["team"]["name"] == SALES for x in sals + sqls)
    assert _trace(api, org.finance, "salLeads", MARKETING) == [] and teams[MARKETING]["sals"] == 0


def test_sourced_pipeline_is_the_amount_of_the_deals_the_team_touched_first(org, api):
    teams = _teams(api, org.finance)
    for team in (SALES, MARKETING):
        deals = _trace(api, org.finance, "sourcedDeals", team, page_size=1)
        assert _money(deals) == Decimal(teams[team]["sourcedPipeline"])
        assert all(d["sourcedTeam"]["name"] == team for d in deals)
    assert [d["name"] for d in _trace(api, org.finance, "sourcedDeals", MARKETING)] == ["Deal O-1", "Deal O-4"]
    assert teams[MARKETING]["sourcedPipeline"] == "37777.77" and teams[SALES]["sourcedPipeline"] == "12345.67"


def test_influenced_pipeline_is_the_amount_of_every_deal_the_team_touched_before_it_was_created(org, api):
    teams = _teams(api, org.finance)
    for team in (SALES, MARKETING):
        deals = _trace(api, org.finance, "influencedDeals", team)
        assert _money(deals) == Decimal(teams[team]["influencedPipeline"])
        assert all(team in {t["name"] for t in d["influencingTeams"]} for d in deals)
    assert [d["name"] for d in _trace(api, org.finance, "influencedDeals", SALES)] == [
        "Deal O-1", "Deal O-3", "Deal O-4"]
    assert teams[SALES]["influencedPipeline"] == "50123.44"


def test_attributed_bookings_are_the_credit_lines_of_the_teams_touches_on_deals_won_in_the_period(org, api):
    teams = _teams(api, org.finance)
    for team in (SALES, MARKETING):
        credits = _trace(api, org.finance, "bookingCredits", team)
        assert _money(credits) == Decimal(teams[team]["attributedBookings"])
        assert all(c["team"]["name"] == team and c["opportunity"]["status"] == "WON" for c in credits)
    marketing = _trace(api, org.finance, "bookingCredits", MARKETING)
    # W_SHAPED: first touch = lead creation (the webinar) 2/3 and opportunity creation 1/3; O-5 was touched once
    assert [(c["opportunity"]["name"], c["channel"], c["amount"]) for c in marketing] == [
        ("Deal O-1", "webinar", "20000.00"), ("Deal O-4", "webinar", "5185.18"), ("Deal O-5", "webinar", "20000.00")]
    assert teams[MARKETING]["attributedBookings"] == "45185.18" and teams[SALES]["attributedBookings"] == "12592.59"
    # with the unattributed deal (O-6, 5,000.00), the teams' credit is the company's bookings
    company = api.gql('{ companyContribution(period: "2026-Q4") { bookings } }', token=org.finance)
    assert Decimal(company["companyContribution"]["bookings"]) == \
        Decimal(teams[MARKETING]["attributedBookings"]) + Decimal(teams[SALES]["attributedBookings"]) + 5000


def test_sla_compliance_is_met_over_counted_of_the_sides_commitments(org, api):
    teams = _teams(api, org.finance)
    for team, side, (met, counted) in ((MARKETING, "MARKETING", (2, 3)), (SALES, "SALES", (7, 9))):
        items = _trace(api, org.finance, "slaItems", team)
        assert all(i["side"] == side and i["state"] != "PENDING" for i in items)
        assert all(i["met"] == (i["state"] == "MET") for i in items)
        assert (sum(i["met"] for i in items), len(items)) == (met, counted)
        assert teams[team]["slaCompliance"] == round(met / counted, 6)  # a ratio: 6 places
    report = api.gql("""{ slaReport(period: "2026-Q4") { marketing { met counted } sales { met counted } } }""",
                     token=org.finance)["slaReport"]
    assert report == {"marketing": {"met": 2, "counted": 3}, "sales": {"met": 7, "counted": 9}}
    late = [(i["lead"]["externalId"], i["item"], i["state"]) for i in _trace(api, org.finance, "slaItems", SALES)
            if not i["met"]]
    assert late == [("L-1", "FOLLOW_UP", "MISSED"), ("L-2", "DECISION", "MISSED")]


def test_payouts_accrued_are_the_lines_of_the_teams_peoples_statements(org, api):
    teams = _teams(api, org.finance)
    for team in (SALES, MARKETING):
        lines = _trace(api, org.finance, "payoutLines", team)
        assert _money(lines) == Decimal(teams[team]["payoutsAccrued"])
        assert all(x["person"]["team"]["name"] == team and x["kind"] == "ACCRUED" for x in lines)
    sales = _trace(api, org.finance, "payoutLines", SALES)
    assert [(x["person"]["name"], x["component"]) for x in sales] == [
        ("Sofia Seller", "Own bookings"), ("Omar Outbound", "Team bookings"), ("Omar Outbound", "MQLs")]
    statements = api.gql('{ compStatements(period: "2026-Q4") { person { team { name } } totalPayout } }',
                         token=org.finance)["compStatements"]
    assert _money([s for s in statements if s["person"]["team"]["name"] == SALES], "totalPayout") == \
        Decimal(teams[SALES]["payoutsAccrued"])


def test_adjustments_of_a_closed_period_are_rows_of_payouts_accrued(org, api):
    closed = api.gql('mutation { periodClose(input: {period: "2026-Q4", reason: "early close"}) { userErrors { code } } }',
                     token=org.admin)["periodClose"]
    assert closed["userErrors"] == []
    adjusted = api.gql("""mutation($input: CompAdjustmentCreateInput!) { compAdjustmentCreate(input: $input) {
        userErrors { code } } }""", {"input": {"personId": org.seller["id"], "period": PERIOD, "amount": "-123.45",
                                               "reason": "a booking reversed", "component": "Own bookings"}},
                       org.finance)["compAdjustmentCreate"]
    assert adjusted["userErrors"] == []
    teams = _teams(api, org.finance)
    lines = _trace(api, org.finance, "payoutLines", SALES)
    assert [x["kind"] for x in lines] == ["LOCKED", "ADJUSTMENT", "LOCKED", "LOCKED"]
    assert lines[1]["adjustment"] == {"amount": "-123.45", "reason": "a booking reversed"} and lines[1]["line"] is None
    assert _money(lines) == Decimal(teams[SALES]["payoutsAccrued"])


def test_wasted_selling_cost_is_the_minutes_of_the_handed_back_leads_touches_at_each_sellers_cost(org, api):
    teams = _teams(api, org.finance)
    touches = _trace(api, org.finance, "wastedSellingTouchpoints", SALES)
    assert [(t["lead"]["externalId"], t["person"]["name"], t["minutes"], t["costPerSellingHour"], t["cost"])
            for t in touches] == [
        ("L-2", "Omar Outbound", 45, "208.33", "156.25"), ("L-2", "Omar Outbound", 20, "208.33", "69.44"),
        ("L-3", "Sofia Seller", 30, "399.00", "199.50"), ("L-3", "Sofia Seller", 25, "399.00", "166.25"),
        ("L-3", "Sam Lead", 15, None, None)]  # no annual cost: his minutes cost nothing
    # each seller's minutes × their cost per selling hour, to the cent, add up to the figure ...
    minutes, rate = defaultdict(int), {}
    for t in touches:
        if t["costPerSellingHour"] is not None:
            minutes[t["person"]["name"]] += t["minutes"]
            rate[t["person"]["name"]] = Decimal(t["costPerSellingHour"])
    per_seller = [(Decimal(m) * rate[name] / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)
                  for name, m in minutes.items()]
    assert sum(per_seller, Decimal("0.00")) == Decimal(teams[SALES]["wastedSellingCost"]) == Decimal("591.44")
    # ... and so do the touches' shares of it
    assert _money([t for t in touches if t["cost"] is not None], "cost") == Decimal(teams[SALES]["wastedSellingCost"])
    # and each seller's own figure is the sum of their touches' shares
    people = api.gql("""{ people(first: 50) { edges { node { name wastedSellingCost(period: "2026-Q4") } } } }""",
                     token=org.finance)["people"]["edges"]
    own = {p["node"]["name"]: p["node"]["wastedSellingCost"] for p in people}
    assert (own["Omar Outbound"], own["Sofia Seller"]) == ("225.69", "365.75")
    assert _trace(api, org.finance, "wastedSellingTouchpoints", MARKETING) == []


def test_every_figure_of_every_team_is_reproduced_by_its_trace(org, api):
    """The whole table at once, for each team, walking the traces one row a page."""
    for team, figures in _teams(api, org.admin).items():
        rows = {field: _trace(api, org.admin, field, team, page_size=1) for field in NODES}
        assert len(rows["mqlLeads"]) == figures["mqlsDelivered"]
        assert (len(rows["salLeads"]), len(rows["sqlLeads"])) == (figures["sals"], figures["sqls"])
        assert _money(rows["sourcedDeals"]) == Decimal(figures["sourcedPipeline"])
        assert _money(rows["influencedDeals"]) == Decimal(figures["influencedPipeline"])
        assert _money(rows["bookingCredits"]) == Decimal(figures["attributedBookings"])
        met, counted = sum(i["met"] for i in rows["slaItems"]), len(rows["slaItems"])
        assert (figures["slaCompliance"] is None) if counted == 0 else \
            figures["slaCompliance"] == round(float(Fraction(met, counted)), 6)
        assert _money(rows["payoutLines"]) == Decimal(figures["payoutsAccrued"])
        assert _money([t for t in rows["wastedSellingTouchpoints"] if t["cost"]], "cost") == \
            Decimal(figures["wastedSellingCost"])


def test_a_trace_refuses_a_page_size_out_of_range_and_a_foreign_cursor(org, api):
    for first, after in ((0, None), (101, None), (5, "not-a-cursor")):
        body = api.post(TRACE % ("mqlLeads", "externalId"), {"p": PERIOD, "first": first, "after": after},
                        org.finance)
        assert body["data"] is None and set(codes(body["errors"])) == {"INVALID"}


def test_the_previous_periods_figures_have_their_traces_too(org, api):
    rows = api.gql("""query($p: String!) { teamContribution(period: $p) { team { name } previousPeriod {
        mqlsDelivered mqlLeads(first: 10) { edges { node { externalId } } } } } }""", {"p": PERIOD},
                   org.finance)["teamContribution"]
    previous = {r["team"]["name"]: r["previousPeriod"] for r in rows}[MARKETING]
    assert previous["mqlsDelivered"] == 1 and previous["mqlLeads"]["edges"] == [{"node": {"externalId": "L-5"}}]


# --- privacy --------------------------------------------------------------------------------------

PAY_ROWS = """query($p: String!) { teamContribution(period: $p) { team { name }
  payoutLines(first: 10) { edges { node { amount person { name } } } }
  wastedSellingTouchpoints(first: 10) { edges { node { minutes cost person { name } } } }
  previousPeriod { payoutLines(first: 10) { edges { node { amount } } }
                   wastedSellingTouchpoints(first: 10) { edges { node { cost } } } } } }"""


def _pay_rows(api, token):
    body = api.post(PAY_ROWS, {"p": PERIOD}, token)
    assert body["data"] is not None, body
    teams = {r["team"]["name"]: r for r in body["data"]["teamContribution"]}
    refused = {(teams_by_index, e["path"][-1]) for e in body.get("errors") or []
               for teams_by_index in [body["data"]["teamContribution"][e["path"][1]]["team"]["name"]]
               if e["extensions"]["code"] == "FORBIDDEN"}
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in body.get("errors") or []), body["errors"]
    return teams, refused


def _visible(row):
    return {field: row[field] is not None for field in PRIVATE} | \
        {f"previous.{field}": row["previousPeriod"][field] is not None for field in PRIVATE}


@pytest.mark.parametrize("who", ["finance", "admin", "sales_leader"])
def test_the_teams_leaders_finance_and_admins_see_its_pay_and_cost_rows(org, api, who):
    teams, refused = _pay_rows(api, getattr(org, who))
    sales = teams[SALES]
    assert all(_visible(sales).values()) and not {r for r in refused if r[0] == SALES}
    assert len(sales["payoutLines"]["edges"]) == 3 and len(sales["wastedSellingTouchpoints"]["edges"]) == 5


@pytest.mark.parametrize("who", ["seller_token", "omar_token", "marketing_leader"])
def test_members_and_other_teams_leaders_get_null_and_forbidden_for_the_pay_and_cost_rows(org, api, who):
    teams, refused = _pay_rows(api, getattr(org, who))
    assert not any(_visible(teams[SALES]).values())  # even the team's own members: pay rows are the leaders'
    assert {(SALES, f) for f in PRIVATE} <= refused
    if who == "marketing_leader":
        assert all(_visible(teams[MARKETING]).values())  # a leader sees their own team's
    else:
        assert not any(_visible(teams[MARKETING]).values())


def test_the_people_in_every_trace_keep_their_pay_private(org, api):
    """A member reaches other people through the public traces (credits, SLA items, lead owners), never their cost."""
    query = """query($p: String!) { teamContribution(period: $p) { team { name }
      bookingCredits(first: 50) { edges { node { person { name annualCost costPerSellingHour } } } }
      slaItems(first: 50) { edges { node { person { name annualCost } } } }
      salLeads(first: 50) { edges { node { owner { name annualCost } } } }
      sourcedDeals(first: 50) { edges { node { owner { name annualCost } } } } } }"""
    body = api.post(query, {"p": PERIOD}, org.omar_token)
    people = []

    def walk(value):
        if isinstance(value, dict):
            if "annualCost" in value and "name" in value:
                people.append(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(body["data"])
    assert {p["name"] for p in people} >= {"Sofia Seller", "Dana Demand"}
    assert all(p["annualCost"] is None for p in people if p["name"] != "Omar Outbound")
    assert set(codes(body["errors"])) == {"FORBIDDEN"}
    assert all(e["path"][-1] in ("annualCost", "costPerSellingHour") for e in body["errors"])
    # the same question from finance sees every cost
    body = api.post(query, {"p": PERIOD}, org.finance)
    assert not body.get("errors"), body["errors"]


# --- the cost of a trace in SQL statements ----------------------------------------------------------

@pytest.mark.parametrize("field", list(NODES))
def test_a_trace_takes_the_same_sql_statements_for_a_page_of_a_few_rows_as_for_many(org, api, field):
    def statements():
        with api.count_queries() as counter:
            data = api.gql(TRACE % (field, NODES[field]), {"p": PERIOD, "first": 100, "after": None}, org.finance)
        rows = sum(len(r[field]["edges"]) for r in data["teamContribution"])
        return rows, counter.count

    few = statements()
    for n in (1, 2, 3):
        _journeys(org, api, n)
    for i in range(3):  # more people with plans, so that the payout lines grow too
        person = create_person(api, org.admin, org.sales, email=f"seller{i}@example.com", name=f"Seller {i}")
        _plan(api, org, person["id"], "1000", [
            {"name": "Own bookings", "metric": "OWN_BOOKINGS", "quota": "1000", "weight": "1"}])
    many = statements()
    assert many[0] > few[0] > 0, (few, many)
    assert many[1] == few[1], (field, few, many)


# --- the company's totals ------------------------------------------------------------------------

COMPANY_NODES = {
    "mqlLeads": "externalId stage owner { name team { name } } firstTouchTeam { name }",
    "salLeads": "externalId owner { name team { name } } facts { salAt }",
    "sqlLeads": "externalId owner { name team { name } } facts { sqlAt }",
    "pipelineDeals": "name amount status owner { name } lead { externalId } sourcedTeam { name }",
    "bookedDeals": "name amount status closedAt owner { name } credits { amount team { name } }",
}
COMPANY = """query($p: String!, $first: Int!, $after: String) { companyContribution(period: $p) {
  mqlsDelivered sals sqls pipeline bookings
  %s(first: $first, after: $after) { edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } } }"""


def _company_trace(api, token, field, page_size=2):
    rows, after = [], None
    while True:
        company = api.gql(COMPANY % (field, COMPANY_NODES[field]), {"p": PERIOD, "first": page_size, "after": after},
                          token)["companyContribution"]
        rows += [edge["node"] for edge in company[field]["edges"]]
        if not company[field]["pageInfo"]["hasNextPage"]:
            return company, rows
        after = company[field]["pageInfo"]["endCursor"]


def test_the_company_totals_are_reproduced_by_their_rows_each_deal_once(org, api):
    company, mqls = _company_trace(api, org.seller_token, "mqlLeads")
    assert [x["externalId"] for x in mqls] == ["L-1", "L-2", "L-3", "L-4"] and company["mqlsDelivered"] == 4
    _, sals = _company_trace(api, org.seller_token, "salLeads")
    _, sqls = _company_trace(api, org.seller_token, "sqlLeads")
    assert (len(sals), len(sqls)) == (company["sals"], company["sqls"]) == (3, 2)
    _, pipeline = _company_trace(api, org.seller_token, "pipelineDeals")
    assert [d["name"] for d in pipeline] == ["Deal O-1", "Deal O-3", "Deal O-4", "Deal O-6"]
    assert _money(pipeline) == Decimal(company["pipeline"]) == Decimal("55123.44")
    _, booked = _company_trace(api, org.seller_token, "bookedDeals", page_size=1)
    assert [d["name"] for d in booked] == ["Deal O-1", "Deal O-4", "Deal O-5", "Deal O-6"]
    assert _money(booked) == Decimal(company["bookings"]) == Decimal("62777.77")


@pytest.mark.parametrize("field", list(COMPANY_NODES))
def test_a_company_trace_takes_the_same_sql_statements_for_a_few_rows_as_for_many(org, api, field):
    def statements():
        with api.count_queries() as counter:
            data = api.gql(COMPANY % (field, COMPANY_NODES[field]), {"p": PERIOD, "first": 100, "after": None},
                           org.finance)
        return len(data["companyContribution"][field]["edges"]), counter.count

    few = statements()
    for n in (1, 2, 3):
        _journeys(org, api, n)
    many = statements()
    assert many[0] > few[0] > 0, (few, many)
    assert many[1] == few[1], (field, few, many)


# --- the rules behind the traces, without a database -------------------------------------------------

def test_a_sellers_wasted_cost_is_shared_over_their_touches_to_the_cent():
    from domain.contribution.rules import split_by_minutes
    assert split_by_minutes(Decimal("225.69"), [45, 20]) == [Decimal("156.25"), Decimal("69.44")]
    assert split_by_minutes(Decimal("0.01"), [10, 10, 10]) == [Decimal("0.01"), Decimal("0.00"), Decimal("0.00")]
    assert split_by_minutes(Decimal("0.00"), [0, 0]) == [Decimal("0.00"), Decimal("0.00")]
    for total, minutes in ((Decimal("1000.00"), [7, 11, 13]), (Decimal("3.33"), [1, 1, 1, 1]),
                           (Decimal("399.00"), [60, 0, 1])):
        shares = split_by_minutes(total, minutes)
        assert sum(shares) == total and all(s >= 0 for s in shares)


# The weights of the journeys below written out by hand (touch k on October 1+k at noon, MQL on the 2nd, created on
# the 3rd, closed on the 20th: FT = 0, LC = 1, OC = 2, CW = the last touch), by number of touches.
_F = Fraction
HAND_WEIGHTS = {
    "W_SHAPED": {5: [_F(3, 10)] * 3 + [_F(1, 20)] * 2, 4: [_F(3, 10)] * 3 + [_F(1, 10)], 3: [_F(1, 3)] * 3},
    "LINEAR": {n: [_F(1, n)] * n for n in (3, 4, 5)},
    "FULL_PATH": {5: [_F(9, 40)] * 3 + [_F(1, 10), _F(9, 40)], 4: [_F(1, 4)] * 4, 3: [_F(1, 4), _F(1, 4), _F(1, 2)]},
    "INVERSE_J": {5: [_F(3, 5)] + [_F(1, 15)] * 3 + [_F(1, 5)], 4: [_F(3, 5), _F(1, 10), _F(1, 10), _F(1, 5)],
                  3: [_F(3, 5), _F(1, 5), _F(1, 5)]},
    # 2^(-age / 7 days), the age of touch k to the close being 19 - k days, normalised
    "TIME_DECAY": {n: [Decimal(2) ** (Decimal(k - 19) / 7) for k in range(n)] for n in (3, 4, 5)},
}


def _hand_split(amount: int, weights) -> list[int]:
    """Largest remainder, written here independently of the service: floors, then a cent each to the largest
    fractional parts, the earliest touch first among equal ones."""
    total = sum(weights)
    quotas = [Fraction(amount) * Fraction(w) / Fraction(total) for w in weights]
    cents = [q.numerator // q.denominator for q in quotas]
    for k in sorted(range(len(quotas)), key=lambda k: (-(quotas[k] - cents[k]), k))[:amount - sum(cents)]:
        cents[k] += 1
    return cents


@pytest.mark.parametrize("model", ["W_SHAPED", "LINEAR", "TIME_DECAY", "FULL_PATH", "INVERSE_J"])
def test_credit_rows_and_credit_by_team_are_a_hand_computed_split_of_every_model(model):
    """Both credit paths (the rows behind a figure, the figure per group) against the split worked out by hand."""
    from domain.attribution import queries as attribution
    from domain.attribution import rules as attribution_rules
    from domain.attribution.models import OpportunityStatus
    deals, expected = [], defaultdict(int)
    for i, (amount, touches) in enumerate([(1_000_001, 5), (333, 3), (99_999, 1), (500, 0), (7, 4)], start=1):
        teams = [1 + k % 3 for k in range(touches)]
        journey = attribution_rules.journey(
            [attribution_rules.Touch(100 * i + k, at(1 + k), team_id=team) for k, team in enumerate(teams)],
            at(2), at(3), at(20), NOW)
        opportunity = attribution.DealOpportunity(i, f"O-{i}", i, f"Deal {i}", amount, at(3), OpportunityStatus.WON,
                                                  at(20), None)
        deals.append(attribution.Deal(opportunity, journey, in_pipeline=True, in_bookings=True))
        if touches == 0:
            expected[attribution.UNATTRIBUTED] += amount
        for team, cents in zip(teams, _hand_split(amount, HAND_WEIGHTS[model].get(touches, [1]))):
            expected[str(team)] += cents
    choice = attribution.ModelChoice(attribution_rules.Model(model))
    by_team = defaultdict(int)
    for row in attribution.credit_rows(deals, choice, NOW):
        by_team[attribution.UNATTRIBUTED if row.touch is None else str(row.touch.team_id)] += row.cents
    import asyncio
    by_group = asyncio.run(attribution.credit_by_group(deals, choice, attribution.GroupBy.TEAM))
    assert dict(by_team) == dict(expected)
    assert {key: bookings for key, (_, bookings) in by_group.items()} == dict(expected)
    assert sum(expected.values()) == 1_000_001 + 333 + 99_999 + 500 + 7
