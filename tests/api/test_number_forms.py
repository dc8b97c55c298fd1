"""One written form per kind of number (README "Numbers", domain/numbers.py), the same in GraphQL and in every CSV
export: each figure of each export is compared, as text, with the text GraphQL's JSON holds for it, on a small
organisation whose figures are thirds and sevenths. Then the period is closed, and the locked statements are
written as the open ones were. And PERCENT key results take fractions only."""
import csv
import io
import json
import os
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from api.exports import (
    ATTRIBUTION_COLUMNS, CONTRIBUTION_COLUMNS, CREDIT_COLUMNS, LEAD_COLUMNS, LEAD_SCORE_COLUMNS, OBJECTIVE_COLUMNS,
    PAYOUT_COLUMNS, SLA_COLUMNS,
)
from domain.goals.models import CheckIn, KeyResult
from tests.api import cli_support as cli
from tests.api.fixtures import agree
from tests.api.goals_support import CHECK_IN, KR_CREATE, OBJECTIVE_CREATE
from tests.api.leads_support import Org
from tests.conftest import TEST_DATABASE_URL

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
AFTER_THE_QUARTER = datetime(2027, 1, 4, 12, tzinfo=UTC)

OPPORTUNITY_IMPORT = """mutation($input: OpportunityImportInput!) { opportunityImport(input: $input) {
  created userErrors { field message code } } }"""
PLAN_CREATE = """mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
  userErrors { field message code } } }"""

PAYOUTS = """query($p: String!) { compStatements(period: $p) { locked person { email name team { name } }
  lines { component metric metricValue quota attainment curveValue gateOpen payout }
  adjustments { component amount } } }"""
CONTRIBUTION = """query($p: String!) { teamContribution(period: $p) { team { name } goalProgress mqlsDelivered sals
  sqls sourcedPipeline influencedPipeline attributedBookings slaCompliance payoutsAccrued wastedSellingCost } }"""
ATTRIBUTION = """query($p: String!) { attribution(period: $p) {
  key label pipeline bookings pipelineShare bookingsShare } }"""
CREDITS = """query { opportunities(first: 100) { edges { node { externalId name status
  credits(model: W_SHAPED) { at channel campaign team { name } person { name } weight amount } } } } }"""
OBJECTIVES = """query($p: String!) { objectives(period: $p, first: 50) { edges { node {
  id title progress expectedProgress status score scoreOverrideReason owners { share team { name } }
  keyResults { id title kind unit source start target weight current progress rawProgress status metric { name } }
} } } }"""
SLA_REPORT = """query($p: String!) { slaReport(period: $p) {
  mqlVolume volumeMet acceptanceRate acceptanceMet followUpCompliance followUpMet medianResponseHours p90ResponseHours
  agreement { mqlVolume acceptanceRateTarget followUpRateTarget }
  marketing { met counted compliance } sales { met counted compliance }
  people { side person { email } met counted compliance }
  awards { month side person { email } compliance met counted }
  breaches(first: 100) { edges { node { side item state due doneAt overdueHours lead { externalId } } } } } }"""
LEADS = """query { leads(first: 100) { edges { node { externalId employees
  facts { responseHours attempts } score { fit engagement qualifies } } } } }"""


# --- the organisation ------------------------------------------------------------------------

