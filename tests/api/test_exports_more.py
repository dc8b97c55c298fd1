"""The objectives, sla and leads CSV exports: the same figures as GraphQL, escaped, authorised, and the leads export
read in pages (a number of statements that follows the pages, not the rows)."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from api.exports import LEAD_COLUMNS, LEAD_SCORE_COLUMNS, OBJECTIVE_COLUMNS, SLA_COLUMNS
from tests.api.fixtures import agree
from tests.api.goals_support import CHECK_IN, KR_CREATE, OBJECTIVE_CREATE
from tests.api.leads_support import Org
from tests.harness import snapshot

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
FORMULA = ("=", "+", "-", "@", "\t", "\r")

SLA_REPORT = """query($p: String!) { slaReport(period: $p) {
  mqlVolume volumeMet acceptanceRate acceptanceMet followUpCompliance followUpMet medianResponseHours p90ResponseHours
  agreement { mqlVolume acceptanceRateTarget followUpRateTarget marketingTeam { name } salesTeam { name } }
  marketing { met counted compliance } sales { met counted compliance }
  people { side person { email name team { name } } met counted compliance }
  awards { month side person { email } compliance met counted }
  breaches(first: 100) { edges { node { side item state due doneAt overdueHours lead { externalId } } } } } }"""
OBJECTIVES = """query($p: String!) { objectives(period: $p, first: 50) { edges { node {
  id title progress expectedProgress status score scoreOverrideReason owners { share team { name } }
  keyResults { id title kind unit source start target weight current progress rawProgress status metric { name } }
} } } }"""
LEADS = """query($after: String) { leads(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
  edges { node { externalId company contactName email industry employees region title source createdAt stage
    owner { email name team { name } } firstTouchTeam { name }
    facts { mqlAt handoverAt firstFollowUpAt responseHours attempts decision decisionAt salAt sqlAt }
    score { fit engagement qualifies } } } } }"""
EXPORT_TOKEN = """mutation { exportTokenCreate(input: {name: "Sheets", expiresInDays: 7}) {
  secret userErrors { code } } }"""


@snapshot
def org(api, admin):
    api.set_now(NOW)
    org = Org(api, admin)
    org.finance = api.token("FINANCE")
    org.active_definition()
    agreed = agree(org, api)
    assert agreed["userErrors"] == []
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for i in range(7):  # MQLs handed over to Sofia; three answered late, one handed over late, two never decided
        lead = org.lead(f"L-{i}", company=f"Company {i}", employees=300 + i)
        mql = start + timedelta(days=i, minutes=7 * i)
        org.touch(lead, mql - timedelta(hours=1), kind="MARKETING", team="Demand Generation",
                  person="dana@example.com", channel="webinar", external_id=f"M-{i}")
        handover = mql + (timedelta(hours=1) if i != 3 else timedelta(hours=9))
        org.events(lead, (mql, "STAGE", "MQL"), (handover, "ASSIGNED", None, "seller@example.com"))
        org.touch(lead, handover + (timedelta(hours=5 + i) if i < 4 else timedelta(hours=30)), external_id=f"S-{i}")
        if i < 4:
            org.events(lead, (mql + timedelta(days=2), "STAGE", "SAL"))
        elif i < 5:
            org.events(lead, (mql + timedelta(days=2), "STAGE", "RECYCLED", None, "NO_BUDGET"))
    org.events(org.lead("L-W", company="Webinar Co", title="Head of Ops"),
               (datetime(2026, 11, 10, tzinfo=UTC), "WEBINAR"), (datetime(2026, 11, 12, tzinfo=UTC), "FORM_SUBMIT"))
    org.lead("L-EVIL", company="=cmd()", contact_name="@home", title="-VP",
             created_at=datetime(2026, 10, 5, tzinfo=UTC))
    moved = org.lead("L-MOVED", created_at=datetime(2026, 8, 1, tzinfo=UTC), industry="Retail")
    org.events(moved, (datetime(2026, 10, 10, tzinfo=UTC), "STAGE", "DISQUALIFIED", None, "NOT_ICP"))
    old = org.lead("L-OLD", created_at=datetime(2026, 8, 1, tzinfo=UTC))
    org.events(old, (datetime(2026, 8, 5, tzinfo=UTC), "STAGE", "DISQUALIFIED", None, "NOT_ICP"),
               (datetime(2026, 10, 11, tzinfo=UTC), "EMAIL_OPEN"))  # a behaviour is not a stage change
    org.lead("L-NEXT", created_at=datetime(2027, 1, 5, tzinfo=UTC))

    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Grow qualified pipeline", "period": "2026-Q4",
                                                     "owners": [{"teamId": org.sales, "share": "0.6"},
                                                                {"teamId": org.marketing, "share": "0.4"}]}},
                        org.sales_leader)["objectiveCreate"]["objective"]
    manual = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "Discovery calls",
                                           "kind": "INCREASE_TO", "unit": "COUNT", "start": "10", "target": "70",
                                           "weight": "2"}}, org.sales_leader)["keyResultCreate"]
    metric = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "MQLs", "kind": "INCREASE_TO",
                                           "unit": "COUNT", "start": "0", "target": "9", "source": "METRIC",
                                           "metric": {"name": "MQL_COUNT", "teamIds": [org.marketing]}}},
                     org.sales_leader)["keyResultCreate"]
    assert manual["userErrors"] == metric["userErrors"] == []
    checked = api.gql(CHECK_IN, {"input": {"keyResultId": manual["keyResult"]["id"], "value": "30"}},
                      org.seller_token)["keyResultCheckIn"]
    assert checked["userErrors"] == []
    api.gql(OBJECTIVE_CREATE, {"input": {"title": "+Shared funnel, no key results yet", "period": "2026-Q4",
                                         "owners": [{"teamId": org.marketing, "share": "1"}]}}, org.marketing_leader)
    return org


def export(api, report, token=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.http.get(f"/export/{report}.csv", params={"period": "2026-Q4", **params}, headers=headers)


def table(response) -> tuple[list[str], list[dict]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.reader(io.StringIO(response.text))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def cell(value) -> str:
    """What the CSV holds for a GraphQL value: floats as JSON writes them, text escaped, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return str(value)


