"""The authorization matrix: who may call every root field, see every Node and read pay figures.

One row per root Query and Mutation field (a field may have several rows, e.g. `tokenRevoke` of your own token and of
someone else's, or `leadAssign` before and after the hand-over). Each row states the intended outcome for each caller;
the write rows are those of `docs/ownership.md` (the rules themselves are `domain/access/rules.py`):

    ADMIN         a service token with the ADMIN role
    LEADER        the leader of Sales: the owner team of the shared objective, the member's team
    OTHER_LEADER  the leader of CS, a team that owns none of the shared objectives and works no leads
    FINANCE       a service token with the FINANCE role
    MEMBER        a member of Sales (the owner of the handed-over lead), whose annualCost is set
    OTHER_MEMBER  a member of CS
    MARKETER      a member of Marketing: the marketing side, before a lead's hand-over
    LEADER_SVC    a service token with the LEADER role (it leads no team)
    MEMBER_SVC    a service token with the MEMBER role
    ANON          no token at all: always UNAUTHENTICATED

Outcomes: OK (no top-level error, no userErrors), FORBIDDEN (a top-level error whose `extensions.code` is FORBIDDEN:
the caller's role may never call the field), FORBIDDEN_IN_PAYLOAD (a userErrors entry with code FORBIDDEN: the
service refused this caller for this record), NOT_FOUND_IN_PAYLOAD (the caller has no such record, e.g. no statement
to dispute), ROW_REFUSED (an import that names the ownership rule on a line and imports nothing), UNAUTHENTICATED.
A refused case must change nothing: the row counts of every table are compared before and after.

The organisation is built once (a snapshot of its rows, restored before each case). The clock is pinned inside the
open period, so the outcomes do not move with the calendar.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema
from tortoise import Tortoise, connections

from domain.attribution.models import Opportunity, OpportunityStatus, TouchKind, Touchpoint
from domain.leads.facts import refresh_leads
from domain.leads.models import Lead, LeadEvent
from domain.org.models import Person, Team
from domain.org.rules import Role
from domain.org.service import create_token
from schema.core.ids import encode_id
from tests.api.leads_support import ICP
from tests.api.support import create_person, create_team
from tests.harness import snapshot

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

ADMIN, LEADER, FINANCE, MEMBER, ANON = "ADMIN", "LEADER", "FINANCE", "MEMBER", "ANON"
OTHER_LEADER, OTHER_MEMBER, MARKETER = "OTHER_LEADER", "OTHER_MEMBER", "MARKETER"
LEADER_SVC, MEMBER_SVC = "LEADER_SVC", "MEMBER_SVC"
ROLES = (ADMIN, LEADER, OTHER_LEADER, FINANCE, MEMBER, OTHER_MEMBER, MARKETER, LEADER_SVC, MEMBER_SVC, ANON)
NOW = datetime(2026, 11, 16, 12, tzinfo=timezone.utc)  # inside OPEN_PERIOD

OK = "ok"
FORBIDDEN = "FORBIDDEN"                        # top-level error, extensions.code FORBIDDEN
FORBIDDEN_IN_PAYLOAD = "FORBIDDEN in userErrors"  # object-level refusal by the service
NOT_FOUND_IN_PAYLOAD = "NOT_FOUND in userErrors"
ROW_REFUSED = "import rows refused for ownership"
UNAUTHENTICATED = "UNAUTHENTICATED"

OPEN_PERIOD, CLOSED_PERIOD = "2026-Q4", "2026-Q3"
NEXT_PERIOD = "2027-Q1"  # no SLA agreed yet
UTC = timezone.utc
ERRORS = "userErrors { field message code }"


# --- the fixture organisation ------------------------------------------------------------------------------------

@dataclass
class Org:
    """Sales, Marketing and CS; a sales leader, two sales members (one with pay figures), a marketing leader and a CS
    member; an objective co-owned by sales and marketing with a key result the member checked in on; a CS-only
    objective with a key result; an objective with a key result in a closed period; an active lead definition
    (approved by both leaders) and a draft; a fresh lead and a lead that marketing touched, made an MQL and handed
    over to the member, who has not followed it up (so the member is in the SLA report's people, awards and
    breaches); an SLA between Marketing and Sales for the open period; tokens for every caller."""

    api: Any
    ids: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str | None] = field(default_factory=dict)   # caller -> secret (the matrix roles)
    viewers: dict[str, str] = field(default_factory=dict)          # privacy viewers -> secret

    @classmethod
    def build(cls, api) -> "Org":
        org = cls(api)
        admin = api.token(Role.ADMIN)
        ids = org.ids
        ids["sales"] = create_team(api, admin, "Sales", "SALES")
        ids["marketing"] = create_team(api, admin, "Marketing", "MARKETING")
        ids["cs"] = create_team(api, admin, "CS", "CUSTOMER_SUCCESS")
        people = {
            "salesLeader": dict(team="sales", email="lead@example.com", name="Sam Lead", role="LEADER",
                                annualCost="150000"),
            # 52800 / (11 h × 48 weeks) = 100.00 a selling hour
            "member": dict(team="sales", email="seller@example.com", name="Sofia Seller", role="MEMBER",
                           annualCost="52800", annualQuota="600000"),
            "salesPeer": dict(team="sales", email="peer@example.com", name="Pat Peer", role="MEMBER",
                              annualCost="50000"),
            "marketingLeader": dict(team="marketing", email="mlead@example.com", name="Mia Marketing",
                                    role="LEADER", annualCost="140000"),
            "csMember": dict(team="cs", email="cs@example.com", name="Casey Success", role="MEMBER"),
            "csLeader": dict(team="cs", email="cslead@example.com", name="Cara Lead", role="LEADER"),
            "marketer": dict(team="marketing", email="mo@example.com", name="Mo Marketer", role="MEMBER"),
        }
        for key, p in people.items():
            person = create_person(api, admin, ids[p.pop("team")], **p)
            ids[key] = person["id"]
            org.versions[key] = person["version"]
        org.tokens = {ADMIN: admin, LEADER: api.token(person="lead@example.com"), FINANCE: api.token(Role.FINANCE),
                      MEMBER: api.token(person="seller@example.com"), ANON: None,
                      OTHER_LEADER: api.token(person="cslead@example.com"),
                      OTHER_MEMBER: api.token(person="cs@example.com"), MARKETER: api.token(person="mo@example.com"),
                      LEADER_SVC: api.token(Role.LEADER), MEMBER_SVC: api.token(Role.MEMBER)}
        org.viewers = {
            "ADMIN service token": admin, "FINANCE service token": org.tokens[FINANCE],
            "the member themself": org.tokens[MEMBER], "the sales leader": org.tokens[LEADER],
            "the marketing leader": api.token(person="mlead@example.com"),
            "a LEADER service token": api.token(Role.LEADER), "a MEMBER service token": api.token(Role.MEMBER),
            "another sales member": api.token(person="peer@example.com"),
        }
        # Token records to read, revoke and follow to their person.
        _, own = api.run(create_token(person_email="seller@example.com", name="member's second token"))
        ids["memberToken"] = encode_id("ApiToken", own.id)
        _, other = api.run(create_token(role=Role.MEMBER, name="someone else's token"))
        ids["otherToken"] = encode_id("ApiToken", other.id)

        org._objective("shared", "Grow new-logo bookings", OPEN_PERIOD,
                       [("sales", "0.6"), ("marketing", "0.4")], admin)
        org._objective("csOnly", "Renewals", OPEN_PERIOD, [("cs", "1")], admin)
        org._objective("closed", "Last quarter's pipeline", CLOSED_PERIOD, [("sales", "1")], admin)
        check_in = org.mutate("keyResultCheckIn", "KeyResultCheckInInput", "checkIn { value }",
                              {"keyResultId": ids["sharedKr"], "value": "12", "comment": "first deals"},
                              org.tokens[MEMBER])
        assert check_in["userErrors"] == [], check_in
        org._plans(admin)
        closed = org.mutate("periodClose", "PeriodCloseInput", "period { status }", {"period": CLOSED_PERIOD}, admin)
        assert closed["userErrors"] == [] and closed["period"]["status"] == "CLOSED", closed
        org._leads()
        dispute = org.mutate("compDisputeCreate", "CompDisputeCreateInput", "compDispute { id }",
                             {"period": CLOSED_PERIOD, "component": "Bookings", "reason": "a deal is missing"},
                             org.tokens[MEMBER])
        assert dispute["userErrors"] == [], dispute
        org.ids["dispute"] = dispute["compDispute"]["id"]
        return org

    def _plans(self, admin: str) -> None:
        """Plans of the member and the sales leader in both periods (before the closed one closes), and one of the
        marketing leader in the open period."""
        for person in ("member", "salesLeader", "marketingLeader"):
            for period in (OPEN_PERIOD, CLOSED_PERIOD):
                if person == "marketingLeader" and period == CLOSED_PERIOD:
                    continue
                plan = self.mutate("compPlanCreate", "CompPlanCreateInput", "compPlan { id version }", {
                    "personId": self.ids[person], "period": period, "targetVariable": "20000",
                    "components": [{"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "500000",
                                    "weight": "1"}]}, admin)
                assert plan["userErrors"] == [], plan
                self.ids[f"{person}Plan{period}"] = plan["compPlan"]["id"]

    def mutate(self, name: str, input_type: str, selection: str, data: dict, token: str) -> dict:
        query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"
        return self.api.gql(query, {"input": data}, token)[name]

    def _objective(self, key: str, title: str, period: str, owners: list[tuple[str, str]], token: str) -> None:
        data = {"title": title, "period": period,
                "owners": [{"teamId": self.ids[team], "share": share} for team, share in owners]}
        objective = self.mutate("objectiveCreate", "ObjectiveCreateInput", "objective { id version }", data, token)
        assert objective["userErrors"] == [], objective
        self.ids[key], self.versions[key] = objective["objective"]["id"], objective["objective"]["version"]
        kr = self.mutate("keyResultCreate", "KeyResultCreateInput", "keyResult { id version }", {
            "objectiveId": self.ids[key], "title": f"{title}: deals", "kind": "INCREASE_TO", "unit": "COUNT",
            "start": "0", "target": "40"}, token)
        assert kr["userErrors"] == [], kr
        self.ids[key + "Kr"], self.versions[key + "Kr"] = kr["keyResult"]["id"], kr["keyResult"]["version"]

    def _leads(self) -> None:
        marketing_leader, sales_leader = self.viewers["the marketing leader"], self.tokens[LEADER]
        ids = self.ids
        for key in ("activeDefinition", "draftDefinition"):
            created = self.mutate("leadDefinitionCreate", "LeadDefinitionCreateInput", "leadDefinition { id }",
                                  {**ICP, "name": key}, marketing_leader)
            assert created["userErrors"] == [], created
            ids[key] = created["leadDefinition"]["id"]
        for token in (marketing_leader, sales_leader):
            approved = self.mutate("leadDefinitionApprove", "LeadDefinitionApproveInput", "leadDefinition { status }",
                                   {"id": ids["activeDefinition"]}, token)
            assert approved["userErrors"] == [], approved
        assert approved["leadDefinition"]["status"] == "ACTIVE", approved
        ids["lead"], ids["handedOverLead"] = self.api.run(_write_leads())
        sla = self.mutate("slaAgreementCreate", "SlaAgreementCreateInput", "slaAgreement { id }",
                          sla_terms(self, OPEN_PERIOD), self.tokens[ADMIN])
        assert sla["userErrors"] == [], sla
        ids["sla"] = sla["slaAgreement"]["id"]
        ids["opportunity"] = self.api.run(_write_opportunity())
        proposal = self.mutate("attributionModelOfRecordPropose", "AttributionModelOfRecordProposeInput",
                               "modelOfRecord { id }", {"period": OPEN_PERIOD, "model": "U_SHAPED"}, sales_leader)
        assert proposal["userErrors"] == [], proposal
        ids["proposal"] = proposal["modelOfRecord"]["id"]

    def own_token_id(self, caller: str) -> str:
        """The id of the caller's own token (anonymous has none: someone else's then)."""
        if self.tokens[caller] is None:
            return self.ids["otherToken"]
        return self.api.gql("{ viewer { token { id } } }", token=self.tokens[caller])["viewer"]["token"]["id"]


async def _write_leads() -> tuple[str, str]:
    """As an import writes them: a fresh lead (stage LEAD), and a lead first touched by marketing, an MQL on
    5 October and assigned to the member an hour later, with no sales touch since (its follow-up is overdue)."""
    marketing, mia = await Team.get(name="Marketing"), await Person.get(email="mlead@example.com")
    seller = await Person.get(email="seller@example.com")
    profile = dict(contact_name="Ann Buyer", industry="Software", employees=500, region="EMEA", title="VP Marketing",
                   source="webinar", created_at=datetime(2026, 10, 1, tzinfo=UTC))
    fresh = await Lead.create(external_id="L-FRESH", company="Fresh Co", email="ann@fresh.example", **profile)
    handed = await Lead.create(external_id="L-HANDED", company="Handed Co", email="ann@handed.example", **profile)
    await Touchpoint.create(external_id="T-WEBINAR", lead_id=handed.id, at=datetime(2026, 10, 5, 8, tzinfo=UTC),
                            kind=TouchKind.MARKETING, channel="webinar", team_id=marketing.id, person_id=mia.id)
    await LeadEvent.create(lead_id=handed.id, at=datetime(2026, 10, 5, 9, tzinfo=UTC), type="STAGE", stage="MQL",
                           actor_name="import")
    await LeadEvent.create(lead_id=handed.id, at=datetime(2026, 10, 5, 10, tzinfo=UTC), type="ASSIGNED",
                           owner_person_id=seller.id, actor_name="import")
    await refresh_leads([fresh.id, handed.id])
    return encode_id("Lead", fresh.id), encode_id("Lead", handed.id)


async def _write_opportunity() -> str:
    """A deal on the handed-over lead, owned by the member, won in the open period."""
    lead, seller = await Lead.get(external_id="L-HANDED"), await Person.get(email="seller@example.com")
    deal = await Opportunity.create(external_id="O-DEAL", lead_id=lead.id, name="Handed Co rollout",
                                    amount_cents=1_250_000, created_at=datetime(2026, 10, 6, tzinfo=UTC),
                                    status=OpportunityStatus.WON, closed_at=datetime(2026, 10, 20, tzinfo=UTC),
                                    owner_id=seller.id)
    return encode_id("Opportunity", deal.id)


def sla_terms(org: "Org", period: str) -> dict:
    return {"period": period, "marketingTeamId": org.ids["marketing"], "salesTeamId": org.ids["sales"],
            "mqlVolume": 10, "acceptanceRateTarget": 0.6, "handoverHours": "4", "followUpHours": "24",
            "followUpRateTarget": 0.8, "decisionDays": "5"}


# --- the matrix --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    name: str
    field: str
    operation: str
    variables: Callable[[Org, str], dict]
    expect: dict[str, str]
    note: str = ""

    @property
    def is_mutation(self) -> bool:
        return self.operation.lstrip().startswith("mutation")

    def outcome(self, caller: str) -> str:
        return UNAUTHENTICATED if caller == ANON else self.expect[caller]


def expect(admin=OK, leader=OK, finance=OK, member=OK, *, other_leader=None, other_member=None, marketer=None,
           leader_svc=None, member_svc=None) -> dict[str, str]:
    """Outcomes per caller; a caller left out has the outcome of its role's matrix caller (LEADER or MEMBER)."""
    pick = lambda value, default: default if value is None else value
    return {ADMIN: admin, LEADER: leader, FINANCE: finance, MEMBER: member,
            OTHER_LEADER: pick(other_leader, leader), LEADER_SVC: pick(leader_svc, leader),
            OTHER_MEMBER: pick(other_member, member), MARKETER: pick(marketer, member),
            MEMBER_SVC: pick(member_svc, member)}


