"""Compensation through GraphQL and CSV: plans, curves, gates, statements, locking, adjustments and disputes."""
import csv
import io
from datetime import datetime, timezone

import pytest

from domain.comp.models import CompPlan
from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE
from tests.api.fixtures import imported
from tests.api.fixtures import write_deal as _deal
from tests.api.leads_support import Org
from tests.api.support import codes, create_person
from tests.harness import snapshot

UTC = timezone.utc
day = lambda d, m=10: datetime(2026, m, d, 12, tzinfo=UTC)
PLAN = """mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
  compPlan { id targetVariable version } userErrors { field code message } } }"""
STATEMENTS = """query($p: String!, $person: ID) { compStatements(period: $p, personId: $person) {
  person { name } targetVariable totalPayout locked
  lines { component metric metricValue quota attainment curveValue gateOpen payout deals { name } }
  adjustments { amount reason authorName } } }"""


@snapshot
def org(api, admin):
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC))
    org = Org(api, admin)
    org.finance = api.token("FINANCE")
    lead = org.lead("L-1")
    org.touch(lead, day(1), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="webinar", external_id="t1")
    org.events(lead, (day(2), "STAGE", "MQL"))
    org.touch(lead, day(5), channel="call", external_id="t2")
    _deal(api, lead, 55_000_000, day(6), closed=day(25), owner="seller@example.com")  # 550,000.00 won
    return org


def _plan(api, org, person_id, components, target="20000", token=None):
    return api.gql(PLAN, {"input": {"personId": person_id, "period": "2026-Q4", "targetVariable": target,
                                    "components": components}}, token or org.finance)["compPlanCreate"]


def test_bookings_above_quota_pay_with_the_accelerator(org, api):
    result = _plan(api, org, org.seller["id"], [
        {"name": "New bookings", "metric": "OWN_BOOKINGS", "quota": "500000", "weight": "0.7", "accelerator": "2"},
        {"name": "Shared MQLs", "metric": "MQLS_DELIVERED", "quota": "4", "weight": "0.3"}])
    assert result["userErrors"] == []
    statement = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.seller_token)["compStatements"][0]
    bookings, mqls = statement["lines"]
    assert (bookings["attainment"], bookings["curveValue"], bookings["payout"]) == (1.1, 1.2, "16800.00")
    assert bookings["deals"] == [{"name": "Deal O-1"}]
    # the seller's own team (sales) delivered no MQLs: the lead was first touched by marketing
    assert (mqls["metricValue"], mqls["payout"]) == ("0", "0.00")
    assert statement["totalPayout"] == "16800.00" and statement["locked"] is False


def test_marketing_bonus_has_a_bookings_component_through_the_model_of_record(org, api):
    _plan(api, org, org.marketer["id"], [
        {"name": "Attributed bookings", "metric": "ATTRIBUTED_BOOKINGS", "quota": "500000", "weight": "1"}])
    _plan(api, org, org.seller["id"], [
        {"name": "Attributed bookings", "metric": "ATTRIBUTED_BOOKINGS", "quota": "500000", "weight": "1"}])
    statements = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.finance)["compStatements"]
    credited = {s["person"]["name"]: float(s["lines"][0]["metricValue"]) for s in statements}
    # W_SHAPED: FT (marketing webinar) and LC (same touch) 60%, OC (sales call) 30%, no others -> 2/3 and 1/3
    assert credited == {"Dana Demand": pytest.approx(366666.67), "Sofia Seller": pytest.approx(183333.33)}
    assert sum(credited.values()) == pytest.approx(550000.00)  # one deal is never credited more than once


def test_a_gate_on_the_shared_key_result_holds_back_individual_upside(org, api):
    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Shared pipeline", "period": "2026-Q4", "owners": [
        {"teamId": org.sales, "share": "0.5"}, {"teamId": org.marketing, "share": "0.5"}]}},
                        org.sales_leader)["objectiveCreate"]["objective"]
    kr = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "Pipeline", "kind": "INCREASE_TO",
                                       "unit": "CURRENCY", "start": "0", "target": "1000000"}},
                 org.sales_leader)["keyResultCreate"]["keyResult"]
    _plan(api, org, org.seller["id"], [{"name": "New bookings", "metric": "OWN_BOOKINGS", "quota": "500000",
                                        "weight": "1", "gate": {"keyResultId": kr["id"], "minProgress": 0.5}}])
    line = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.seller_token)["compStatements"][0]["lines"][0]
    assert (line["gateOpen"], line["attainment"], line["payout"]) == (False, 1.1, "0.00")
    api.gql("""mutation($id: ID!) { keyResultCheckIn(input: {keyResultId: $id, value: "600000"}) {
        userErrors { code } } }""", {"id": kr["id"]}, org.seller_token)
    line = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.seller_token)["compStatements"][0]["lines"][0]
    assert (line["gateOpen"], line["payout"]) == (True, "22000.00")


def test_bad_plans_are_refused_with_their_fields_and_nothing_is_written(org, api):
    result = _plan(api, org, org.seller["id"], [
        {"name": "A", "metric": "OWN_BOOKINGS", "quota": "-1", "weight": "0.6"},
        {"name": "B", "metric": "TEAM_BOOKINGS", "quota": "100", "weight": "0.5", "threshold": "0.8", "cap": "0.5"}])
    fields = sorted(tuple(e["field"]) for e in result["userErrors"])
    assert ("input", "components", "0", "quota") in fields and ("input", "components", "1", "cap") in fields
    assert ("input", "components") in fields  # weights sum to 1.1
    assert api.run(CompPlan.all().count()) == 0


