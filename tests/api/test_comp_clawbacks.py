"""Clawbacks through the imports, GraphQL and the CSV: a deal that paid out in a locked statement and then turns
LOST or drops in amount within the plan's window comes back in the statement of the period open then; the locked
statement stays as it was; FINANCE may waive it."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from tests.api.fixtures import OPPORTUNITY_HEADER, contribution_org, imported  # noqa: F401  (a fixture)

UTC = timezone.utc
STATEMENT = """query($p: String!) { compStatements(period: $p) { person { email } locked totalPayout
  lines { metricValue payout }
  clawbacks { id component amount waived waivedReason waivedBy opportunity { externalId } paidIn { key } } } }"""
WAIVE = """mutation($input: CompClawbackWaiveInput!) { compClawbackWaive(input: $input) {
  compClawback { amount waived waivedReason } userErrors { field code } } }"""


def deal(api, org, status="WON", amount="30000.00", closed="2026-09-01T12:00:00+00:00"):
    body = f"{OPPORTUNITY_HEADER}\nQ3-1,L-1,Big deal,{amount},2026-08-01T12:00:00+00:00,{status},{closed},seller@example.com\n"
    imported(api, "opportunities", body, org.finance)


def seller(api, org, period):
    return next(s for s in api.gql(STATEMENT, {"p": period}, org.finance)["compStatements"]
                if s["person"]["email"] == "seller@example.com")


def paid_in_q3(api, org, days=90):
    """The seller's 2026-Q3 plan (20,000 at 60,000 of own bookings, a clawback window) and the 30,000 deal won on 1
    September, then 2026-Q3 closed on 5 October: its statement locks 10,000."""
    api.set_now(datetime(2026, 9, 15, tzinfo=UTC))
    plan = api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
      compPlan { clawbackDays } userErrors { field code } } }""", {"input": {
        "personId": org.seller["id"], "period": "2026-Q3", "targetVariable": "20000", "clawbackDays": days,
        "components": [{"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "60000", "weight": "1"}]}},
        org.finance)["compPlanCreate"]
    assert plan == {"compPlan": {"clawbackDays": days}, "userErrors": []}
    deal(api, org)
    api.set_now(datetime(2026, 10, 5, tzinfo=UTC))
    closed = api.gql("""mutation { periodClose(input: {period: "2026-Q3"}) { userErrors { code } } }""",
                     token=org.finance)["periodClose"]
    assert closed["userErrors"] == []
    q3 = seller(api, org, "2026-Q3")
    assert (q3["locked"], q3["totalPayout"], q3["lines"][0]["metricValue"]) == (True, "10000.00", "30000.00")


def test_a_deal_lost_within_the_window_is_clawed_back_in_the_open_statement(api, contribution_org):
    org = contribution_org
    paid_in_q3(api, org)
    q4_before = seller(api, org, "2026-Q4")["totalPayout"]
    api.set_now(datetime(2026, 10, 20, tzinfo=UTC))            # 49 days after the close: inside 90
    deal(api, org, status="LOST", closed="2026-10-18T12:00:00+00:00")
    q4 = seller(api, org, "2026-Q4")
    [claw] = q4["clawbacks"]
    # 2026-Q3 recomputed with only this deal changed: 0 of 60,000 pays 0, so the 10,000 it paid comes back
    assert (claw["component"], claw["amount"], claw["waived"]) == ("Bookings", "-10000.00", False)
    assert (claw["opportunity"], claw["paidIn"]) == ({"externalId": "Q3-1"}, {"key": "2026-Q3"})
    assert float(q4["totalPayout"]) == float(q4_before) - 10_000
    q3 = seller(api, org, "2026-Q3")                            # the locked statement stays as it was
    assert (q3["totalPayout"], q3["lines"][0]["metricValue"], q3["clawbacks"]) == ("10000.00", "30000.00", [])

    response = api.http.get("/export/payouts.csv", params={"period": "2026-Q4"},
                            headers={"Authorization": f"Bearer {org.finance}"})
    rows = [r for r in csv.DictReader(io.StringIO(response.text)) if r["kind"] == "CLAWBACK"]
    assert [(r["person_email"], r["component"], r["payout"]) for r in rows] == [
        ("seller@example.com", "Bookings", "-10000.00")]


def test_an_amount_drop_claws_back_the_difference_and_a_later_loss_the_rest(api, contribution_org):
    org = contribution_org
    paid_in_q3(api, org)
    api.set_now(datetime(2026, 10, 20, tzinfo=UTC))
    deal(api, org, amount="24000.00")
    [claw] = seller(api, org, "2026-Q4")["clawbacks"]
    assert claw["amount"] == "-2000.00"                         # 24,000 of 60,000 pays 8,000 instead of 10,000
    deal(api, org, status="LOST", closed="2026-10-25T12:00:00+00:00")
    assert [c["amount"] for c in seller(api, org, "2026-Q4")["clawbacks"]] == ["-10000.00"]   # the same one, updated
    deal(api, org)                                              # won again at 30,000: nothing comes back
    assert seller(api, org, "2026-Q4")["clawbacks"] == []


def test_a_change_after_the_window_or_without_one_claws_nothing_back(api, contribution_org):
    org = contribution_org
    paid_in_q3(api, org, days=30)
    api.set_now(datetime(2026, 10, 20, tzinfo=UTC))            # 49 days after the close: outside 30
    deal(api, org, status="LOST", closed="2026-10-18T12:00:00+00:00")
    assert seller(api, org, "2026-Q4")["clawbacks"] == []


def test_finance_waives_a_clawback_with_a_reason(api, contribution_org):
    org = contribution_org
    paid_in_q3(api, org)
    api.set_now(datetime(2026, 10, 20, tzinfo=UTC))
    deal(api, org, status="LOST", closed="2026-10-18T12:00:00+00:00")
    q4 = seller(api, org, "2026-Q4")
    claw = q4["clawbacks"][0]
    bad = api.gql(WAIVE, {"input": {"id": claw["id"], "reason": " "}}, org.finance)["compClawbackWaive"]
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [(["input", "reason"], "INVALID")]
    refused = api.post(WAIVE, {"input": {"id": claw["id"], "reason": "goodwill"}}, org.sales_leader)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    waived = api.gql(WAIVE, {"input": {"id": claw["id"], "reason": "customer came back"}}, org.finance)
    assert waived["compClawbackWaive"] == {"compClawback": {"amount": "-10000.00", "waived": True,
                                                            "waivedReason": "customer came back"}, "userErrors": []}
    after = seller(api, org, "2026-Q4")
    assert after["clawbacks"][0]["waived"] is True and after["clawbacks"][0]["waivedBy"]
    assert float(after["totalPayout"]) == float(q4["totalPayout"]) + 10_000      # no longer counted
    again = api.gql(WAIVE, {"input": {"id": claw["id"], "reason": "twice"}}, org.finance)["compClawbackWaive"]
    assert [e["code"] for e in again["userErrors"]] == ["CONFLICT"]
    audit = api.gql("""{ auditLog(first: 20, entity: "Clawback") { edges { node { action actorName } } } }""",
                    token=org.admin)["auditLog"]["edges"]
    assert [e["node"]["action"] for e in audit] == ["compClawbackWaive"]
