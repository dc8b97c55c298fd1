"""Draws through GraphQL and the CSV: the worked multi-period example of docs/rules.md (Draws), recoverable and
not, with the balance derived from the locked statements."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from tests.api.fixtures import contribution_org, write_deal  # noqa: F401  (a fixture)
from tests.api.support import create_person

UTC = timezone.utc
PLAN = """mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
  compPlan { id drawMinimum drawRecoverable drawRecoveryShare } userErrors { field code } } }"""
STATEMENT = """query($p: String!) { compStatements(period: $p) { person { email } locked totalPayout draw drawBalance
  lines { payout } } }"""
CLOSE = """mutation($p: String!) { periodClose(input: {period: $p, force: true, reason: "quarter end"}) {
  userErrors { code message } } }"""
QUARTER = {"2026-Q1": 2, "2026-Q2": 5, "2026-Q3": 8}   # a month inside each


def plan(api, org, person, period, draw=None):
    data = {"personId": person, "period": period, "targetVariable": "10000", "components": [
        {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "100000", "weight": "1"}]}
    if draw is not None:
        data["draw"] = draw
    result = api.gql(PLAN, {"input": data}, org.finance)["compPlanCreate"]
    assert result["userErrors"] == [], result
    return result["compPlan"]


def won(api, email, period, amount_cents, n):
    month = QUARTER[period]
    write_deal(api, None, amount_cents, datetime(2026, month, 1, tzinfo=UTC), closed=datetime(2026, month, 10, tzinfo=UTC),
               external_id=f"D-{email}-{period}-{n}", owner=email)


def statement(api, org, period, email):
    found = [s for s in api.gql(STATEMENT, {"p": period}, org.finance)["compStatements"]
             if s["person"]["email"] == email]
    return found[0]


def close(api, org, period):
    assert api.gql(CLOSE, {"p": period}, org.finance)["periodClose"]["userErrors"] == []


def test_a_recoverable_draw_tops_up_then_is_repaid_from_later_earnings(api, contribution_org):
    org = contribution_org
    hire = create_person(api, org.admin, org.sales, email="newhire@example.com", name="Nia Newhire")["id"]
    created = plan(api, org, hire, "2026-Q1", {"minimum": "5000", "recoverable": True, "recoveryShare": "0.5"})
    assert (created["drawMinimum"], created["drawRecoverable"], created["drawRecoveryShare"]) == ("5000.00", True, 0.5)
    plan(api, org, hire, "2026-Q2", {"minimum": "5000", "recoveryShare": "0.5"})
    plan(api, org, hire, "2026-Q3")                                  # no draw: a minimum of 0, recovery share 1
    won(api, "newhire@example.com", "2026-Q1", 2_000_000, 1)         # 20,000 booked: earns 2,000
    won(api, "newhire@example.com", "2026-Q2", 9_000_000, 1)         # 90,000: earns 9,000
    won(api, "newhire@example.com", "2026-Q3", 1_500_000, 1)         # 15,000: earns 1,500

    q1 = statement(api, org, "2026-Q1", "newhire@example.com")
    assert (q1["draw"], q1["totalPayout"], q1["drawBalance"]) == ("3000.00", "5000.00", "3000.00")   # accrued
    close(api, org, "2026-Q1")
    q2 = statement(api, org, "2026-Q2", "newhire@example.com")
    # 9,000 earned, 4,000 above the minimum, half of it repays the balance
    assert (q2["draw"], q2["totalPayout"], q2["drawBalance"]) == ("-2000.00", "7000.00", "1000.00")
    close(api, org, "2026-Q2")
    q3 = statement(api, org, "2026-Q3", "newhire@example.com")
    assert (q3["locked"], q3["draw"], q3["totalPayout"], q3["drawBalance"]) == (False, "-1000.00", "500.00", "0.00")

    # the closed statements keep their draws as they were locked
    q1_locked = statement(api, org, "2026-Q1", "newhire@example.com")
    assert (q1_locked["locked"], q1_locked["draw"], q1_locked["drawBalance"]) == (True, "3000.00", "3000.00")

    response = api.http.get("/export/payouts.csv", params={"period": "2026-Q2"},
                            headers={"Authorization": f"Bearer {org.finance}"})
    rows = [r for r in csv.DictReader(io.StringIO(response.text)) if r["person_email"] == "newhire@example.com"]
    assert [(r["kind"], r["component"], r["payout"], r["draw_balance"]) for r in rows] == [
        ("LOCKED", "Bookings", "9000.00", "1000.00"), ("DRAW", "Draw", "-2000.00", "1000.00")]


def test_a_non_recoverable_draw_is_a_bonus_never_repaid(api, contribution_org):
    org = contribution_org
    hire = create_person(api, org.admin, org.sales, email="bonus@example.com", name="Bo Nus")["id"]
    plan(api, org, hire, "2026-Q1", {"minimum": "5000", "recoverable": False})
    plan(api, org, hire, "2026-Q2")
    won(api, "bonus@example.com", "2026-Q1", 2_000_000, 1)
    won(api, "bonus@example.com", "2026-Q2", 9_000_000, 1)
    close(api, org, "2026-Q1")
    q1 = statement(api, org, "2026-Q1", "bonus@example.com")
    assert (q1["draw"], q1["totalPayout"], q1["drawBalance"]) == ("3000.00", "5000.00", "0.00")
    q2 = statement(api, org, "2026-Q2", "bonus@example.com")
    assert (q2["draw"], q2["totalPayout"], q2["drawBalance"]) == ("0.00", "9000.00", "0.00")


def test_bad_draws_are_refused_and_nothing_is_written(api, contribution_org):
    org = contribution_org
    hire = create_person(api, org.admin, org.sales, email="bad@example.com", name="Bad Draw")["id"]
    for draw, field in (({"minimum": "0"}, ["input", "draw", "minimum"]),
                        ({"minimum": "5000", "recoveryShare": "1.5"}, ["input", "draw", "recoveryShare"])):
        result = api.gql(PLAN, {"input": {"personId": hire, "period": "2026-Q1", "targetVariable": "1000",
                                          "components": [{"name": "B", "metric": "OWN_BOOKINGS", "quota": "1",
                                                          "weight": "1"}], "draw": draw}},
                         org.finance)["compPlanCreate"]
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(field, "INVALID")]
    assert api.gql(STATEMENT, {"p": "2026-Q1"}, org.finance)["compStatements"] == []