@pytest.fixture
def org(api, admin):
    api.set_now(NOW)
    org = Org(api, admin)
    org.finance = api.token("FINANCE")
    org.active_definition()
    agreed = agree(org, api, mqlVolume=9, followUpHours="3")
    assert agreed["userErrors"] == []
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for i in range(7):  # seven MQLs handed over to Sofia, answered after i × 40 + 20 minutes (thirds of hours)
        lead = org.lead(f"L-{i}", company=f"Company {i}", employees=300 + i)
        mql = start + timedelta(days=i)
        org.touch(lead, mql - timedelta(hours=2), kind="MARKETING", team="Demand Generation",
                  person="dana@example.com", channel="webinar", external_id=f"M-{i}")
        org.touch(lead, mql - timedelta(hours=1), kind="MARKETING", team="Demand Generation",
                  person="dana@example.com", channel="ads", external_id=f"A-{i}")
        handover = mql + timedelta(hours=1)
        org.events(lead, (mql, "STAGE", "MQL"), (handover, "ASSIGNED", None, "seller@example.com"))
        org.touch(lead, handover + timedelta(minutes=40 * i + 20), minutes=25, external_id=f"S-{i}")
        # four accepted, three recycled: an acceptance rate of 4/7
        org.events(lead, (mql + timedelta(days=2), "STAGE", "SAL" if i < 4 else "RECYCLED", None,
                          None if i < 4 else "NO_BUDGET"))
    org.events(org.lead("L-W", company="Webinar Co", title="Head of Ops"),
               (datetime(2026, 11, 10, tzinfo=UTC), "WEBINAR"), (datetime(2026, 11, 12, tzinfo=UTC), "EMAIL_OPEN"))
    deals = [{"externalId": "D-1", "leadExternalId": "L-0", "name": "Thirds", "amount": "1000.00",
              "createdAt": "2026-11-05T09:00:00+00:00", "status": "WON", "closedAt": "2026-11-15T09:00:00+00:00",
              "ownerEmail": "seller@example.com"},
             {"externalId": "D-2", "leadExternalId": "L-1", "name": "Sevenths", "amount": "700.01",
              "createdAt": "2026-11-06T09:00:00+00:00", "status": "OPEN"}]
    imported = api.gql(OPPORTUNITY_IMPORT, {"input": {"records": deals}}, org.admin)["opportunityImport"]
    assert imported["userErrors"] == [] and imported["created"] == 2

    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Thirds and sevenths", "period": "2026-Q4",
                                                     "owners": [{"teamId": org.sales, "share": "0.333333"},
                                                                {"teamId": org.marketing, "share": "0.666667"}]}},
                        org.sales_leader)["objectiveCreate"]
    assert objective["userErrors"] == []
    oid = objective["objective"]["id"]
    org.krs = {}
    for title, kind, unit, start_, target, weight, value, metric in (
            ("Win rate", "INCREASE_TO", "PERCENT", "0.1", "0.8", "1", "0.4", None),              # 3/7
            ("Bookings", "INCREASE_TO", "CURRENCY", "0", "7000", "3", "1000", None),             # 1/7
            ("Response hours", "DECREASE_TO", "HOURS", "48", "6", "0.5", "41", None),            # 1/6
            ("MQLs", "INCREASE_TO", "COUNT", "0", "9", "1", None, "MQL_COUNT"),                  # 7/9
            ("Acceptance", "INCREASE_TO", "PERCENT", "0.5", "0.9", "1", None, "ACCEPTANCE_RATE")):  # 4/7 now
        created = api.gql(KR_CREATE, {"input": {
            "objectiveId": oid, "title": title, "kind": kind, "unit": unit, "start": start_, "target": target,
            "weight": weight, **({"source": "METRIC", "metric": {"name": metric}} if metric else {})}},
            org.sales_leader)["keyResultCreate"]
        assert created["userErrors"] == [], title
        org.krs[title] = created["keyResult"]["id"]
        if value is not None:
            checked = api.gql(CHECK_IN, {"input": {"keyResultId": org.krs[title], "value": value,
                                                   "confidence": 0.7}}, org.seller_token)["keyResultCheckIn"]
            assert checked["userErrors"] == [], title
    plan = api.gql(PLAN_CREATE, {"input": {"personId": org.seller["id"], "period": "2026-Q4",
                                           "targetVariable": "10000", "components": [
        {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "3000", "weight": "0.333333"},
        {"name": "Shared win rate", "metric": "KEY_RESULT_PROGRESS", "keyResultId": org.krs["Win rate"],
         "quota": "1", "weight": "0.666667"}]}}, org.finance)["compPlanCreate"]
    assert plan["userErrors"] == []
    return org


# --- reading both sides as text --------------------------------------------------------------

