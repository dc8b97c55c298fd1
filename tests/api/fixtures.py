"""Set-up that several test modules share. A test module imports helpers from here (or from the *_support modules),
never from another test module.

Organisations built through GraphQL are `snapshot` fixtures (tests/harness.py): built once, their rows restored
before each test that asks for one.
"""
from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import replace
from datetime import datetime, timezone

import httpx
import pytest
from strawberry import relay

from api.app import create_app
from api.demo import seed_demo

from domain.attribution.models import Opportunity, OpportunityStatus
from domain.org.models import Person
from tests.api import cli_support as cli
from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE
from tests.api.leads_support import Org
from tests.api.support import create_person, create_team
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

LEAD_HEADER = "external_id,company,contact_name,email,industry,employees,region,title,source,created_at"
EVENT_HEADER = "external_id,lead_external_id,at,type,stage,owner_email,actor_email,reason_code,reason_text"
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


# --- the organisations of several modules ---------------------------------------------------------------------

@snapshot
def imports_org(api, admin):
    """Sales (a leader, a member) and marketing (a member): the import tests' organisation, with their tokens."""
    sales = create_team(api, admin, "Field Sales", "SALES")
    marketing = create_team(api, admin, "Demand Generation", "MARKETING")
    create_person(api, admin, sales, email="saleslead@example.com", name="Sam Lead", role="LEADER")
    create_person(api, admin, sales, email="seller@example.com", name="Sofia Seller")
    create_person(api, admin, marketing, email="dana@example.com", name="Dana Demand")
    return {"sales": sales, "marketing": marketing, "leader": api.token(person="saleslead@example.com"),
            "member": api.token(person="seller@example.com"), "admin": admin}


@snapshot
def attribution_org(api, admin):
    """The leads' Org with one lead: two marketing touches, MQL, three sales touches (one after the close) and a won
    10,000 deal (`org.deal`); the clock on 20 November 2026."""
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC))
    org = Org(api, admin)
    lead = org.lead("L-1")
    org.touch(lead, day(1), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="webinar", external_id="t1")
    org.touch(lead, day(5), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="email", external_id="t2")
    org.events(lead, (day(6), "STAGE", "MQL"))
    org.touch(lead, day(10), channel="call", external_id="t3")
    org.touch(lead, day(20), channel="demo", external_id="t4")
    org.touch(lead, day(28), channel="call", external_id="t5-after-close")
    org.deal = write_deal(api, lead, 1_000_000, day(12), closed=day(25), owner="seller@example.com")
    return org


@snapshot
def demo_org(api, admin):
    """The demo organisation of `sharedgoals seed-demo` (built once, restored for each test that asks for it)."""
    api.run(seed_demo())


# --- writers that wait ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def busy_timeout(api, seconds: float):
    """Writers wait up to `seconds` for each other: SQLite's busy timeout, PostgreSQL's lock waits."""
    from tortoise import connections

    from domain import config
    client = connections.get("default")
    before = client.busy_timeout if hasattr(client, "busy_timeout") else None
    config.configure(busy_timeout=seconds)  # PostgreSQL's lock waits (restored by the api fixture)
    if before is not None:
        client.busy_timeout = seconds  # SQLite's writer
    try:
        yield
    finally:
        if before is not None:
            client.busy_timeout = before


# --- a second app ----------------------------------------------------------------------------------------------

class App:
    """A second app with its own settings, asked through httpx's ASGI transport on the server's loop."""

    def __init__(self, api, live_server, **settings) -> None:
        self.api = api
        self.app = create_app(replace(live_server.settings, **settings), manage_db=False)

    def send(self, *requests: dict) -> list[httpx.Response]:
        async def go():
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return [await client.request(r.pop("method", "POST"), r.pop("url", "/graphql"), **r)
                        for r in requests]
        return self.api.run(go())

    def post(self, query: str, token: str | None, variables: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        [response] = self.send({"json": {"query": query, "variables": variables or {}}, "headers": headers})
        assert response.status_code == 200, response.text
        return response.json()


# --- the command line --------------------------------------------------------------------------------------------

SHAREDGOALS = cli.SHAREDGOALS


@pytest.fixture
def cli_env(tmp_path):
    """Runs `sharedgoals ARGS` (a process of its own, forked from a server that imported the app once: see
    tests/api/cli_support.py) on a SQLite file of its own (`cli_env.env` is its environment). The file does not
    exist until a command makes it; `cli_env.migrated()` writes it as `sharedgoals migrate` leaves it, and
    `cli_env.seeded()` as `migrate` and `seed-demo` do (copies of databases made once per session), for tests
    whose subject is not the migration or the demo."""
    path = tmp_path / "cli.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite://{path}", SHAREDGOALS_LOG_LEVEL="WARNING")
    env.pop("SHAREDGOALS_CLOCK", None)

    def run(*args, check=True):
        done = cli.run(args, env=env, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done
    run.env = env
    run.migrated = lambda: cli.migrated_copy(path)
    run.seeded = lambda: cli.demo_copy(path)
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