# --- objectives ----------------------------------------------------------------------------

def test_objectives_csv_has_a_row_per_key_result_with_graphqls_figures(org, api):
    header, rows = table(export(api, "objectives", org.seller_token))
    assert header == OBJECTIVE_COLUMNS
    nodes = [e["node"] for e in api.gql(OBJECTIVES, {"p": "2026-Q4"}, org.seller_token)["objectives"]["edges"]]
    expected = []
    for o in nodes:
        owners = "; ".join(f"{w['team']['name']} ({w['share']})" for w in o["owners"])
        base = {"period": "2026-Q4", "objective_id": o["id"], "objective": cell(o["title"]), "owners": owners,
                "status": o["status"], "progress": cell(o["progress"]),
                "expected_progress": cell(o["expectedProgress"]), "score": cell(o["score"]),
                "score_override_reason": cell(o["scoreOverrideReason"])}
        for k in o["keyResults"] or [None]:
            expected.append({**base, **({c: "" for c in OBJECTIVE_COLUMNS[9:]} if k is None else {
                "key_result_id": k["id"], "key_result": k["title"], "kind": k["kind"], "unit": k["unit"],
                "source": k["source"], "metric": k["metric"]["name"] if k["metric"] else "", "start": k["start"],
                "target": k["target"], "weight": cell(k["weight"]), "current": k["current"],
                "key_result_progress": cell(k["progress"]), "key_result_raw_progress": cell(k["rawProgress"]),
                "key_result_status": k["status"]})})
    assert rows == expected
    grow = [r for r in rows if r["objective"] == "Grow qualified pipeline"]
    # Discovery calls 10 -> 70, at 30: 1/3; MQLs 7 of 9 first touched by marketing (L-W's MQL is its own):
    assert [(r["key_result"], r["current"]) for r in grow] == [("Discovery calls", "30"), ("MQLs", "7")]
    assert grow[0]["key_result_progress"] == "0.333333" and grow[0]["weight"] == "2.0"  # 6 places, a Float
    assert [r["objective"] for r in rows][-1] == "'+Shared funnel, no key results yet"


