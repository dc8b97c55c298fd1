"""Pay and the common view as of any day (issue 21, point 4): compStatements(asOf), teamContribution(asOf) and
?asOf= on payouts.csv and team-contribution.csv give the figures as they stood at the end of that day; a closed
period's locked statement stays the record while a recomputation shows its difference from it."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from tests.api.fixtures import OPPORTUNITY_HEADER, contribution_org, imported  # noqa: F401  (a fixture)

UTC = timezone.utc
STATEMENTS = """query($p: String!, $asOf: String, $person: ID) {
  compStatements(period: $p, asOf: $asOf, personId: $person) {
  person { email } locked asOf totalPayout lockedTotalPayout differenceFromLocked differsFromLocked
  lines { component metricValue payout lockedPayout differenceFromLocked } } }"""
CONTRIBUTION = """query($p: String!, $asOf: String) { teamContribution(period: $p, asOf: $asOf) { team { name } asOf
  period { key } mqlsDelivered sals sqls sourcedPipeline influencedPipeline attributedBookings goalProgress
  slaCompliance payoutsAccrued wastedSellingCost } }"""


def deal(api, org, external_id, amount, closed, created="2026-08-01T12:00:00+00:00", lead="L-1"):
    body = f"{OPPORTUNITY_HEADER}\n{external_id},{lead},Deal {external_id},{amount},{created},WON,{closed}," \
           "seller@example.com\n"
    imported(api, "opportunities", body, org.finance)


def seller(api, org, period, as_of=None, token=None):
    found = api.gql(STATEMENTS, {"p": period, "asOf": as_of}, token or org.finance)["compStatements"]
    return next(s for s in found if s["person"]["email"] == "seller@example.com")


def closed_q3(api, org):
    """The seller's 2026-Q3 plan (20,000 at 60,000 of own bookings) and a 30,000 deal won on 1 September; 2026-Q3
    closed on 5 October: its statement locks 30,000 / 60,000 × 20,000 = 10,000."""
    api.set_now(datetime(2026, 9, 15, tzinfo=UTC))
    plan = api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
      userErrors { field code } } }""", {"input": {
        "personId": org.seller["id"], "period": "2026-Q3", "targetVariable": "20000",
        "components": [{"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "60000", "weight": "1"}]}},
        org.finance)["compPlanCreate"]
    assert plan == {"userErrors": []}
    deal(api, org, "Q3-1", "30000.00", "2026-09-01T12:00:00+00:00")
    api.set_now(datetime(2026, 10, 5, tzinfo=UTC))
    closed = api.gql("""mutation { periodClose(input: {period: "2026-Q3"}) { userErrors { code } } }""",
                     token=org.finance)["periodClose"]
    assert closed["userErrors"] == []


def test_a_recomputation_as_of_the_close_equals_the_locked_statement_and_a_back_dated_deal_shows_as_a_difference(
        api, contribution_org):
    org = contribution_org
    closed_q3(api, org)
    locked = seller(api, org, "2026-Q3")
    assert (locked["locked"], locked["asOf"], locked["totalPayout"], locked["lockedTotalPayout"],
            locked["differsFromLocked"]) == (True, None, "10000.00", None, None)

    # as of the period's last day: the same figures as the locked record, to the cent
    same = seller(api, org, "2026-Q3", "2026-09-30")
    assert (same["locked"], same["asOf"], same["totalPayout"], same["lockedTotalPayout"],
            same["differenceFromLocked"], same["differsFromLocked"]) == (
        False, "2026-09-30", "10000.00", "10000.00", "0.00", False)
    assert same["lines"] == [{"component": "Bookings", "metricValue": "30000.00", "payout": "10000.00",
                              "lockedPayout": "10000.00", "differenceFromLocked": "0.00"}]
    # as of 31 August the deal was not won yet: nothing earned, 10,000 less than the record
    early = seller(api, org, "2026-Q3", "2026-08-31")
    assert (early["totalPayout"], early["differenceFromLocked"], early["differsFromLocked"]) == (
        "0.00", "-10000.00", True)

    # a deal won on 10 September, imported after the close: 45,000 / 60,000 × 20,000 = 15,000
    api.set_now(datetime(2026, 10, 12, tzinfo=UTC))
    deal(api, org, "Q3-2", "15000.00", "2026-09-10T12:00:00+00:00")
    after = seller(api, org, "2026-Q3")
    assert (after["locked"], after["totalPayout"], after["lines"][0]["metricValue"]) == (True, "10000.00", "30000.00")
    recomputed = seller(api, org, "2026-Q3", "2026-09-30")
    assert (recomputed["totalPayout"], recomputed["lockedTotalPayout"], recomputed["differenceFromLocked"],
            recomputed["differsFromLocked"]) == ("15000.00", "10000.00", "5000.00", True)
    assert recomputed["lines"] == [{"component": "Bookings", "metricValue": "45000.00", "payout": "15000.00",
                                    "lockedPayout": "10000.00", "differenceFromLocked": "5000.00"}]
    # as of 5 September the new deal (won on the 10th) does not count yet
    assert seller(api, org, "2026-Q3", "2026-09-05")["differenceFromLocked"] == "0.00"

    auth = {"Authorization": f"Bearer {org.finance}"}
    plain = api.http.get("/export/payouts.csv", params={"period": "2026-Q3"}, headers=auth)
    rows = [r for r in csv.DictReader(io.StringIO(plain.text)) if r["person_email"] == "seller@example.com"]
    assert [(r["kind"], r["payout"]) for r in rows] == [("LOCKED", "10000.00")]
    assert "locked_payout" not in plain.text.splitlines()[0]
    as_of = api.http.get("/export/payouts.csv", params={"period": "2026-Q3", "asOf": "2026-09-30"}, headers=auth)
    rows = [r for r in csv.DictReader(io.StringIO(as_of.text)) if r["person_email"] == "seller@example.com"]
    assert [(r["kind"], r["metric_value"], r["payout"], r["locked_payout"], r["difference_from_locked"])
            for r in rows] == [("ACCRUED", "45000.00", "15000.00", "10000.00", "5000.00")]


def test_an_open_period_as_of_a_day_counts_only_the_facts_dated_by_then(api, contribution_org):
    org = contribution_org        # 2026-Q4: the 30,000 deal won on 25 October; today 20 November
    now = seller(api, org, "2026-Q4")
    assert (now["totalPayout"], now["asOf"]) == ("10000.00", None)
    before = seller(api, org, "2026-Q4", "2026-10-24")
    assert (before["totalPayout"], before["asOf"], before["lockedTotalPayout"], before["differsFromLocked"]) == (
        "0.00", "2026-10-24", None, None)
    assert seller(api, org, "2026-Q4", "2026-10-25")["totalPayout"] == "10000.00"
    # the seller sees their own as of a day; the same authorization as without asOf
    assert seller(api, org, "2026-Q4", "2026-10-25", token=org.seller_token)["totalPayout"] == "10000.00"
    other = api.post(STATEMENTS, {"p": "2026-Q4", "asOf": "2026-10-25", "person": org.seller["id"]}, org.marketer_token)
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]


def test_bad_as_of_days_are_refused_with_a_reason(api, contribution_org):
    org = contribution_org        # today 20 November 2026
    for period, day, words in (("2026-Q4", "2026-09-30", "a day of the period"),
                               ("2026-Q4", "2027-01-01", "a day of the period"),
                               ("2026-Q4", "2026-11-21", "after today")):
        for query in (STATEMENTS, CONTRIBUTION):
            body = api.post(query, {"p": period, "asOf": day}, org.finance)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID"], body
            assert words in body["errors"][0]["message"]
        for report in ("payouts", "team-contribution"):
            response = api.http.get(f"/export/{report}.csv", params={"period": period, "asOf": day},
                                    headers={"Authorization": f"Bearer {org.finance}"})
            assert response.status_code == 400 and words in response.json()["errors"][0]["message"]
    for day in ("2026-13-01", "20261101", "yesterday", ""):
        response = api.http.get("/export/payouts.csv", params={"period": "2026-Q4", "asOf": day},
                                headers={"Authorization": f"Bearer {org.finance}"})
        assert response.status_code == 400, day
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"
        assert "YYYY-MM-DD" in response.json()["errors"][0]["message"]
        for query in (STATEMENTS, CONTRIBUTION):
            body = api.post(query, {"p": "2026-Q4", "asOf": day}, org.finance)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID"], body
            assert "YYYY-MM-DD" in body["errors"][0]["message"]


def test_team_contribution_as_of_a_day_gives_every_figure_as_it_stood(api, contribution_org):
    """The lead: first touch 1 Oct, MQL 2 Oct, SAL 4 Oct, a 60-minute call 5 Oct, SQL 6 Oct, the 30,000 deal created
    7 Oct and won 25 Oct (day(n) is n October)."""
    org = contribution_org
    def figures(as_of=None, token=org.finance):
        rows = api.gql(CONTRIBUTION, {"p": "2026-Q4", "asOf": as_of}, token)["teamContribution"]
        return {r["team"]["name"]: r for r in rows}
    now = figures()
    sales_now = now["Field Sales"]
    assert (sales_now["sals"], sales_now["sqls"], sales_now["asOf"]) == (1, 1, None)
    assert float(sales_now["payoutsAccrued"]) == 10000.0
    # as of the last day of the period's data nothing differs from now
    same = figures("2026-11-20")
    assert {t: {k: v for k, v in r.items() if k != "asOf"} for t, r in same.items()} == \
        {t: {k: v for k, v in r.items() if k != "asOf"} for t, r in now.items()}
    assert same["Field Sales"]["asOf"] == "2026-11-20"
    assert same["Field Sales"]["period"] == {"key": "2026-Q4"}
    # 3 October: the MQL happened, the SAL (4th) and SQL (6th) not yet, no pipeline (created 7th), nothing won
    early = figures("2026-10-03")
    marketing = next(r for t, r in early.items() if r["mqlsDelivered"])
    assert marketing["mqlsDelivered"] == 1
    sales = early["Field Sales"]
    assert (sales["sals"], sales["sqls"], sales["attributedBookings"], sales["payoutsAccrued"]) == (
        0, 0, "0.00", "0.00")
    assert all(r["sourcedPipeline"] == "0.00" and r["influencedPipeline"] == "0.00" for r in early.values())
    assert all(r["goalProgress"] in (0, 0.0, None) for r in early.values())
    # 10 October: SAL, SQL and the pipeline, not yet the win
    mid = figures("2026-10-10")["Field Sales"]
    assert (mid["sals"], mid["sqls"], mid["payoutsAccrued"], mid["attributedBookings"]) == (1, 1, "0.00", "0.00")
    assert any(r["sourcedPipeline"] == "30000.00" for r in figures("2026-10-10").values())
    won = figures("2026-10-25")["Field Sales"]
    assert won["payoutsAccrued"] == "10000.00" and won["goalProgress"] == sales_now["goalProgress"]
    # the CSV gives the same as of a day
    response = api.http.get("/export/team-contribution.csv", params={"period": "2026-Q4", "asOf": "2026-10-03"},
                            headers={"Authorization": f"Bearer {org.finance}"})
    rows = {r["team"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert (rows["Field Sales"]["sals"], rows["Field Sales"]["payouts_accrued"]) == ("0", "0.00")


def test_a_key_result_component_and_its_gate_read_the_key_result_as_of_the_day(api, contribution_org):
    """The shared objective's BOOKINGS key result (0 to 60,000, the sales team) is 0 until the 30,000 deal won on 25
    October, 0.5 from then: a KEY_RESULT_PROGRESS component gated at 0.4 pays 0 as of the 24th and half of its
    10,000 as of the 25th."""
    org = contribution_org
    found = api.gql("""{ objectives(period: "2026-Q4", first: 5) { edges { node { keyResults { id } } } } }""",
                    token=org.finance)["objectives"]["edges"]
    kr = found[0]["node"]["keyResults"][0]["id"]
    people = {e["node"]["email"]: e["node"]["id"] for e in api.gql(
        "{ people(first: 50) { edges { node { id email } } } }", token=org.finance)["people"]["edges"]}
    plan = api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
      userErrors { field code } } }""", {"input": {
        "personId": people["mktlead@example.com"], "period": "2026-Q4", "targetVariable": "10000", "components": [
            {"name": "Goal", "metric": "KEY_RESULT_PROGRESS", "keyResultId": kr, "quota": "1", "weight": "1",
             "gate": {"keyResultId": kr, "minProgress": 0.4}}]}}, org.finance)["compPlanCreate"]
    assert plan == {"userErrors": []}
    query = """query($asOf: String) { compStatements(period: "2026-Q4", asOf: $asOf) { person { email }
      lines { metricValue gateOpen payout } } }"""

    def goal(as_of):
        rows = api.gql(query, {"asOf": as_of}, org.finance)["compStatements"]
        return next(s["lines"][0] for s in rows if s["person"]["email"] == "mktlead@example.com")
    assert goal(None) == {"metricValue": "0.500000", "gateOpen": True, "payout": "5000.00"}
    assert goal("2026-10-25") == goal(None)
    assert goal("2026-10-24") == {"metricValue": "0.000000", "gateOpen": False, "payout": "0.00"}