def test_pay_is_private(org, api):
    _plan(api, org, org.seller["id"], [{"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "500000", "weight": "1"}])
    assert len(api.gql(STATEMENTS, {"p": "2026-Q4"}, org.sales_leader)["compStatements"]) == 1
    assert api.gql(STATEMENTS, {"p": "2026-Q4"}, org.marketing_leader)["compStatements"] == []
    body = api.post(STATEMENTS, {"p": "2026-Q4", "person": org.seller["id"]}, org.marketing_leader)
    assert codes(body["errors"]) == ["FORBIDDEN"]
    assert codes(api.post(PLAN, {"input": {"personId": org.seller["id"], "period": "2026-Q4", "targetVariable": "1",
                                           "components": []}}, org.sales_leader)["errors"]) == ["FORBIDDEN"]


def test_closing_locks_statements_and_later_changes_are_adjustments(org, api):
    _plan(api, org, org.seller["id"], [{"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "500000", "weight": "1"}])
    api.gql('mutation { periodClose(input: {period: "2026-Q4", reason: "early close"}) { userErrors { code } } }',
            token=org.admin)
    _deal(api, None, 10_000_000, day(3, 11), closed=day(10, 11), external_id="O-LATE", owner="seller@example.com")
    statement = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.seller_token)["compStatements"][0]
    assert statement["locked"] is True and statement["totalPayout"] == "22000.00"  # the late deal does not move it
    dispute = api.gql("""mutation { compDisputeCreate(input: {period: "2026-Q4", component: "Bookings",
        reason: "the O-LATE deal was signed before close"}) { compDispute { id status } userErrors { code } } }""",
                      token=org.seller_token)["compDisputeCreate"]["compDispute"]
    resolved = api.gql("""mutation($id: ID!) { compDisputeResolve(input: {id: $id, resolution: "counted",
        adjustmentAmount: "4000.00"}) { compDispute { status resolution } userErrors { code } } }""",
                       {"id": dispute["id"]}, org.sales_leader)["compDisputeResolve"]
    assert resolved["compDispute"] == {"status": "RESOLVED", "resolution": "counted"}
    statement = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.seller_token)["compStatements"][0]
    assert statement["totalPayout"] == "26000.00"
    assert [(a["amount"], a["authorName"]) for a in statement["adjustments"]] == [("4000.00", "Sam Lead")]


def test_finance_pulls_the_same_figures_as_csv(org, api):
    _plan(api, org, org.seller["id"], [
        {"name": "=cmd|' /C calc'!A0", "metric": "OWN_BOOKINGS", "quota": "500000", "weight": "1"}])
    response = api.http.get("/export/payouts.csv", params={"period": "2026-Q4"},
                            headers={"Authorization": f"Bearer {org.finance}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["period", "person_email", "person_name", "team", "component", "metric", "metric_value",
                             "quota", "attainment", "curve_value", "gate_open", "payout", "kind", "draw_balance"]
    graphql = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.finance)["compStatements"][0]["lines"][0]
    assert (rows[0]["payout"], rows[0]["kind"], rows[0]["person_email"]) == (graphql["payout"], "ACCRUED",
                                                                              "seller@example.com")
    assert rows[0]["component"].startswith("'=")  # not run as a formula by a spreadsheet
    mine = api.http.get("/export/payouts.csv", params={"period": "2026-Q4"},
                        headers={"Authorization": f"Bearer {org.marketing_leader}"})
    assert list(csv.DictReader(io.StringIO(mine.text))) == []  # the marketing leader sees no sales pay
    assert api.http.get("/export/payouts.csv", params={"period": "2026-Q4"}).status_code == 401


def test_a_worked_plan_end_to_end_from_imported_deals_to_the_csv_row(api, admin):
    """Target 20,000; bookings weight 0.4 at 125% with accelerator 2 and cap 150%: 0.4 × 20,000 × 1.5 = 12,000.00."""
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC))
    org = Org(api, admin)
    finance = api.token("FINANCE")
    imported(api, "leads", "external_id,company,contact_name,email,industry,employees,region,title,source,created_at\n"
             "L-9,Acme,Ann,ann@acme.example,Software,500,EMEA,VP,webinar,2026-10-01T09:00:00+00:00\n", admin)
    imported(api, "opportunities", "external_id,lead_external_id,name,amount,created_at,status,closed_at,owner_email\n"
             "O-9,L-9,Acme platform,625000.00,2026-10-02T09:00:00+00:00,WON,2026-11-02T09:00:00+00:00,"
             "seller@example.com\n", admin)
    _plan(api, org, org.seller["id"], [
        {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "500000", "weight": "0.4", "accelerator": "2",
         "cap": "1.5"},
        {"name": "Team bookings", "metric": "TEAM_BOOKINGS", "quota": "1000000", "weight": "0.6", "threshold": "0.7"}],
          token=finance)
    response = api.http.get("/export/payouts.csv", params={"period": "2026-Q4"},
                            headers={"Authorization": f"Bearer {finance}"})
    rows = {r["component"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert (rows["Bookings"]["attainment"], rows["Bookings"]["curve_value"], rows["Bookings"]["payout"]) == (
        "1.25", "1.5", "12000.00")
    assert rows["Team bookings"]["payout"] == "0.00"  # 62.5% of the team quota is below its 70% threshold
    statement = api.gql(STATEMENTS, {"p": "2026-Q4"}, org.seller_token)["compStatements"][0]
    assert statement["totalPayout"] == "12000.00"
    assert [line["payout"] for line in statement["lines"]] == [rows["Bookings"]["payout"], rows["Team bookings"]["payout"]]
