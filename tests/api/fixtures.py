"""Set-up that several test modules share. A test module imports helpers from here (or from the *_support modules),
never from another test module.

Organisations built through GraphQL are `snapshot` fixtures (tests/harness.py): built once, their rows restored
before each test that asks for one.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from strawberry import relay

from domain.attribution.models import Opportunity, OpportunityStatus
from domain.org.models import Person
from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE
from tests.api.leads_support import Org
from tests.harness import snapshot

UTC = timezone.utc
day = lambda d, m=10: datetime(2026, m, d, 12, tzinfo=UTC)  # noqa: E731


# --- deals and the model of record -------------------------------------------------------------------------------

PROPOSE = """mutation($input: AttributionModelOfRecordProposeInput!) { attributionModelOfRecordPropose(input: $input) {
  modelOfRecord { id model status approvedBy } userErrors { field code } } }"""
APPROVE = """mutation($id: ID!) { attributionModelOfRecordApprove(input: {id: $id}) {
  modelOfRecord { id model status approvedBy } userErrors { field code } } }"""


def lead_id(gid: str) -> int:
    return int(relay.GlobalID.from_id(gid).node_id)


def write_deal(api, lead_gid, amount_cents, created, status="WON", closed=None, external_id="O-1", owner=None):
    """An opportunity written as an import would write it (its credit is refreshed by the next import or read)."""
    async def write():
        owner_id = (await Person.get(email=owner)).id if owner else None
        return await Opportunity.create(external_id=external_id, lead_id=lead_id(lead_gid) if lead_gid else None,
                                        name=f"Deal {external_id}", amount_cents=amount_cents, created_at=created,
                                        status=OpportunityStatus(status), closed_at=closed, owner_id=owner_id)
    return api.run(write())


# --- SLA agreements ----------------------------------------------------------------------------------------------

SLA_CREATE = """mutation($input: SlaAgreementCreateInput!) { slaAgreementCreate(input: $input) {
  slaAgreement { id followUpHours marketingTeam { name } salesTeam { name } } userErrors { field code } } }"""


def agree(org, api, **changes) -> dict:
    """The sales leader agrees the SLA of 2026-Q4 between org's marketing and sales teams (the payload)."""
    data = {"period": "2026-Q4", "marketingTeamId": org.marketing, "salesTeamId": org.sales, "mqlVolume": 10,
            "acceptanceRateTarget": 0.6, "handoverHours": "4", "followUpHours": "24", "followUpRateTarget": 0.8,
            "decisionDays": "5", **changes}
    return api.gql(SLA_CREATE, {"input": data}, org.sales_leader)["slaAgreementCreate"]


# --- imports over HTTP -------------------------------------------------------------------------------------------

TOUCH_HEADER = "external_id,lead_external_id,at,kind,channel,campaign,team,person_email,duration_minutes"
OPPORTUNITY_HEADER = "external_id,lead_external_id,name,amount,created_at,status,closed_at,owner_email"


def post_import(api, kind: str, body: str, token: str | None, content_type="text/csv", skip_bad=False):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    params = {"skipBad": "true"} if skip_bad else {}
    return api.http.post(f"/import/{kind}", content=body.encode(), headers=headers, params=params)


def imported(api, kind: str, body: str, token: str, **options) -> dict:
    """The answer of an import that must succeed with no bad row."""
    response = post_import(api, kind, body, token, **options)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["imported"] is True and result["errors"] == [], result
    return result


# --- the command line --------------------------------------------------------------------------------------------

SHAREDGOALS = str(Path(sys.executable).parent / "sharedgoals")