P = FORBIDDEN_IN_PAYLOAD
EVERYONE = expect()
ADMIN_ONLY = expect(leader=FORBIDDEN, finance=FORBIDDEN, member=FORBIDDEN)
# A leader of one of the record's owner teams, or an admin: another team's leader and a service LEADER are refused
# for the record; other roles may never call it.
OWNER_LEADER_OR_ADMIN = expect(finance=FORBIDDEN, member=FORBIDDEN, other_leader=P, leader_svc=P)
SIDE_LEADER_ONLY = expect(admin=FORBIDDEN, finance=FORBIDDEN, member=FORBIDDEN, other_leader=P, leader_svc=P)
# Working leads: ADMIN, LEADER and MEMBER roles may call; which of them for this lead is the ownership rule.
MARKETING_BEFORE_HAND_OVER = expect(finance=FORBIDDEN, leader=P, member=P, other_leader=P, other_member=P,
                                    marketer=OK, leader_svc=P, member_svc=P)
OWNER_SIDE = expect(finance=FORBIDDEN, other_leader=P, other_member=P, marketer=P, leader_svc=P, member_svc=P)


def no_variables(org: Org, caller: str) -> dict:
    return {}


def mutation(name: str, input_type: str, selection: str, data: Callable[[Org, str], dict], expected: dict[str, str],
             row_name: str | None = None, note: str = "") -> Row:
    operation = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"
    return Row(row_name or name, name, operation, lambda org, caller: {"input": data(org, caller)}, expected, note)


