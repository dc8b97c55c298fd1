"""The common view: each team's contribution, the same in GraphQL and CSV, pay totals private."""
import csv
import io
from datetime import datetime, timezone

import pytest

from tests.api.support import codes

UTC = timezone.utc
day = lambda d, m=10: datetime(2026, m, d, 12, tzinfo=UTC)
QUERY = """{ teamContribution(period: "2026-Q4") { team { name } goalProgress mqlsDelivered sals sqls
  sourcedPipeline influencedPipeline attributedBookings slaCompliance payoutsAccrued wastedSellingCost
  objectives { title } previousPeriod { period { key } mqlsDelivered } } }"""


@pytest.fixture
def org(contribution_org):
    return contribution_org


def _by_team(rows):
    return {r["team"]["name"]: r for r in rows}


def test_each_team_sees_its_share_of_the_common_result(org, api):
    teams = _by_team(api.gql(QUERY, token=org.finance)["teamContribution"])
    sales, marketing = teams["Field Sales"], teams["Demand Generation"]
    assert sales["goalProgress"] == marketing["goalProgress"] == 0.5  # 30,000 of 60,000 booked
    assert (marketing["mqlsDelivered"], sales["mqlsDelivered"]) == (1, 0)
    assert (sales["sals"], sales["sqls"]) == (1, 1)
    assert marketing["sourcedPipeline"] == "30000.00" and sales["influencedPipeline"] == "30000.00"
    # W_SHAPED with FT = LC (webinar) and OC (call): 2/3 and 1/3 of 30,000
    assert (marketing["attributedBookings"], sales["attributedBookings"]) == ("20000.00", "10000.00")
    assert sales["payoutsAccrued"] == "10000.00"  # half the quota, half the target variable
    assert sales["objectives"] == [{"title": "Grow bookings"}]
    assert sales["previousPeriod"] == {"period": {"key": "2026-Q3"}, "mqlsDelivered": 0}


def test_team_pay_totals_are_for_the_teams_leaders_finance_and_admins(org, api):
    body = api.post(QUERY, token=org.marketing_leader)
    teams = _by_team(body["data"]["teamContribution"])
    assert teams["Field Sales"]["payoutsAccrued"] is None and teams["Demand Generation"]["payoutsAccrued"] == "0.00"
    assert set(codes(body["errors"])) == {"FORBIDDEN"}
    assert _by_team(api.gql(QUERY.replace("payoutsAccrued wastedSellingCost", ""), token=org.seller_token)[
        "teamContribution"])["Field Sales"]["mqlsDelivered"] == 0


def test_the_csv_has_the_same_figures_as_graphql(org, api):
    response = api.http.get("/export/team-contribution.csv", params={"period": "2026-Q4"},
                            headers={"Authorization": f"Bearer {org.finance}"})
    rows = {r["team"]: r for r in csv.DictReader(io.StringIO(response.text))}
    teams = _by_team(api.gql(QUERY, token=org.finance)["teamContribution"])
    for name, row in rows.items():
        g = teams[name]
        assert row["attributed_bookings"] == g["attributedBookings"] and row["payouts_accrued"] == g["payoutsAccrued"]
        assert int(row["mqls_delivered"]) == g["mqlsDelivered"] and row["sourced_pipeline"] == g["sourcedPipeline"]
        assert (float(row["goal_progress"]) if row["goal_progress"] else None) == g["goalProgress"]
    mine = {r["team"]: r for r in csv.DictReader(io.StringIO(api.http.get(
        "/export/team-contribution.csv", params={"period": "2026-Q4"},
        headers={"Authorization": f"Bearer {org.marketing_leader}"}).text))}
    assert mine["Field Sales"]["payouts_accrued"] == "" and mine["Demand Generation"]["payouts_accrued"] == "0.00"


def test_company_totals_count_each_deal_once(org, api):
    company = api.gql('{ companyContribution(period: "2026-Q4") { pipeline bookings mqlsDelivered sals sqls } }',
                      token=org.seller_token)["companyContribution"]
    assert company == {"pipeline": "30000.00", "bookings": "30000.00", "mqlsDelivered": 1, "sals": 1, "sqls": 1}


EXPORT_TOKEN = """mutation($days: Int!) { exportTokenCreate(input: {name: "Sheets", expiresInDays: $days}) {
  secret token { id expiresAt } userErrors { field code } } }"""


def test_a_read_only_export_token_opens_the_csv_in_the_url_and_only_reads(org, api):
    created = api.gql(EXPORT_TOKEN, {"days": 7}, org.finance)["exportTokenCreate"]
    secret = created["secret"]
    sheet = api.http.get("/export/team-contribution.csv", params={"period": "2026-Q4", "token": secret})
    assert sheet.status_code == 200 and "Field Sales" in sheet.text
    assert api.gql("{ viewer { role } }", token=secret)["viewer"]["role"] == "FINANCE"  # it reads, as its creator
    body = api.post('mutation { teamCreate(input: {name: "X", function: SALES}) { team { id } } }', token=secret)
    assert body["data"] is None and codes(body["errors"]) == ["FORBIDDEN"]
    imported = api.http.post("/import/leads", content=b"external_id\n", headers={"Authorization": f"Bearer {secret}"})
    assert imported.status_code == 401  # imports need a full token
    assert api.http.get("/export/team-contribution.csv",
                        params={"period": "2026-Q4", "token": org.seller_token}).status_code == 401  # not in URLs
    revoked = api.gql('mutation($id: ID!) { tokenRevoke(input: {id: $id}) { userErrors { code } } }',
                      {"id": created["token"]["id"]}, org.finance)
    assert revoked["tokenRevoke"]["userErrors"] == []  # its creator may revoke it
    assert api.http.get("/export/team-contribution.csv",
                        params={"period": "2026-Q4", "token": secret}).status_code == 401


def test_export_tokens_expire(org, api):
    from datetime import timedelta
    secret = api.gql(EXPORT_TOKEN, {"days": 1}, org.finance)["exportTokenCreate"]["secret"]
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC) + timedelta(days=1, seconds=1))
    assert api.http.get("/export/payouts.csv", params={"period": "2026-Q4", "token": secret}).status_code == 401
    too_long = api.gql(EXPORT_TOKEN, {"days": 365}, org.finance)["exportTokenCreate"]
    assert too_long["userErrors"] == [{"field": ["input", "expiresInDays"], "code": "INVALID"}]