@pytest.fixture
def cli_env(tmp_path):
    """Runs `sharedgoals ARGS` on a SQLite file of its own (`cli_env.env` is its environment)."""
    env = dict(os.environ, DATABASE_URL=f"sqlite://{tmp_path / 'cli.sqlite3'}", SHAREDGOALS_LOG_LEVEL="WARNING")
    env.pop("SHAREDGOALS_CLOCK", None)

    def run(*args, check=True):
        done = subprocess.run([SHAREDGOALS, *args], env=env, capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done
    run.env = env
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the common view's organisation ------------------------------------------------------------------------------

@snapshot
def contribution_org(api, admin):
    """Sales and marketing with one lead (marketing-sourced, MQL, SAL, SQL), a won 30,000 deal, a shared objective
    with a BOOKINGS key result and the seller's plan; the clock on 20 November 2026."""
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC))
    org = Org(api, admin)
    org.finance = api.token("FINANCE")
    lead = org.lead("L-1")
    org.touch(lead, day(1), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="webinar", external_id="t1")
    org.events(lead, (day(2), "STAGE", "MQL"), (day(3), "ASSIGNED", None, "seller@example.com"),
               (day(4), "STAGE", "SAL"), (day(6), "STAGE", "SQL"))
    org.touch(lead, day(5), channel="call", minutes=60, external_id="t2")
    write_deal(api, lead, 3_000_000, day(7), closed=day(25), owner="seller@example.com")
    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Grow bookings", "period": "2026-Q4", "owners": [
        {"teamId": org.sales, "share": "0.6"}, {"teamId": org.marketing, "share": "0.4"}]}},
                        org.sales_leader)["objectiveCreate"]["objective"]
    kr = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "Bookings", "kind": "INCREASE_TO",
                                       "unit": "CURRENCY", "start": "0", "target": "60000", "source": "METRIC",
                                       "metric": {"name": "BOOKINGS", "teamIds": [org.sales]}}},
                 org.sales_leader)["keyResultCreate"]
    assert kr["userErrors"] == []
    api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) { userErrors { code } } }""",
            {"input": {"personId": org.seller["id"], "period": "2026-Q4", "targetVariable": "20000", "components": [
                {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "60000", "weight": "1"}]}}, org.finance)
    return org


# --- report queries with every nested list (test_query_counts pins their statements, test_query_plans their plans)

LEADS = """{ leads(first: 100) { edges { node {
  externalId company stage owner { name team { name } } firstTouchTeam { name }
  facts { mqlAt handoverAt firstFollowUpAt attempts decision responseHours }
  timeline { at type stage reasonCode actorName owner { name } }
  score { definitionVersion fit engagement qualifies fitLines { rule points } engagementLines { rule points } }
} } } }"""

OPPORTUNITIES = """{ opportunities(first: 100, period: "2026-Q4") { edges { node {
  name amount status owner { name team { name } } lead { company stage }
  credits(model: W_SHAPED) { at channel weight amount team { name } person { name } }
  linear: credits(model: LINEAR) { amount team { name } }
  sourcedTeam { name } touchingTeams { name } touchingPeople { name } influencingTeams { name }
} } } }"""

SHARED_WINS = """{ sharedWins(period: "2026-Q4") { name owner { name } touchingTeams { name } touchingPeople { name }
  credits { amount team { name } } } }"""

STATEMENTS = """{ compStatements(period: "2026-Q4") { person { name team { name } } targetVariable totalPayout locked
  lines { component metric metricValue payout deals { name owner { name } } leads { company } }
  adjustments { amount reason authorName } } }"""

AUDIT = """{ auditLog(first: 100) { edges { node { at actorName action entity entityId before after } } } }"""

CONTRIBUTION = """{ teamContribution(period: "2026-Q4") { team { name } goalProgress mqlsDelivered sals sqls
  sourcedPipeline attributedBookings slaCompliance payoutsAccrued wastedSellingCost
  objectives { title progress keyResults { title progress } }
  previousPeriod { team { name } mqlsDelivered } } }"""


@snapshot
def reports_org(api, admin):
    """Sales and marketing with an active lead definition and a finance token; the clock on 20 November 2026.
    `add_deals` grows it."""
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC))
    org = Org(api, admin)
    org.active_definition()
    org.finance = api.token("FINANCE")
    org.count = 0
    return org


def add_deals(api, org, n: int) -> None:
    """n leads, each touched by marketing and sales, MQL, handed over, with a won deal owned by the seller."""
    for _ in range(n):
        org.count += 1
        i = org.count
        lead = org.lead(f"L-{i}", company=f"Company {i}", email=f"buyer{i}@example.com")
        org.touch(lead, day(1), kind="MARKETING", team="Demand Generation", person="dana@example.com",
                  channel="webinar", external_id=f"m-{i}")
        org.events(lead, (day(2), "BEHAVIOUR", None), (day(3), "STAGE", "MQL"),
                   (day(4), "ASSIGNED", None, "seller@example.com"))
        org.touch(lead, day(5), channel="call", minutes=30, external_id=f"s-{i}")
        write_deal(api, lead, 1_000_000 + i, day(6), closed=day(20), external_id=f"O-{i}", owner="seller@example.com")