ROWS: list[Row] = [
    # --- queries: everyone authenticated reads (the audit log is ADMIN's) ---
    Row("viewer", "viewer", "{ viewer { name role } }", no_variables, EVERYONE),
    Row("teams", "teams", "{ teams { id name function } }", no_variables, EVERYONE),
    Row("people", "people", "{ people(first: 10) { edges { node { id name email role team { name } } } } }",
        no_variables, EVERYONE),
    Row("periods", "periods", "{ periods { key status } }", no_variables, EVERYONE),
    Row("period", "period", "query($key: String!) { period(key: $key) { key status } }",
        lambda org, caller: {"key": OPEN_PERIOD}, EVERYONE),
    Row("objectives", "objectives",
        "query($period: String!) { objectives(period: $period) { edges { node { id title progress "
        "keyResults { title current checkIns { value author { name } } } } } } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("keyResultMetrics", "keyResultMetrics", "{ keyResultMetrics { name description available } }", no_variables,
        EVERYONE),
    Row("node", "node", "query($id: ID!) { node(id: $id) { id ... on Objective { title } } }",
        lambda org, caller: {"id": org.ids["shared"]}, EVERYONE, note="every Node type: test_node_*"),
    Row("nodes", "nodes", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        lambda org, caller: {"ids": [org.ids[k] for k in ("sales", "member", "shared", "sharedKr", "lead",
                                                          "activeDefinition", "sla")]}, EVERYONE),
    Row("apiTokens", "apiTokens", "{ apiTokens { id name role lastUsedAt exportOnly } }", no_variables, EVERYONE,
        note="each caller lists the tokens it may revoke (test_ownership)"),
    Row("auditLog", "auditLog", "{ auditLog(first: 5) { edges { node { action entity } } } }", no_variables,
        ADMIN_ONLY),
    Row("leads", "leads", "{ leads(first: 10) { edges { node { id company stage owner { name } facts { mqlAt } "
        "timeline { type stage } score { fit engagement qualifies } } } } }", no_variables, EVERYONE),
    Row("leadDefinitions", "leadDefinitions", "{ leadDefinitions { id version status approvals { side } } }",
        no_variables, EVERYONE),
    Row("leadFeedback", "leadFeedback",
        "query($period: String!) { leadFeedback(period: $period) { stage reasonCode source count } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("slaReport", "slaReport",
        "query($period: String!) { slaReport(period: $period) { mqlVolume followUpCompliance "
        "marketing { met counted } sales { met counted } breaches { edges { node { item state } } } } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),

    Row("attribution", "attribution",
        "query($period: String!) { attribution(period: $period) { key label pipeline bookings bookingsShare } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("attributionComparison", "attributionComparison",
        "query($period: String!) { attributionComparison(period: $period, models: [LINEAR, W_SHAPED]) "
        "{ model lines { key bookings } } }", lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("pipelineByTeam", "pipelineByTeam",
        "query($period: String!) { pipelineByTeam(period: $period) { team { name } sourcedPipeline } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("sharedWins", "sharedWins", "query($period: String!) { sharedWins(period: $period) { id name } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("opportunities", "opportunities",
        "{ opportunities(first: 10) { edges { node { id name amount owner { name } credits { amount } } } } }",
        no_variables, EVERYONE),
    Row("attributionModelsOfRecord", "attributionModelsOfRecord",
        "query($period: String!) { attributionModelsOfRecord(period: $period) { id model status approvedBy } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),

    Row("compStatements", "compStatements",
        "query($period: String!) { compStatements(period: $period) { person { name } totalPayout locked "
        "lines { component payout } } }", lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE,
        note="each caller sees the statements the privacy rule allows (test_comp)"),

    Row("teamContribution", "teamContribution",
        "query($period: String!) { teamContribution(period: $period) { team { name } goalProgress mqlsDelivered "
        "attributedBookings } }", lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE,
        note="payoutsAccrued and wastedSellingCost follow the privacy rule (test_contribution)"),
    Row("companyContribution", "companyContribution",
        "query($period: String!) { companyContribution(period: $period) { pipeline bookings } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),

    # --- people and teams: only ADMIN ---
    mutation("teamCreate", "TeamCreateInput", "team { id }",
             lambda org, caller: {"name": "Partnerships", "function": "SDR"}, ADMIN_ONLY),
    mutation("personCreate", "PersonCreateInput", "person { id }",
             lambda org, caller: {"name": "Nina New", "email": "new@example.com", "teamId": org.ids["sales"],
                                  "role": "MEMBER"}, ADMIN_ONLY),
    mutation("personUpdate", "PersonUpdateInput", "person { id name }",
             lambda org, caller: {"id": org.ids["member"], "name": "Sofia Renamed"}, ADMIN_ONLY),

    # --- tokens: your own, or any for ADMIN (an object-level check in the service); export tokens for anyone ---
    mutation("exportTokenCreate", "ExportTokenCreateInput", "secret token { id }",
             lambda org, caller: {"name": "spreadsheet", "expiresInDays": 7}, EVERYONE,
             note="an export token reads only what its creator may read, and only CSV exports"),
    mutation("tokenRevoke", "TokenRevokeInput", "token { id revokedAt }",
             lambda org, caller: {"id": org.own_token_id(caller)}, EVERYONE, row_name="tokenRevoke (own token)"),
    mutation("tokenRevoke", "TokenRevokeInput", "token { id revokedAt }",
             lambda org, caller: {"id": org.ids["otherToken"]},
             expect(leader=P, finance=P, member=P), row_name="tokenRevoke (someone else's token)"),

    # --- objectives and key results: a leader of an owner team, or ADMIN ---
    mutation("objectiveCreate", "ObjectiveCreateInput", "objective { id }",
             lambda org, caller: {"title": "Cut time to first reply", "period": OPEN_PERIOD,
                                  "owners": [{"teamId": org.ids["sales"], "share": "1"}]}, OWNER_LEADER_OR_ADMIN,
             row_name="objectiveCreate (owned by Sales)", note="a leader keeps a team they lead among the owners"),
    mutation("objectiveUpdate", "ObjectiveUpdateInput", "objective { id title }",
             lambda org, caller: {"id": org.ids["shared"], "expectedVersion": org.versions["shared"],
                                  "title": "Grow new-logo bookings 30%"}, OWNER_LEADER_OR_ADMIN),
    mutation("objectiveUpdate", "ObjectiveUpdateInput", "objective { id }",
             lambda org, caller: {"id": org.ids["shared"], "expectedVersion": org.versions["shared"],
                                  "owners": [{"teamId": org.ids["marketing"], "share": "1"}]},
             expect(finance=FORBIDDEN, member=FORBIDDEN, leader=P, other_leader=P, leader_svc=P),
             row_name="objectiveUpdate (owners without the caller's team)"),
    mutation("objectiveArchive", "ObjectiveArchiveInput", "objective { id archived }",
             lambda org, caller: {"id": org.ids["shared"]}, OWNER_LEADER_OR_ADMIN),
    mutation("objectiveRollOver", "ObjectiveRollOverInput", "objectives { id }",
             lambda org, caller: {"fromPeriod": OPEN_PERIOD}, expect(finance=FORBIDDEN, member=FORBIDDEN,
                                                                     leader_svc=P),
             row_name="objectiveRollOver (every objective the caller may edit)",
             note="the CS leader copies the CS objective, the sales leader the shared one"),
    mutation("objectiveRollOver", "ObjectiveRollOverInput", "objectives { id }",
             lambda org, caller: {"fromPeriod": OPEN_PERIOD, "objectiveIds": [org.ids["shared"]]},
             OWNER_LEADER_OR_ADMIN, row_name="objectiveRollOver (naming the shared objective)"),
    mutation("objectiveScoreOverride", "ObjectiveScoreOverrideInput", "objective { id score }",
             lambda org, caller: {"objectiveId": org.ids["closed"], "score": "0.7", "reason": "late deal counted"},
             OWNER_LEADER_OR_ADMIN),
    mutation("keyResultCreate", "KeyResultCreateInput", "keyResult { id }",
             lambda org, caller: {"objectiveId": org.ids["shared"], "title": "Qualified meetings",
                                  "kind": "INCREASE_TO", "unit": "COUNT", "start": "0", "target": "120"},
             OWNER_LEADER_OR_ADMIN),
    mutation("keyResultUpdate", "KeyResultUpdateInput", "keyResult { id target }",
             lambda org, caller: {"id": org.ids["sharedKr"], "expectedVersion": org.versions["sharedKr"],
                                  "target": "45"}, OWNER_LEADER_OR_ADMIN),
    mutation("keyResultArchive", "KeyResultArchiveInput", "keyResult { id archived }",
             lambda org, caller: {"id": org.ids["sharedKr"]}, OWNER_LEADER_OR_ADMIN),

    # --- check-ins: members of an owner team, or ADMIN (an object-level check in the service) ---
    mutation("keyResultCheckIn", "KeyResultCheckInInput", "checkIn { value }",
             lambda org, caller: {"keyResultId": org.ids["sharedKr"], "value": "15"},
             expect(finance=P, other_leader=P, other_member=P, marketer=OK, leader_svc=P, member_svc=P),
             row_name="keyResultCheckIn (own team's key result)",
             note="Sales and Marketing own it; FINANCE and the other service tokens are in no team"),
    mutation("keyResultCheckIn", "KeyResultCheckInInput", "checkIn { value }",
             lambda org, caller: {"keyResultId": org.ids["csOnlyKr"], "value": "3"},
             expect(leader=P, finance=P, member=P, other_leader=OK, other_member=OK, marketer=P, leader_svc=P,
                    member_svc=P), row_name="keyResultCheckIn (CS's key result)"),

    # --- periods: only ADMIN reopens (closing: the period governance rows below) ---
    mutation("periodReopen", "PeriodReopenInput", "period { key status }",
             lambda org, caller: {"period": CLOSED_PERIOD, "reason": "a late deal was booked"}, ADMIN_ONLY),

    # --- the lead definition: LEADER and ADMIN draft, only a LEADER approves (of a sales or marketing team) ---
    mutation("leadDefinitionCreate", "LeadDefinitionCreateInput", "leadDefinition { id status }",
             lambda org, caller: {**ICP, "name": "Enterprise buyers", "employeesMin": 2000}, OWNER_LEADER_OR_ADMIN,
             note="drafted by a leader of either side (CS is neither)"),
    mutation("leadDefinitionApprove", "LeadDefinitionApproveInput", "leadDefinition { id status }",
             lambda org, caller: {"id": org.ids["draftDefinition"]}, SIDE_LEADER_ONLY,
             row_name="leadDefinitionApprove (a draft)",
             note="the matrix's LEADER leads Sales: the sales side's approval"),

    # --- working leads: marketing before the hand-over, the owner's side after; FINANCE does not ---
    mutation("leadTransition", "LeadTransitionInput", "lead { id stage }",
             lambda org, caller: {"leadId": org.ids["lead"], "stage": "MQL"}, MARKETING_BEFORE_HAND_OVER,
             row_name="leadTransition (LEAD to MQL, no owner)"),
    mutation("leadTransition", "LeadTransitionInput", "lead { id stage }",
             lambda org, caller: {"leadId": org.ids["lead"], "stage": "DISQUALIFIED", "reasonCode": "NOT_ICP"},
             MARKETING_BEFORE_HAND_OVER, row_name="leadTransition (disqualify, no owner)"),
    mutation("leadTransition", "LeadTransitionInput", "lead { id stage }",
             lambda org, caller: {"leadId": org.ids["handedOverLead"], "stage": "SAL"}, OWNER_SIDE,
             row_name="leadTransition (MQL to SAL, owned by the member)"),
    mutation("leadTransition", "LeadTransitionInput", "lead { id stage }",
             lambda org, caller: {"leadId": org.ids["handedOverLead"], "stage": "DISQUALIFIED",
                                  "reasonCode": "NOT_A_BUYER"}, OWNER_SIDE,
             row_name="leadTransition (disqualify, owned by the member)",
             note="raises the owner team's wasted selling cost: sales' decision after the hand-over"),
    mutation("leadAssign", "LeadAssignInput", "lead { id owner { name } }",
             lambda org, caller: {"leadId": org.ids["lead"], "ownerId": org.ids["member"]},
             MARKETING_BEFORE_HAND_OVER, row_name="leadAssign (the hand-over)"),
    mutation("leadAssign", "LeadAssignInput", "lead { id owner { name } }",
             lambda org, caller: {"leadId": org.ids["handedOverLead"], "ownerId": org.ids["salesPeer"]},
             expect(finance=FORBIDDEN, member=P, other_leader=P, other_member=P, marketer=P, leader_svc=P,
                    member_svc=P), row_name="leadAssign (re-assigning an owned lead)"),
    mutation("leadRecycle", "LeadRecycleInput", "lead { id stage }",
             lambda org, caller: {"leadId": org.ids["handedOverLead"], "reason": "NO_BUDGET",
                                  "reasonText": "budget in Q2"}, OWNER_SIDE, row_name="leadRecycle (an owned MQL)"),

    # --- the SLA and imports: LEADER and ADMIN ---
    mutation("slaAgreementCreate", "SlaAgreementCreateInput", "slaAgreement { id }",
             lambda org, caller: sla_terms(org, NEXT_PERIOD), OWNER_LEADER_OR_ADMIN,
             row_name="slaAgreementCreate (teams without an SLA in the period)"),
    mutation("attributionModelOfRecordPropose", "AttributionModelOfRecordProposeInput", "modelOfRecord { id }",
             lambda org, caller: {"period": OPEN_PERIOD, "model": "LINEAR"}, OWNER_LEADER_OR_ADMIN,
             note="proposed by a leader of either side (CS is neither)"),
    mutation("attributionModelOfRecordApprove", "AttributionModelOfRecordApproveInput", "modelOfRecord { status }",
             lambda org, caller: {"id": org.ids["proposal"]}, SIDE_LEADER_ONLY,
             note="the matrix's LEADER leads Sales: the sales side's approval"),
    # --- pay: finance and admins set plans; adjustments also by the person's team leaders; disputes by the person ---
    mutation("compPlanCreate", "CompPlanCreateInput", "compPlan { id }",
             lambda org, caller: {"personId": org.ids["salesPeer"], "period": OPEN_PERIOD, "targetVariable": "10000",
                                  "components": [{"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "100000",
                                                  "weight": "1"}]},
             expect(leader=FORBIDDEN, member=FORBIDDEN)),
    mutation("compPlanUpdate", "CompPlanUpdateInput", "compPlan { id version }",
             lambda org, caller: {"id": org.ids[f"memberPlan{OPEN_PERIOD}"], "targetVariable": "21000"},
             expect(leader=FORBIDDEN, member=FORBIDDEN)),
    mutation("compAdjustmentCreate", "CompAdjustmentCreateInput", "compAdjustment { amount }",
             lambda org, caller: {"personId": org.ids["member"], "period": CLOSED_PERIOD, "amount": "250.00",
                                  "reason": "late deal"},
             expect(member=FORBIDDEN, other_leader=P, leader_svc=P),
             note="the matrix's LEADER leads the member's team"),
    mutation("compDisputeCreate", "CompDisputeCreateInput", "compDispute { id }",
             lambda org, caller: {"period": CLOSED_PERIOD, "component": "Bookings", "reason": "recount please"},
             expect(admin=P, finance=P, other_leader=NOT_FOUND_IN_PAYLOAD, other_member=NOT_FOUND_IN_PAYLOAD,
                    marketer=NOT_FOUND_IN_PAYLOAD, leader_svc=P, member_svc=P),
             note="a dispute is raised by the person whose statement it is: service tokens have none"),
    mutation("compDisputeResolve", "CompDisputeResolveInput", "compDispute { status }",
             lambda org, caller: {"id": org.ids["dispute"], "resolution": "checked"},
             expect(member=FORBIDDEN, other_leader=P, leader_svc=P)),
    # --- imports: who may import the kind (top level), then each row's owner (a line error) ---
    mutation("leadImport", "LeadImportInput", "created imported errors { line reason }",
             lambda org, caller: {"records": [{"externalId": "L-NEW", "company": "New Co",
                                               "createdAt": "2026-11-02T09:00:00+00:00"}]},
             expect(finance=FORBIDDEN, member=FORBIDDEN, leader_svc=FORBIDDEN)),
    mutation("touchpointImport", "TouchpointImportInput", "created imported errors { line reason }",
             lambda org, caller: {"records": [{"externalId": "T-CALL", "leadExternalId": "L-HANDED",
                                               "at": "2026-10-06T12:00:00+00:00", "kind": "SALES",
                                               "channel": "phone", "team": "Sales",
                                               "personEmail": "seller@example.com", "durationMinutes": 20}]},
             expect(finance=FORBIDDEN, member=FORBIDDEN, other_leader=ROW_REFUSED, leader_svc=FORBIDDEN),
             row_name="touchpointImport (a Sales touch)"),
    mutation("opportunityImport", "OpportunityImportInput", "created imported errors { line reason }",
             lambda org, caller: {"records": [{"externalId": "O-WON", "leadExternalId": "L-HANDED",
                                               "name": "Handed Co platform", "amount": "12500.00",
                                               "createdAt": "2026-10-06T09:00:00+00:00", "status": "WON",
                                               "closedAt": "2026-10-20T12:00:00+00:00",
                                               "ownerEmail": "seller@example.com"}]},
             expect(member=FORBIDDEN, other_leader=FORBIDDEN, leader_svc=FORBIDDEN),
             row_name="opportunityImport (a deal owned by the member)",
             note="FINANCE and a leader of a sales team import deals; CS's leader leads no sales team"),
    mutation("opportunityImport", "OpportunityImportInput", "created imported errors { line reason }",
             lambda org, caller: {"records": [{"externalId": "O-PEER", "leadExternalId": "L-HANDED",
                                               "name": "Handed Co services", "amount": "900.00",
                                               "createdAt": "2026-10-07T09:00:00+00:00", "status": "OPEN",
                                               "ownerEmail": "cs@example.com"}]},
             expect(leader=ROW_REFUSED, member=FORBIDDEN, other_leader=FORBIDDEN, leader_svc=FORBIDDEN),
             row_name="opportunityImport (a deal owned by a CS member)"),
    # --- period governance (the clock is pinned in OPEN_PERIOD; 2026-Q2 has ended and nobody used it) ---
    mutation("periodClose", "PeriodCloseInput", "period { key status }",
             lambda org, caller: {"period": "2026-Q2"}, expect(leader=P, member=FORBIDDEN, other_leader=P, leader_svc=P),
             row_name="periodClose (an ended period)",
             note="after the end FINANCE or ADMIN close alone; a leader is sent to periodCloseSignOff"),
    mutation("periodClose", "PeriodCloseInput", "period { key status }",
             lambda org, caller: {"period": OPEN_PERIOD, "reason": "the company is sold"},
             expect(leader=P, finance=P, member=FORBIDDEN, other_leader=P, leader_svc=P),
             row_name="periodClose (before its end, with a reason)", note="before the end only ADMIN, with a reason"),
    mutation("periodCloseSignOff", "PeriodCloseSignOffInput", "period { key status closeSignOffs { side } }",
             lambda org, caller: {"period": "2026-Q2"},
             expect(admin=FORBIDDEN, finance=FORBIDDEN, member=FORBIDDEN, other_leader=P, leader_svc=P),
             row_name="periodCloseSignOff (an ended period)",
             note="the matrix's LEADER leads Sales: the sales side's sign-off (the period stays open); CS is no side"),
    mutation("periodCloseSignOff", "PeriodCloseSignOffInput", "period { key status }",
             lambda org, caller: {"period": OPEN_PERIOD},
             expect(admin=FORBIDDEN, leader=P, finance=FORBIDDEN, member=FORBIDDEN, other_leader=P, leader_svc=P),
             row_name="periodCloseSignOff (before its end)"),
    Row("periodClosePreview", "periodClosePreview",
        "query($period: String!) { periodClosePreview(period: $period) { period { key } needsForce openDisputeCount "
        "statements { person { name } lineCount } staleKeyResults { title } pendingModelsOfRecord { model } } }",
        lambda org, caller: {"period": OPEN_PERIOD}, expect(member=FORBIDDEN),
        note="statement totals follow the pay privacy rule (test_period_governance)"),
    Row("currentPeriod", "currentPeriod", "{ currentPeriod { key status isCurrent } }", no_variables, EVERYONE),
    Row("attributionDrivers", "attributionDrivers",
        "query($period: String!) { attributionDrivers(period: $period, order: 2) { channel removalEffect share "
        "valueShare journeys } }", lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("funnelCohort", "funnelCohort",
        "query($period: String!) { funnelCohort(period: $period) { team { name } mqls sals sqls won wonAmount } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE, note="like teamContribution: no pay figures"),
    Row("slaReport (weeks)", "slaReport",
        "query($period: String!) { slaReport(period: $period) { weeks { start end marketing { met counted } "
        "sales { met counted } } } }", lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("objectives (series)", "objectives",
        "query($period: String!) { objectives(period: $period) { edges { node { series { on progress status } "
        "keyResults { series(every: WEEK) { on value progress expectedProgress status } } } } } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    Row("teamContribution (goalProgressSeries)", "teamContribution",
        "query($period: String!) { teamContribution(period: $period) { team { name } "
        "goalProgressSeries { on progress expectedProgress status } } }",
        lambda org, caller: {"period": OPEN_PERIOD}, EVERYONE),
    mutation("opportunitySplitSet", "OpportunitySplitSetInput", "opportunity { id splits { percent } }",
             lambda org, caller: {"opportunityId": org.ids["opportunity"], "splits": [
                 {"personId": org.ids["member"], "percent": "60"}, {"personId": org.ids["salesPeer"], "percent": "40"}]},
             expect(leader=FORBIDDEN, member=FORBIDDEN), note="crediting splits are pay: FINANCE and admins"),
    mutation("compClawbackWaive", "CompClawbackWaiveInput", "compClawback { id }",
             lambda org, caller: {"id": encode_id("CompClawback", 999_999), "reason": "goodwill"},
             expect(admin=NOT_FOUND_IN_PAYLOAD, finance=NOT_FOUND_IN_PAYLOAD, leader=FORBIDDEN, member=FORBIDDEN),
             note="FINANCE and admins (the matrix org has no clawback: waiving one is test_comp_clawbacks)"),
]


def error_codes(body: dict) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def root_value(body: dict, root: str):
    return None if body.get("data") is None else body["data"].get(root)


def assert_outcome(body: dict, root: str, outcome: str, is_mutation: bool) -> None:
    errors = body.get("errors") or []
    if outcome == UNAUTHENTICATED:
        assert body.get("data") is None and error_codes(body) == [UNAUTHENTICATED], body
    elif outcome == FORBIDDEN:
        refusals = [e for e in errors if (e.get("extensions") or {}).get("code") == FORBIDDEN
                    and (e.get("path") or [None])[0] == root]
        assert refusals, f"expected a top-level FORBIDDEN error on {root}: {body}"
        assert root_value(body, root) is None, body
    elif outcome in (FORBIDDEN_IN_PAYLOAD, NOT_FOUND_IN_PAYLOAD):
        code = FORBIDDEN if outcome == FORBIDDEN_IN_PAYLOAD else "NOT_FOUND"
        assert errors == [], body
        result = root_value(body, root)
        assert result is not None, body
        assert code in [e["code"] for e in result["userErrors"]], f"expected a {code} userError: {body}"
        assert all(v is None for k, v in result.items() if k != "userErrors"), body
    elif outcome == ROW_REFUSED:
        assert errors == [], body
        result = root_value(body, root)
        assert result["imported"] is False and result["created"] == 0, body
        assert result["errors"] and all(e["reason"].startswith("refused: ") for e in result["errors"]), body
    else:
        assert outcome == OK
        assert errors == [], f"expected success on {root}: {errors}"
        result = root_value(body, root)
        assert result is not None, body
        if is_mutation:
            assert result["userErrors"] == [], f"the row's operation should succeed: {result}"


MATRIX = [pytest.param(row, caller, id=f"{row.name}-{caller}") for row in ROWS for caller in ROLES]


async def row_counts() -> dict[str, int]:
    """The number of rows of every table, in one statement: what a refused case must leave as it was."""
    tables = sorted(m._meta.db_table for m in Tortoise.apps["models"].values())
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    _, rows = await connections.get("default").execute_query(sql)
    return {r[0]: r[1] for r in rows}


@snapshot
def org(api):
    """The organisation, with the clock pinned in the open period: built once, its rows restored before each case."""
    api.set_now(NOW)
    return Org.build(api)


@pytest.mark.parametrize(("row", "caller"), MATRIX)
def test_authorization_matrix(org, row: Row, caller: str):
    before = org.api.run(row_counts())
    body = org.api.post(row.operation, row.variables(org, caller), org.tokens[caller])
    assert_outcome(body, row.field, row.outcome(caller), row.is_mutation)
    if row.outcome(caller) != OK:
        changed = {t: (n, after) for t, after in org.api.run(row_counts()).items() if (n := before[t]) != after}
        assert not changed, f"a refused {row.name} wrote rows: {changed}"


def _sdl():
    return build_schema(SDL.read_text())


def test_every_root_field_has_a_row():
    sdl = _sdl()
    queries, mutations = set(sdl.query_type.fields), set(sdl.mutation_type.fields)
    assert {r.field for r in ROWS if not r.is_mutation} == queries, "a root Query field without a matrix row"
    assert {r.field for r in ROWS if r.is_mutation} == mutations, "a root Mutation field without a matrix row"
    for row in ROWS:
        assert set(row.expect) == set(ROLES) - {ANON}, row.name


# --- node(id:) on every Node type --------------------------------------------------------------------------------

# Node type -> records of it: (label, key of the id in Org.ids, expected outcome per caller).
# The member's pay records: the member, the leader of the member's team, FINANCE and ADMIN (the privacy rule).
MEMBERS_PAY = expect(other_leader=FORBIDDEN, other_member=FORBIDDEN, marketer=FORBIDDEN, leader_svc=FORBIDDEN,
                     member_svc=FORBIDDEN)
NODE_RECORDS: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "Team": [("Team", "sales", EVERYONE)],
    "Person": [("Person", "member", EVERYONE)],
    "Objective": [("Objective", "shared", EVERYONE)],
    "KeyResult": [("KeyResult", "sharedKr", EVERYONE)],
    "Lead": [("Lead", "lead", EVERYONE)],
    "LeadDefinition": [("LeadDefinition (active)", "activeDefinition", EVERYONE),
                       ("LeadDefinition (draft)", "draftDefinition", EVERYONE)],
    "SlaAgreement": [("SlaAgreement", "sla", EVERYONE)],
    "Opportunity": [("Opportunity", "opportunity", EVERYONE)],
    "CompPlan": [("CompPlan (the member's)", f"memberPlan{OPEN_PERIOD}", MEMBERS_PAY),
                 ("CompPlan (the marketing leader's)", f"marketingLeaderPlan{OPEN_PERIOD}",
                  expect(leader=FORBIDDEN, member=FORBIDDEN))],
    "CompDispute": [("CompDispute (the member's)", "dispute", MEMBERS_PAY)],
    "ModelOfRecord": [("ModelOfRecord (proposed)", "proposal", EVERYONE)],
    "ApiToken": [
        ("ApiToken (the MEMBER's own)", "memberToken",
         expect(leader=FORBIDDEN, finance=FORBIDDEN, other_member=FORBIDDEN, marketer=FORBIDDEN,
                member_svc=FORBIDDEN)),
        ("ApiToken (someone else's)", "otherToken", ADMIN_ONLY),
    ],
}

NODE_QUERIES = {
    "node": "query($id: ID!) { node(id: $id) { __typename id } }",
    "nodes": "query($id: ID!) { nodes(ids: [$id]) { __typename id } }",
}


def test_every_node_type_has_records():
    sdl = _sdl()
    node_types = {name for name, t in sdl.type_map.items()
                  if hasattr(t, "interfaces") and any(i.name == "Node" for i in t.interfaces)}
    assert node_types == set(NODE_RECORDS)


NODE_CASES = [pytest.param(type_name, key, expected, root, caller, id=f"{root}-{label}-{caller}")
              for type_name, records in NODE_RECORDS.items() for label, key, expected in records
              for root in NODE_QUERIES for caller in ROLES]


@pytest.mark.parametrize(("type_name", "key", "expected", "root", "caller"), NODE_CASES)
def test_node_visibility(org, type_name, key, expected, root, caller):
    global_id = org.ids[key]
    body = org.api.post(NODE_QUERIES[root], {"id": global_id}, org.tokens[caller])
    outcome = UNAUTHENTICATED if caller == ANON else expected[caller]
    assert_outcome(body, root, outcome, is_mutation=False)
    if outcome == OK:
        found = body["data"][root] if root == "node" else body["data"][root][0]
        assert found == {"__typename": type_name, "id": global_id}


# --- privacy of pay figures --------------------------------------------------------------------------------------

PAY_FIELDS = ("annualCost", "costPerSellingHour")
PAY = "id " + " ".join(PAY_FIELDS)
EXPECTED_PAY = {"annualCost": "52800.00", "costPerSellingHour": "100.00"}

SEES_PAY = ("ADMIN service token", "FINANCE service token", "the member themself", "the sales leader")
NO_PAY = ("the marketing leader", "a LEADER service token", "a MEMBER service token", "another sales member")


@dataclass(frozen=True)
class PersonPath:
    name: str
    query: str
    variables: Callable[[Org], dict]
    reaches: Callable[[str], bool] = lambda viewer: True  # does this path lead this viewer to the member?


def only_the_member(viewer: str) -> bool:
    return viewer == "the member themself"


def may_see_the_members_pay(viewer: str) -> bool:
    """Statements reach only those who may see the member's pay."""
    return viewer in ("ADMIN service token", "FINANCE service token", "the member themself", "the sales leader")


CHECK_IN_AUTHOR = "checkIns { author { name person { %s } } }" % PAY

PERSON_PATHS = [
    PersonPath("node", "query($id: ID!) { node(id: $id) { ... on Person { %s } } }" % PAY,
               lambda org: {"id": org.ids["member"]}),
    PersonPath("nodes", "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Person { %s } } }" % PAY,
               lambda org: {"ids": [org.ids["salesLeader"], org.ids["member"]]}),
    PersonPath("people", "{ people(first: 50) { edges { node { %s } } } }" % PAY, lambda org: {}),
    PersonPath("people(teamId)", "query($team: ID!) { people(teamId: $team) { edges { node { %s } } } }" % PAY,
               lambda org: {"team": org.ids["sales"]}),
    PersonPath("viewer.person", "{ viewer { person { %s } } }" % PAY, lambda org: {}, only_the_member),
    PersonPath("viewer.token.person", "{ viewer { token { person { %s } } } }" % PAY, lambda org: {},
               only_the_member),
    PersonPath("objectives.keyResults.checkIns.author.person",
               "query($p: String!) { objectives(period: $p) { edges { node { keyResults { %s } } } } }"
               % CHECK_IN_AUTHOR, lambda org: {"p": OPEN_PERIOD}),
    PersonPath("node(Objective).keyResults.checkIns.author.person",
               "query($id: ID!) { node(id: $id) { ... on Objective { keyResults { %s } } } }" % CHECK_IN_AUTHOR,
               lambda org: {"id": org.ids["shared"]}),
    PersonPath("node(KeyResult).checkIns.author.person",
               "query($id: ID!) { node(id: $id) { ... on KeyResult { %s } } }" % CHECK_IN_AUTHOR,
               lambda org: {"id": org.ids["sharedKr"]}),
    # Leads the member owns, and the SLA in which the member is the sales side's person.
    PersonPath("leads.owner", "{ leads(first: 50) { edges { node { owner { %s } } } } }" % PAY, lambda org: {}),
    PersonPath("leads(ownerId).owner",
               "query($owner: ID!) { leads(ownerId: $owner) { edges { node { owner { %s } } } } }" % PAY,
               lambda org: {"owner": org.ids["member"]}),
    PersonPath("node(Lead).owner", "query($id: ID!) { node(id: $id) { ... on Lead { owner { %s } } } }" % PAY,
               lambda org: {"id": org.ids["handedOverLead"]}),
    PersonPath("node(Lead).timeline.owner",
               "query($id: ID!) { node(id: $id) { ... on Lead { timeline { owner { %s } } } } }" % PAY,
               lambda org: {"id": org.ids["handedOverLead"]}),
    PersonPath("slaReport.people.person",
               "query($p: String!) { slaReport(period: $p) { people { side person { %s } } } }" % PAY,
               lambda org: {"p": OPEN_PERIOD}),
    PersonPath("slaReport.awards.person",
               "query($p: String!) { slaReport(period: $p) { awards { side person { %s } } } }" % PAY,
               lambda org: {"p": OPEN_PERIOD}),
    PersonPath("slaReport.breaches.lead.owner",
               "query($p: String!) { slaReport(period: $p) { breaches { edges { node { lead { owner { %s } } } } } } }"
               % PAY, lambda org: {"p": OPEN_PERIOD}),
    # The member's own pay statement.
    PersonPath("compStatements.person",
               "query($p: String!) { compStatements(period: $p) { person { %s } } }" % PAY,
               lambda org: {"p": OPEN_PERIOD}, may_see_the_members_pay),
    # Deals the member owns.
    PersonPath("opportunities.owner", "{ opportunities(first: 50) { edges { node { owner { %s } } } } }" % PAY,
               lambda org: {}),
    PersonPath("node(Opportunity).owner",
               "query($id: ID!) { node(id: $id) { ... on Opportunity { owner { %s } } } }" % PAY,
               lambda org: {"id": org.ids["opportunity"]}),
    # A mutation's payload is a path too; FINANCE does not work leads (see the matrix).
    PersonPath("leadAssign.lead.owner",
               "mutation($input: LeadAssignInput!) { leadAssign(input: $input) { lead { owner { %s } } } }" % PAY,
               lambda org: {"input": {"leadId": org.ids["lead"], "ownerId": org.ids["member"]}},
               lambda viewer: viewer in ("ADMIN service token", "the marketing leader")),  # the hand-over
    # Only ADMIN and the holder may see the member's token at all (see test_node_visibility).
    PersonPath("node(ApiToken).person", "query($id: ID!) { node(id: $id) { ... on ApiToken { person { %s } } } }"
               % PAY, lambda org: {"id": org.ids["memberToken"]},
               lambda viewer: viewer in ("ADMIN service token", "the member themself")),
]


def occurrences(data, person_id: str, path=()):
    """Every (path, object) in a response where the member's Person appears."""
    if isinstance(data, dict):
        if data.get("id") == person_id and "annualCost" in data:
            yield list(path), data
        for key, value in data.items():
            yield from occurrences(value, person_id, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from occurrences(value, person_id, (*path, i))


PRIVACY_CASES = [pytest.param(path, viewer, viewer in SEES_PAY, id=f"{path.name}-{viewer}")
                 for path in PERSON_PATHS for viewer in (*SEES_PAY, *NO_PAY) if path.reaches(viewer)]


@pytest.mark.parametrize(("path", "viewer", "sees_pay"), PRIVACY_CASES)
def test_pay_figures_are_private_through_every_path(org, path: PersonPath, viewer: str, sees_pay: bool):
    body = org.api.post(path.query, path.variables(org), org.viewers[viewer])
    assert body.get("data") is not None, body
    found = list(occurrences(body["data"], org.ids["member"]))
    assert found, f"the path {path.name} did not reach the member: {body}"
    errors = body.get("errors") or []
    for where, person in found:
        for name in PAY_FIELDS:
            at_field = [e for e in errors if e.get("path") == [*where, name]]
            if sees_pay:
                assert person[name] == EXPECTED_PAY[name], (where, person)
                assert at_field == [], at_field
            else:
                assert person[name] is None, (where, person)
                assert [(e.get("extensions") or {}).get("code") for e in at_field] == [FORBIDDEN], (where, errors)
    # Nothing else failed: every other error is a refused pay field (of someone the viewer may not see).
    assert all((e.get("extensions") or {}).get("code") == FORBIDDEN and e["path"][-1] in PAY_FIELDS
               for e in errors), errors


def test_anonymous_reaches_no_person(org):
    for path in PERSON_PATHS:
        body = org.api.post(path.query, path.variables(org))
        assert body.get("data") is None and error_codes(body) == [UNAUTHENTICATED], (path.name, body)


# --- the ownership table of the docs ----------------------------------------------------------------------------

OWNERSHIP_DOC = Path(__file__).resolve().parents[2] / "docs" / "ownership.md"


def ownership_table() -> dict[str, list[str]]:
    """Write -> the rule functions named in its row of docs/ownership.md."""
    rows = {}
    for line in OWNERSHIP_DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3:
            rows[cells[0].strip("`")] = [name.strip(" `") for name in cells[2].split(",")]
    return rows


def test_every_write_has_a_row_in_the_ownership_table():
    from domain.access import rules as access_rules
    table = ownership_table()
    mutations = set(_sdl().mutation_type.fields)
    assert mutations - set(table) == set(), "a mutation without a row in docs/ownership.md"
    assert {w for w in table if " " not in w} - mutations == set(), "a row for a mutation the schema does not have"
    for write, rules in table.items():
        for rule in rules:
            assert rule in ("role", "revoke_token", "domain/access/periods.py") or hasattr(access_rules, rule), (
                write, rule)