def gql_text(api, query, variables=None, token=None) -> dict:
    """GraphQL's data with every number kept as the text the JSON holds (`0.5`, not a float)."""
    response = api.http.post("/graphql", json={"query": query, "variables": variables or {}},
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = json.loads(response.text, parse_float=str, parse_int=str)
    assert not body.get("errors"), body["errors"]
    return body["data"]


def text(value) -> str:
    """A CSV cell for a GraphQL value already held as text: null empty, booleans in lower case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return value


def export(api, report, token, **params) -> tuple[list[str], list[dict]]:
    response = api.http.get(f"/export/{report}.csv", params={"period": "2026-Q4", **params},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    reader = csv.reader(io.StringIO(response.text))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def pick(row: dict, columns) -> dict:
    return {c: row[c] for c in columns}


# --- every export, figure by figure ----------------------------------------------------------

def payout_rows(data) -> list[dict]:
    rows = []
    for s in data["compStatements"]:
        for x in s["lines"]:
            rows.append({"person_email": s["person"]["email"], "component": x["component"], "metric": x["metric"],
                         "metric_value": text(x["metricValue"]), "quota": text(x["quota"]),
                         "attainment": text(x["attainment"]), "curve_value": text(x["curveValue"]),
                         "gate_open": text(x["gateOpen"]), "payout": text(x["payout"]),
                         "kind": "LOCKED" if s["locked"] else "ACCRUED"})
        for a in s["adjustments"]:
            rows.append({"person_email": s["person"]["email"], "component": text(a["component"]), "metric": "",
                         "metric_value": "", "quota": "", "attainment": "", "curve_value": "", "gate_open": "",
                         "payout": text(a["amount"]), "kind": "ADJUSTMENT"})
    return rows


def check_payouts(api, org) -> list[dict]:
    header, rows = export(api, "payouts", org.finance)
    assert header == PAYOUT_COLUMNS
    expected = payout_rows(gql_text(api, PAYOUTS, {"p": "2026-Q4"}, org.finance))
    assert [pick(r, expected[0]) for r in rows] == expected
    return rows


def check_contribution(api, org) -> list[dict]:
    header, rows = export(api, "team-contribution", org.finance)
    assert header == CONTRIBUTION_COLUMNS
    data = gql_text(api, CONTRIBUTION, {"p": "2026-Q4"}, org.finance)["teamContribution"]
    fields = ["goalProgress", "mqlsDelivered", "sals", "sqls", "sourcedPipeline", "influencedPipeline",
              "attributedBookings", "slaCompliance", "payoutsAccrued", "wastedSellingCost"]
    assert [pick(r, ["team"] + CONTRIBUTION_COLUMNS[2:]) for r in rows] == [
        {"team": t["team"]["name"], **{c: text(t[f]) for c, f in zip(CONTRIBUTION_COLUMNS[2:], fields)}}
        for t in data]
    return rows


def check_attribution(api, org) -> list[dict]:
    header, rows = export(api, "attribution", org.seller_token)
    assert header == ATTRIBUTION_COLUMNS
    data = gql_text(api, ATTRIBUTION, {"p": "2026-Q4"}, org.seller_token)["attribution"]
    assert [pick(r, ATTRIBUTION_COLUMNS[3:]) for r in rows] == [
        {"key": x["key"], "label": x["label"], "pipeline": x["pipeline"], "bookings": x["bookings"],
         "pipeline_share": text(x["pipelineShare"]), "bookings_share": text(x["bookingsShare"])} for x in data]
    return rows


def check_credits(api, org) -> list[dict]:
    header, rows = export(api, "credits", org.seller_token)
    assert header == CREDIT_COLUMNS
    deals = {e["node"]["externalId"]: e["node"]
             for e in gql_text(api, CREDITS, token=org.seller_token)["opportunities"]["edges"]}
    expected = []
    for external_id in dict.fromkeys(r["opportunity"] for r in rows):
        d = deals[external_id]
        for c in d["credits"]:
            expected.append({"opportunity": external_id, "opportunity_name": d["name"], "status": d["status"],
                             "touch_at": c["at"], "channel": text(c["channel"]), "campaign": text(c["campaign"]),
                             "team": text((c["team"] or {}).get("name")), "person": text((c["person"] or {}).get("name")),
                             "weight": c["weight"], "amount": c["amount"]})
    assert [pick(r, expected[0]) for r in rows] == expected
    return rows


def check_objectives(api, org) -> list[dict]:
    header, rows = export(api, "objectives", org.seller_token)
    assert header == OBJECTIVE_COLUMNS
    nodes = [e["node"] for e in gql_text(api, OBJECTIVES, {"p": "2026-Q4"}, org.seller_token)["objectives"]["edges"]]
    expected = []
    for o in nodes:
        base = {"objective_id": o["id"], "owners": "; ".join(f"{w['team']['name']} ({w['share']})" for w in o["owners"]),
                "status": o["status"], "progress": o["progress"], "expected_progress": o["expectedProgress"],
                "score": text(o["score"])}
        for k in o["keyResults"]:
            expected.append({**base, "key_result_id": k["id"], "unit": k["unit"], "start": k["start"],
                             "target": k["target"], "weight": k["weight"], "current": text(k["current"]),
                             "key_result_progress": text(k["progress"]),
                             "key_result_raw_progress": text(k["rawProgress"]), "key_result_status": k["status"]})
    assert [pick(r, expected[0]) for r in rows] == expected
    return rows


def check_sla(api, org) -> list[dict]:
    header, rows = export(api, "sla", org.seller_token)
    assert header == SLA_COLUMNS
    r = gql_text(api, SLA_REPORT, {"p": "2026-Q4"}, org.seller_token)["slaReport"]
    a = r["agreement"]
    levels = {}
    for row in rows:
        levels.setdefault(row["level"], []).append(row)
    assert pick(levels["AGREEMENT"][0], SLA_COLUMNS[14:25]) == {
        "mql_volume": r["mqlVolume"], "mql_volume_target": a["mqlVolume"], "volume_met": text(r["volumeMet"]),
        "acceptance_rate": text(r["acceptanceRate"]), "acceptance_rate_target": a["acceptanceRateTarget"],
        "acceptance_met": text(r["acceptanceMet"]), "follow_up_compliance": text(r["followUpCompliance"]),
        "follow_up_rate_target": a["followUpRateTarget"], "follow_up_met": text(r["followUpMet"]),
        "median_response_hours": text(r["medianResponseHours"]), "p90_response_hours": text(r["p90ResponseHours"])}
    assert [pick(x, ["side", "met", "counted", "compliance"]) for x in levels["SIDE"]] == [
        {"side": side, "met": c["met"], "counted": c["counted"], "compliance": text(c["compliance"])}
        for side, c in (("MARKETING", r["marketing"]), ("SALES", r["sales"]))]
    assert [pick(x, ["side", "person_email", "met", "counted", "compliance"]) for x in levels["PERSON"]] == [
        {"side": p["side"], "person_email": p["person"]["email"], "met": p["met"], "counted": p["counted"],
         "compliance": text(p["compliance"])} for p in r["people"]]
    assert [pick(x, ["month", "side", "person_email", "compliance", "met", "counted"])
            for x in levels.get("AWARD", [])] == [
        {"month": w["month"], "side": w["side"], "person_email": w["person"]["email"], "compliance": w["compliance"],
         "met": w["met"], "counted": w["counted"]} for w in r["awards"]]
    assert [pick(x, ["side", "item", "state", "due", "done_at", "overdue_hours", "lead"])
            for x in levels.get("BREACH", [])] == [
        {"side": b["side"], "item": b["item"], "state": b["state"], "due": b["due"], "done_at": text(b["doneAt"]),
         "overdue_hours": b["overdueHours"], "lead": b["lead"]["externalId"]}
        for b in (e["node"] for e in r["breaches"]["edges"])]
    return rows


def check_leads(api, org) -> list[dict]:
    header, rows = export(api, "leads", org.seller_token, score="true")
    assert header == LEAD_COLUMNS + LEAD_SCORE_COLUMNS
    nodes = {e["node"]["externalId"]: e["node"] for e in gql_text(api, LEADS, token=org.seller_token)["leads"]["edges"]}
    for row in rows:
        n = nodes[row["external_id"]]
        facts, score = n["facts"] or {}, n["score"] or {}
        assert pick(row, ["employees", "response_hours", "attempts", "fit_score", "engagement_score", "qualifies"]) == {
            "employees": text(n["employees"]), "response_hours": text(facts.get("responseHours")),
            "attempts": text(facts.get("attempts")), "fit_score": text(score.get("fit")),
            "engagement_score": text(score.get("engagement")), "qualifies": text(score.get("qualifies"))}, row
    return rows


CHECKS = {"payouts": check_payouts, "team-contribution": check_contribution, "attribution": check_attribution,
          "credits": check_credits, "objectives": check_objectives, "sla": check_sla, "leads": check_leads}
# a number with more decimals than any written form has (6): what the exports wrote before
TOO_LONG = re.compile(r"^-?\d+\.\d{7,}$")


def test_every_figure_of_every_export_is_the_text_graphql_writes(org, api):
    from api.exports import REPORTS
    assert set(CHECKS) == set(REPORTS)  # a new export needs its comparison here
    for report, check in CHECKS.items():
        rows = check(api, org)
        assert rows, report
        long = [(report, k, v) for r in rows for k, v in r.items() if TOO_LONG.match(v)]
        assert long == []


def test_the_awkward_figures_take_their_written_forms(org, api):
    objective = check_objectives(api, org)
    by_kr = {r["key_result"]: r for r in objective}
    assert objective[0]["owners"] == "Field Sales (0.333333); Demand Generation (0.666667)"
    assert pick(by_kr["Win rate"], ["start", "target", "current", "key_result_progress"]) == {
        "start": "0.100000", "target": "0.800000", "current": "0.400000", "key_result_progress": "0.428571"}
    assert pick(by_kr["Bookings"], ["current", "weight", "key_result_progress"]) == {
        "current": "1000.00", "weight": "3.0", "key_result_progress": "0.142857"}
    assert pick(by_kr["Response hours"], ["start", "current", "weight", "key_result_progress"]) == {
        "start": "48.00", "current": "41.00", "weight": "0.5", "key_result_progress": "0.166667"}
    assert pick(by_kr["MQLs"], ["current", "key_result_progress"]) == {"current": "7", "key_result_progress": "0.777778"}
    assert by_kr["Acceptance"]["current"] == "0.571429"  # 4/7, once "0.5714285714285714285714285714"

    [line_bookings, line_win_rate] = [r for r in check_payouts(api, org) if r["kind"] == "ACCRUED"]
    assert pick(line_bookings, ["metric_value", "quota", "attainment", "payout"]) == {
        "metric_value": "1000.00", "quota": "3000.00", "attainment": "0.333333", "payout": "1111.11"}
    assert pick(line_win_rate, ["metric_value", "quota", "attainment"]) == {
        "metric_value": "0.428571", "quota": "1.000000", "attainment": "0.428571"}

    agreement = next(r for r in check_sla(api, org) if r["level"] == "AGREEMENT")
    assert agreement["acceptance_rate"] == "0.571429"  # 4 accepted of 7 decided
    assert next(r for r in check_leads(api, org) if r["external_id"] == "L-0")["response_hours"] == "0.33"
    # W_SHAPED over three touches that are FT, LC and OC: a third each, the cents still adding up to the deal
    credits = [r for r in check_credits(api, org) if r["opportunity"] == "D-1"]
    assert [(r["weight"], r["amount"]) for r in credits] == [
        ("0.333333", "333.34"), ("0.333333", "333.33"), ("0.333333", "333.33")]


def test_locked_statements_are_written_as_open_ones(org, api):
    open_rows = check_payouts(api, org)
    api.set_now(AFTER_THE_QUARTER)
    closed = api.gql('mutation { periodClose(input: {period: "2026-Q4"}) { userErrors { code } } }', token=org.admin)
    assert closed["periodClose"]["userErrors"] == []
    locked_rows = check_payouts(api, org)
    assert {r["kind"] for r in locked_rows} == {"LOCKED"}
    figures = ["component", "metric_value", "quota", "attainment", "curve_value", "payout"]
    assert [pick(r, figures) for r in locked_rows] == [pick(r, figures) for r in open_rows]
    assert locked_rows[0]["attainment"] == "0.333333"
    check_objectives(api, org)  # the frozen key results too
    check_contribution(api, org)


# --- PERCENT means a fraction ----------------------------------------------------------------

def errors(result) -> list[tuple]:
    return [(tuple(e["field"]), e["code"], e["message"]) for e in result["userErrors"]]


def test_a_percent_key_result_in_whole_percents_is_refused_with_the_fraction_to_write(org, api):
    oid = gql_text(api, OBJECTIVES, {"p": "2026-Q4"}, org.seller_token)["objectives"]["edges"][0]["node"]["id"]
    before = api.run(KeyResult.all().count())
    result = api.gql(KR_CREATE, {"input": {"objectiveId": oid, "title": "Win rate in percents",
                                           "kind": "INCREASE_TO", "unit": "PERCENT", "start": "45",
                                           "target": "60"}}, org.sales_leader)["keyResultCreate"]
    assert result["keyResult"] is None
    assert errors(result) == [
        (("input", "start"), "INVALID", "a PERCENT value is a fraction between -10 and 10: write 0.45 for 45%"),
        (("input", "target"), "INVALID", "a PERCENT value is a fraction between -10 and 10: write 0.6 for 60%")]
    assert api.run(KeyResult.all().count()) == before


def test_a_check_in_of_52_on_a_percent_key_result_is_refused_and_changes_nothing(org, api):
    kr = org.krs["Win rate"]
    checked_before = api.run(CheckIn.all().count())
    result = api.gql(CHECK_IN, {"input": {"keyResultId": kr, "value": "52"}}, org.seller_token)["keyResultCheckIn"]
    assert result["checkIn"] is None
    assert errors(result) == [(("input", "value"), "INVALID",
                               "a PERCENT value is a fraction between -10 and 10: write 0.52 for 52%")]
    assert api.run(CheckIn.all().count()) == checked_before
    status = gql_text(api, OBJECTIVES, {"p": "2026-Q4"}, org.seller_token)["objectives"]["edges"][0]["node"]
    win_rate = next(k for k in status["keyResults"] if k["title"] == "Win rate")
    assert (win_rate["current"], win_rate["status"]) != ("52.000000", "ACCOMPLISHED")
    assert win_rate["current"] == "0.400000"
    fine = api.gql(CHECK_IN, {"input": {"keyResultId": kr, "value": "0.52"}}, org.seller_token)["keyResultCheckIn"]
    assert fine["userErrors"] == [] and fine["keyResult"]["current"] == "0.520000"


UPDATE = """mutation($input: KeyResultUpdateInput!) { keyResultUpdate(input: $input) {
  keyResult { title unit start target } userErrors { field message code } } }"""


def test_changing_a_count_to_percent_holds_its_values_to_the_rule(org, api):
    kr = org.krs["MQLs"]  # 0 -> 9: a fraction? 9 is, but not 90
    api.gql(UPDATE, {"input": {"id": kr, "expectedVersion": 1, "target": "90"}}, org.sales_leader)
    result = api.gql(UPDATE, {"input": {"id": kr, "expectedVersion": 2, "unit": "PERCENT"}},
                     org.sales_leader)["keyResultUpdate"]
    assert [(f, c) for f, c, _ in errors(result)] == [(("input", "target"), "INVALID")]


def check_percents_command() -> subprocess.CompletedProcess:
    """`sharedgoals check-percents` on the tests' database, as the lead would run it."""
    env = dict(os.environ, DATABASE_URL=TEST_DATABASE_URL, SHAREDGOALS_LOG_LEVEL="WARNING")
    return cli.run(["check-percents"], env=env, timeout=120)


def test_a_stored_whole_percent_can_still_be_renamed_and_is_listed_by_the_check(org, api):
    from domain.goals.queries import percent_values_out_of_range
    from strawberry import relay
    kr_id = int(relay.GlobalID.from_id(org.krs["Win rate"]).node_id)
    api.run(KeyResult.filter(id=kr_id).update(start=45, target=60))  # as stored before the rule
    renamed = api.gql(UPDATE, {"input": {"id": org.krs["Win rate"], "expectedVersion": 1, "title": "Win rate %"}},
                      org.sales_leader)["keyResultUpdate"]
    assert renamed["userErrors"] == [] and renamed["keyResult"]["title"] == "Win rate %"
    found = api.run(percent_values_out_of_range())
    assert [(x.key_result_title, x.field, format(x.value.normalize(), "f")) for x in found] == [
        ("Win rate %", "start", "45"), ("Win rate %", "target", "60")]
    assert "write 0.45 for 45%" in found[0].problem
    listed = check_percents_command()
    assert listed.returncode == 1, listed.stderr
    assert "Thirds and sevenths / Win rate %  start = 45: " in listed.stdout
    assert "2 stored PERCENT values outside -10..10" in listed.stdout
    fixed = api.gql(UPDATE, {"input": {"id": org.krs["Win rate"], "expectedVersion": 2, "start": "0.45",
                                       "target": "0.6"}}, org.sales_leader)["keyResultUpdate"]
    assert fixed["userErrors"] == [] and (fixed["keyResult"]["start"], fixed["keyResult"]["target"]) == (
        "0.450000", "0.600000")
    assert api.run(percent_values_out_of_range()) == []
    clean = check_percents_command()
    assert clean.returncode == 0 and "0 stored PERCENT values outside -10..10" in clean.stdout