# --- sla -------------------------------------------------------------------------------------

def test_sla_csv_holds_slareport_per_agreement_side_person_award_and_breach(org, api):
    header, rows = table(export(api, "sla", org.seller_token))
    assert header == SLA_COLUMNS
    r = api.gql(SLA_REPORT, {"p": "2026-Q4"}, org.seller_token)["slaReport"]
    by_level = {}
    for row in rows:
        assert (row["period"], row["marketing_team"], row["sales_team"]) == ("2026-Q4", "Demand Generation",
                                                                             "Field Sales")
        by_level.setdefault(row["level"], []).append(row)
    assert list(by_level) == ["AGREEMENT", "SIDE", "PERSON", "AWARD", "BREACH"]
    breaches = [e["node"] for e in r["breaches"]["edges"]]
    count = lambda state, side=None: str(sum(1 for b in breaches if b["state"] == state and side in (None, b["side"])))

    [agreement] = by_level["AGREEMENT"]
    a = r["agreement"]
    assert {k: agreement[k] for k in SLA_COLUMNS[14:25]} == {
        "mql_volume": cell(r["mqlVolume"]), "mql_volume_target": cell(a["mqlVolume"]),
        "volume_met": cell(r["volumeMet"]), "acceptance_rate": cell(r["acceptanceRate"]),
        "acceptance_rate_target": cell(a["acceptanceRateTarget"]), "acceptance_met": cell(r["acceptanceMet"]),
        "follow_up_compliance": cell(r["followUpCompliance"]), "follow_up_rate_target": cell(a["followUpRateTarget"]),
        "follow_up_met": cell(r["followUpMet"]), "median_response_hours": cell(r["medianResponseHours"]),
        "p90_response_hours": cell(r["p90ResponseHours"])}
    assert (agreement["open_breaches"], agreement["missed"]) == (count("OPEN_BREACH"), count("MISSED"))
    # 4 of 7 followed up within 24 h, 4 SAL of 5 decided
    assert agreement["follow_up_compliance"] == "0.571429" and agreement["acceptance_rate"] == "0.8"

    sides = {row["side"]: row for row in by_level["SIDE"]}
    assert [sides["MARKETING"]["team"], sides["SALES"]["team"]] == ["Demand Generation", "Field Sales"]
    for side, figures in (("MARKETING", r["marketing"]), ("SALES", r["sales"])):
        row = sides[side]
        assert (row["met"], row["counted"], row["compliance"]) == (
            cell(figures["met"]), cell(figures["counted"]), cell(figures["compliance"]))
        assert (row["open_breaches"], row["missed"]) == (count("OPEN_BREACH", side), count("MISSED", side))

    assert [(p["side"], p["person_email"], p["person_name"], p["team"], p["met"], p["counted"], p["compliance"])
            for p in by_level["PERSON"]] == [
        (p["side"], p["person"]["email"], p["person"]["name"], p["person"]["team"]["name"], cell(p["met"]),
         cell(p["counted"]), cell(p["compliance"])) for p in r["people"]]
    assert [(w["month"], w["side"], w["person_email"], w["compliance"], w["met"], w["counted"])
            for w in by_level["AWARD"]] == [
        (w["month"], w["side"], w["person"]["email"], cell(w["compliance"]), cell(w["met"]), cell(w["counted"]))
        for w in r["awards"]]
    assert [(b["side"], b["item"], b["state"], b["due"], b["done_at"], b["overdue_hours"], b["lead"])
            for b in by_level["BREACH"]] == [
        (b["side"], b["item"], b["state"], b["due"], cell(b["doneAt"]), cell(b["overdueHours"]),
         b["lead"]["externalId"]) for b in breaches]
    assert {(b["side"], b["person_email"]) for b in by_level["BREACH"]} == {
        ("SALES", "seller@example.com"), ("MARKETING", "dana@example.com")}
    sofia = next(p for p in by_level["PERSON"] if p["person_email"] == "seller@example.com")
    assert (sofia["open_breaches"], sofia["missed"]) == (count("OPEN_BREACH", "SALES"), count("MISSED", "SALES"))


