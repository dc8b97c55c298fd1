"""Crediting splits for pay through GraphQL: own- and team-bookings components read the shares, the attribution
models' team credit does not, and a refused split writes nothing."""
from __future__ import annotations

from tests.api.fixtures import contribution_org  # noqa: F401  (a fixture)

DEAL = """{ opportunities(first: 5, period: "2026-Q4") { edges { node { id externalId
  splits { percent person { email } } } } } }"""
SET = """mutation($input: OpportunitySplitSetInput!) { opportunitySplitSet(input: $input) {
  opportunity { externalId splits { percent person { email } } } userErrors { field code message } } }"""
STATEMENTS = """{ compStatements(period: "2026-Q4") { person { email } lines { component metric metricValue payout
  deals { externalId } } } }"""
TEAM_CREDIT = """{ attribution(period: "2026-Q4", groupBy: TEAM) { label bookings } }"""
PERSON = """{ people(first: 50) { edges { node { id email } } } }"""


def _ids(api, org):
    deal = api.gql(DEAL, token=org.finance)["opportunities"]["edges"][0]["node"]
    people = {e["node"]["email"]: e["node"]["id"] for e in api.gql(PERSON, token=org.finance)["people"]["edges"]}
    return deal["id"], people


def _plan(api, org, person_gid, metric):
    result = api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
      userErrors { code } } }""", {"input": {"personId": person_gid, "period": "2026-Q4", "targetVariable": "10000",
                                             "components": [{"name": "Bookings", "metric": metric,
                                                             "quota": "60000", "weight": "1"}]}}, org.finance)
    assert result["compPlanCreate"]["userErrors"] == []


def _lines(api, org):
    return {s["person"]["email"]: s["lines"][0] for s in api.gql(STATEMENTS, token=org.finance)["compStatements"]}


def test_a_split_deal_credits_each_person_their_share_for_pay_and_leaves_team_credit_alone(api, contribution_org):
    org = contribution_org
    deal, people = _ids(api, org)
    _plan(api, org, people["mktlead@example.com"], "OWN_BOOKINGS")
    before = api.gql(TEAM_CREDIT, token=org.finance)
    assert _lines(api, org)["seller@example.com"]["metricValue"] == "30000.00"   # the owner's, unsplit

    result = api.gql(SET, {"input": {"opportunityId": deal, "splits": [
        {"personId": people["seller@example.com"], "percent": "70"},
        {"personId": people["mktlead@example.com"], "percent": "30"}]}}, org.finance)["opportunitySplitSet"]
    assert result["userErrors"] == []
    assert result["opportunity"]["splits"] == [{"percent": "70.00", "person": {"email": "seller@example.com"}},
                                               {"percent": "30.00", "person": {"email": "mktlead@example.com"}}]
    lines = _lines(api, org)
    assert (lines["seller@example.com"]["metricValue"], lines["mktlead@example.com"]["metricValue"]) == \
        ("21000.00", "9000.00")
    assert lines["mktlead@example.com"]["deals"] == [{"externalId": "O-1"}]       # traced to the deal
    assert lines["seller@example.com"]["payout"] == "7000.00"                     # 20,000 × 21,000 / 60,000
    # side by side: the attribution models' team credit is what it was
    assert api.gql(TEAM_CREDIT, token=org.finance) == before

    # an empty list gives the deal back to its owner
    cleared = api.gql(SET, {"input": {"opportunityId": deal, "splits": []}}, org.finance)["opportunitySplitSet"]
    assert cleared["userErrors"] == [] and cleared["opportunity"]["splits"] == []
    assert _lines(api, org)["seller@example.com"]["metricValue"] == "30000.00"


def test_team_bookings_count_the_shares_of_the_teams_people(api, contribution_org):
    org = contribution_org
    deal, people = _ids(api, org)
    _plan(api, org, people["mktlead@example.com"], "TEAM_BOOKINGS")
    api.gql(SET, {"input": {"opportunityId": deal, "splits": [
        {"personId": people["seller@example.com"], "percent": "33.33"},
        {"personId": people["saleslead@example.com"], "percent": "33.33"},
        {"personId": people["mktlead@example.com"], "percent": "33.34"}]}}, org.finance)
    # 30,000 split to the cent: 9,999 + 9,999 to sales, 10,002 to marketing
    assert _lines(api, org)["mktlead@example.com"]["metricValue"] == "10002.00"


def test_a_refused_split_writes_nothing(api, contribution_org):
    org = contribution_org
    deal, people = _ids(api, org)
    seller, lead = people["seller@example.com"], people["mktlead@example.com"]
    cases = [
        ([{"personId": seller, "percent": "70"}, {"personId": lead, "percent": "20"}],
         [(["input", "splits"], "INVALID")]),
        ([{"personId": seller, "percent": "50"}, {"personId": seller, "percent": "50"}],
         [(["input", "splits", "1", "personId"], "DUPLICATE")]),
        ([{"personId": seller, "percent": "100.5"}], [(["input", "splits", "0", "percent"], "INVALID")]),
        ([{"personId": "UGVyc29uOjk5OTk=", "percent": "100"}], [(["input", "splits", "0", "personId"], "NOT_FOUND")]),
    ]
    for splits, expected in cases:
        result = api.gql(SET, {"input": {"opportunityId": deal, "splits": splits}}, org.finance)["opportunitySplitSet"]
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == expected, splits
        assert result["opportunity"] is None
    refused = api.post(SET, {"input": {"opportunityId": deal, "splits": [{"personId": seller, "percent": "100"}]}},
                       org.sales_leader)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert api.gql(DEAL, token=org.finance)["opportunities"]["edges"][0]["node"]["splits"] == []
    audit = api.gql("""{ auditLog(first: 50) { edges { node { action } } } }""", token=org.admin)["auditLog"]["edges"]
    assert "opportunitySplitSet" not in [e["node"]["action"] for e in audit]
