"""No N+1: every list query with nested fields takes the same number of SQL statements for a few rows as for many.

Each test asks one query over a small data set, adds rows of the same shape, and asks again: the statement counts
must be equal (the goals and people lists have their own tests in test_goals.py and test_org.py)."""
from datetime import datetime, timezone

import pytest

from tests.api.fixtures import AUDIT, CONTRIBUTION, LEADS, OPPORTUNITIES, SHARED_WINS, STATEMENTS
from tests.api.fixtures import add_deals as _add_deals
from tests.api.support import create_person

UTC = timezone.utc
day = lambda d, m=10: datetime(2026, m, d, 12, tzinfo=UTC)

PLAN = """mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) { compPlan { id } userErrors { code } } }"""


@pytest.fixture
def org(reports_org):
    return reports_org


def _statements(api, query, token) -> tuple[int, int, list[str]]:
    with api.count_queries() as counter:
        data = api.gql(query, token=token)
    (root,) = data.values()
    rows = root["edges"] if isinstance(root, dict) else root
    return len(rows), counter.count, [s[:160] for s in counter.statements]


def _same_count_for_few_and_many(api, query, token, grow) -> None:
    grow(2)
    few = _statements(api, query, token)
    grow(8)
    many = _statements(api, query, token)
    assert many[0] > few[0], (few, many)
    assert many[1] == few[1], (f"{few[1]} statements for {few[0]} rows but {many[1]} for {many[0]}:\n"
                               + "\n".join(few[2]) + "\n-- against --\n" + "\n".join(many[2]))


def test_leads_with_owner_facts_timeline_and_score(org, api):
    _same_count_for_few_and_many(api, LEADS, org.admin, lambda n: _add_deals(api, org, n))


def test_opportunities_with_credits_teams_and_people(org, api):
    _same_count_for_few_and_many(api, OPPORTUNITIES, org.admin, lambda n: _add_deals(api, org, n))


def test_shared_wins_with_touching_teams_and_credits(org, api):
    _same_count_for_few_and_many(api, SHARED_WINS, org.admin, lambda n: _add_deals(api, org, n))


STATEMENTS_AS_OF = STATEMENTS.replace('compStatements(period: "2026-Q4")',
                                      'compStatements(period: "2026-Q4", asOf: "2026-10-31")')
CONTRIBUTION_AS_OF = CONTRIBUTION.replace('teamContribution(period: "2026-Q4")',
                                          'teamContribution(period: "2026-Q4", asOf: "2026-10-31")')
assert STATEMENTS_AS_OF != STATEMENTS and CONTRIBUTION_AS_OF != CONTRIBUTION


@pytest.mark.parametrize("query", [STATEMENTS, STATEMENTS_AS_OF], ids=["now", "as_of"])
def test_statements_with_lines_deals_and_leads(org, api, query):
    """Every figure of a period is read once for all its people (domain/comp/queries.period_figures)."""
    _add_deals(api, org, 3)
    sellers = []

    def add_sellers(n):
        for _ in range(n):
            k = len(sellers) + 1
            sellers.append(create_person(api, org.admin, org.sales, email=f"rep{k}@example.com", name=f"Rep {k}",
                                         annualCost="150000"))
            for person_id in (sellers[-1]["id"],) + ((org.seller["id"],) if k == 1 else ()):
                result = api.gql(PLAN, {"input": {"personId": person_id, "period": "2026-Q4", "targetVariable": "20000",
                                                  "components": [
                                                      {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "50000",
                                                       "weight": "0.5"},
                                                      {"name": "Team", "metric": "TEAM_BOOKINGS", "quota": "90000",
                                                       "weight": "0.3"},
                                                      {"name": "MQLs", "metric": "MQLS_DELIVERED", "quota": "10",
                                                       "weight": "0.1"},
                                                      {"name": "Attributed", "metric": "ATTRIBUTED_BOOKINGS",
                                                       "quota": "90000", "weight": "0.05"},
                                                      {"name": "SLA", "metric": "SLA_COMPLIANCE", "quota": "0.8",
                                                       "weight": "0.05"}]}}, org.finance)
                assert result["compPlanCreate"]["userErrors"] == [], result
    _same_count_for_few_and_many(api, query, org.finance, add_sellers)


def test_audit_log(org, api):
    def add_people(n):
        for _ in range(n):
            org.count += 1
            create_person(api, org.admin, org.sales, email=f"audited{org.count}@example.com", name=f"A {org.count}")
    _same_count_for_few_and_many(api, AUDIT, org.admin, add_people)


@pytest.mark.parametrize("query", [CONTRIBUTION, CONTRIBUTION_AS_OF], ids=["now", "as_of"])
def test_team_contribution_with_objectives_and_the_previous_period(org, api, query):
    from tests.api.support import create_team

    teams = []

    def add_teams(n):
        for _ in range(n):
            teams.append(create_team(api, org.admin, f"Pod {len(teams) + 1}", "SALES"))
    _add_deals(api, org, 2)
    _same_count_for_few_and_many(api, query, org.admin, add_teams)


# --- totalCount: one COUNT, and only when asked ----------------------------------------------------------------

TOTALS = {
    "leads": '{ leads(first: 2) { %s edges { node { company } } } }',
    "people": '{ people(first: 2) { %s edges { node { name } } } }',
    "opportunities": '{ opportunities(first: 2) { %s edges { node { name } } } }',
    "objectives": '{ objectives(period: "2026-Q4", first: 2) { %s edges { node { title } } } }',
    "auditLog": '{ auditLog(first: 2) { %s edges { node { action } } } }',
}


@pytest.mark.parametrize("root", sorted(TOTALS))
def test_total_count_is_one_count_statement_over_the_whole_list(api, org, root):
    from tests.api.goals_support import OBJECTIVE_CREATE
    _add_deals(api, org, 3)
    for title in ("First", "Second", "Third"):
        api.gql(OBJECTIVE_CREATE, {"input": {"title": title, "period": "2026-Q4",
                                             "owners": [{"teamId": org.sales, "share": "1"}]}}, org.admin)
    plain = TOTALS[root] % ""
    with api.count_queries() as without:
        api.gql(plain, token=org.admin)
    with api.count_queries() as with_total:
        data = api.gql(TOTALS[root] % "totalCount", token=org.admin)[root]
    assert with_total.count == without.count + 1
    assert len(data["edges"]) <= 2
    following = api.gql(TOTALS[root].replace("first: 2", "first: 100") % "totalCount", token=org.admin)[root]
    assert data["totalCount"] == following["totalCount"] == len(following["edges"])