def test_sla_csv_of_a_period_without_an_agreement_is_its_header(org, api):
    assert table(export(api, "sla", org.seller_token, period="2026-Q2")) == (SLA_COLUMNS, [])


# --- leads -----------------------------------------------------------------------------------

def _graphql_leads(api, token) -> dict[str, dict]:
    found, after = {}, None
    while True:
        page = api.gql(LEADS, {"after": after}, token)["leads"]
        found.update({e["node"]["externalId"]: e["node"] for e in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def _lead_row(n: dict) -> dict:
    facts, owner = n["facts"] or {}, n["owner"] or {}
    return {"period": "2026-Q4", "external_id": n["externalId"], "company": cell(n["company"]),
            "contact_name": cell(n["contactName"]), "email": cell(n["email"]), "industry": cell(n["industry"]),
            "employees": cell(n["employees"]), "region": cell(n["region"]), "title": cell(n["title"]),
            "source": cell(n["source"]), "created_at": n["createdAt"], "stage": n["stage"],
            "owner_email": cell(owner.get("email")), "owner_name": cell(owner.get("name")),
            "owner_team": cell((owner.get("team") or {}).get("name")),
            "first_touch_team": cell((n["firstTouchTeam"] or {}).get("name")),
            "mql_at": cell(facts.get("mqlAt")), "handover_at": cell(facts.get("handoverAt")),
            "first_follow_up_at": cell(facts.get("firstFollowUpAt")),
            "response_hours": cell(facts.get("responseHours")),
            "attempts": cell(facts.get("attempts")), "decision": cell(facts.get("decision")),
            "decision_at": cell(facts.get("decisionAt")), "sal_at": cell(facts.get("salAt")),
            "sql_at": cell(facts.get("sqlAt"))}


def test_leads_csv_has_the_leads_created_or_moved_in_the_period_as_graphql_shows_them(org, api):
    header, rows = table(export(api, "leads", org.seller_token))
    assert header == LEAD_COLUMNS
    nodes = _graphql_leads(api, org.seller_token)
    # created in Q4, or created before with a stage change in Q4; not L-OLD (only a behaviour in Q4), not L-NEXT
    wanted = [f"L-{i}" for i in range(7)] + ["L-W", "L-EVIL", "L-MOVED"]
    assert [r["external_id"] for r in rows] == wanted
    for row, x in zip(rows, wanted):
        assert row == _lead_row(nodes[x]), x
    assert rows[0]["owner_email"] == "seller@example.com" and rows[0]["owner_team"] == "Field Sales"
    assert rows[0]["first_touch_team"] == "Demand Generation" and rows[0]["response_hours"] == "5.0"
    assert rows[wanted.index("L-MOVED")]["stage"] == "DISQUALIFIED"


def test_leads_csv_escapes_formulas(org, api):
    _, rows = table(export(api, "leads", org.seller_token))
    evil = next(r for r in rows if r["external_id"] == "L-EVIL")
    assert (evil["company"], evil["contact_name"], evil["title"]) == ("'=cmd()", "'@home", "'-VP")
    assert "\n'=cmd()," not in export(api, "leads", org.seller_token).text  # the cell, not the start of a line
    assert ",'=cmd()," in export(api, "leads", org.seller_token).text


def test_leads_csv_filters_by_stage_and_adds_the_score_on_request(org, api):
    _, sal = table(export(api, "leads", org.seller_token, stage="SAL"))
    assert [r["external_id"] for r in sal] == ["L-0", "L-1", "L-2", "L-3"]
    nodes = _graphql_leads(api, org.seller_token)
    _, fresh = table(export(api, "leads", org.seller_token, stage="LEAD"))  # with or without stored facts
    assert [r["external_id"] for r in fresh] == [x for x in ("L-W", "L-EVIL") if nodes[x]["stage"] == "LEAD"]
    assert "L-EVIL" in [r["external_id"] for r in fresh]
    header, scored = table(export(api, "leads", org.seller_token, score="true"))
    assert header == LEAD_COLUMNS + LEAD_SCORE_COLUMNS
    for row in scored:
        s = nodes[row["external_id"]]["score"]
        assert (row["fit_score"], row["engagement_score"], row["qualifies"]) == (
            s["fit"], s["engagement"], cell(s["qualifies"]))
    webinar = next(r for r in scored if r["external_id"] == "L-W")
    assert webinar["engagement_score"] not in ("", "0") and webinar["fit_score"] == "100"


# --- access and errors -----------------------------------------------------------------------

@pytest.mark.parametrize("report", ["objectives", "sla", "leads"])
def test_the_new_reports_need_a_token_and_open_with_an_export_token(org, api, report):
    assert export(api, report).status_code == 401
    assert export(api, report, token="sg_not-a-token").status_code == 401
    secret = api.gql(EXPORT_TOKEN, token=org.sales_leader)["exportTokenCreate"]["secret"]
    by_url = api.http.get(f"/export/{report}.csv", params={"period": "2026-Q4", "token": secret})
    by_header = export(api, report, org.sales_leader)
    assert by_url.status_code == 200 and by_url.text == by_header.text
    assert by_url.headers["content-disposition"] == f'attachment; filename="{report}-2026-Q4.csv"'


def test_unknown_reports_bad_periods_and_bad_options_are_refused(org, api):
    assert export(api, "nope", org.seller_token).status_code == 404
    for report in ("objectives", "sla", "leads"):
        for period in ("2026-Q5", "soon", ""):
            response = export(api, report, org.seller_token, period=period)
            assert response.status_code == 400, (report, period)
            assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"
    assert export(api, "leads", org.seller_token, stage="HOT").status_code == 400
    assert export(api, "leads", org.seller_token, score="yes").status_code == 400


def test_no_pay_or_cost_in_the_new_reports(org, api):
    api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) { userErrors { code } } }""",
            {"input": {"personId": org.seller["id"], "period": "2026-Q4", "targetVariable": "20000", "components": [
                {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "60000", "weight": "1"}]}}, org.finance)
    for report in ("objectives", "sla", "leads"):
        header, _ = table(export(api, report, org.marketing_leader))
        text = export(api, report, org.marketing_leader).text
        assert not {"annual_cost", "cost", "payout", "payouts_accrued", "cost_per_selling_hour"} & set(header)
        assert "210672" not in text and "20000" not in text


# --- paging ------------------------------------------------------------------------------------

def _many_leads(api, n: int) -> None:
    from domain.leads.models import Lead
    created = datetime(2026, 10, 20, tzinfo=UTC)
    api.run(Lead.bulk_create([Lead(external_id=f"B-{i:06d}", company=f"Bulk {i}", created_at=created)
                              for i in range(n)], batch_size=1000))


def test_leads_csv_streams_in_pages_a_few_statements_per_page(org, api):
    from domain.leads import queries
    from domain.org.service import get_period
    n = 6000
    _many_leads(api, n)
    total_leads = n + 12
    with api.count_queries() as counted:
        response = export(api, "leads", org.seller_token)
    _, rows = table(response)
    assert len(rows) == n + 10 and len({r["external_id"] for r in rows}) == n + 10
    pages = total_leads // queries.EXPORT_PAGE + 1
    # the token, the people and teams once, then two statements a page: not one a row
    assert counted.count <= 2 * pages + 6, counted.statements

    view = api.run(get_period("2026-Q4"))

    async def read(page_size):
        return [[r.external_id for r in page] async for page in queries.lead_export_pages(view, page_size=page_size)]
    for page_size in (500, 1000):
        with api.count_queries() as counted:
            pages = api.run(read(page_size))
        assert counted.count == 2 * (total_leads // page_size + 1)  # a window's upper id, then its rows
        assert all(len(p) <= page_size for p in pages)
        assert [x for p in pages for x in p] == [r["external_id"] for r in rows]
