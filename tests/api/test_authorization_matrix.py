"""The authorization matrix: who may call every root field, see every Node and read pay figures.

One row per root Query and Mutation field (a field may have several rows, e.g. `tokenRevoke` of your own token and of
someone else's). Each row states the intended outcome for each caller:

    ADMIN    a service token with the ADMIN role
    LEADER   a person token of the sales team's leader
    FINANCE  a service token with the FINANCE role
    MEMBER   a person token of a sales team member (whose annualCost is set)
    ANON     no token at all: always UNAUTHENTICATED

Outcomes: OK (the operation succeeds: no top-level error, no userErrors), FORBIDDEN (a top-level error whose
`extensions.code` is FORBIDDEN, from a permission class on the field), FORBIDDEN_IN_PAYLOAD (a userErrors entry with
code FORBIDDEN, from an object-level check in the service), UNAUTHENTICATED.

The intent the rows encode (the hardening issue, item 2): only ADMIN manages people and teams; LEADER and ADMIN create
and change objectives and key results and close periods; only ADMIN reopens a period; members of an owner team (or
ADMIN) check in; everyone authenticated reads. For leads: LEADER and ADMIN draft lead definitions, agree SLAs and
import leads, touchpoints and opportunities; only a LEADER approves a definition (the service then requires a leader
of a sales or marketing team); ADMIN, LEADER and MEMBER work leads (transition, assign, recycle), FINANCE does not. A
row states the intent, not whatever the code happens to do.

Every case runs in a fresh database with the same organisation built through GraphQL (the `api` fixture truncates
per test), so a mutation of one case never sees another's changes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema

from domain.attribution.models import Opportunity, OpportunityStatus, TouchKind, Touchpoint
from domain.leads.facts import refresh_leads
from domain.leads.models import Lead, LeadEvent
from domain.org.models import Person, Team
from domain.org.rules import Role
from domain.org.service import create_token
from schema.core.ids import encode_id
from tests.api.leads_support import ICP
from tests.api.support import create_person, create_team

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

ADMIN, LEADER, FINANCE, MEMBER, ANON = "ADMIN", "LEADER", "FINANCE", "MEMBER", "ANON"
ROLES = (ADMIN, LEADER, FINANCE, MEMBER, ANON)

OK = "ok"
FORBIDDEN = "FORBIDDEN"                        # top-level error, extensions.code FORBIDDEN
FORBIDDEN_IN_PAYLOAD = "FORBIDDEN in userErrors"  # object-level refusal by the service
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
        }
        for key, p in people.items():
            person = create_person(api, admin, ids[p.pop("team")], **p)
            ids[key] = person["id"]
            org.versions[key] = person["version"]
        org.tokens = {ADMIN: admin, LEADER: api.token(person="lead@example.com"), FINANCE: api.token(Role.FINANCE),
                      MEMBER: api.token(person="seller@example.com"), ANON: None}
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


def expect(admin=OK, leader=OK, finance=OK, member=OK) -> dict[str, str]:
    return {ADMIN: admin, LEADER: leader, FINANCE: finance, MEMBER: member}


EVERYONE = expect()
ADMIN_ONLY = expect(leader=FORBIDDEN, finance=FORBIDDEN, member=FORBIDDEN)
LEADER_OR_ADMIN = expect(finance=FORBIDDEN, member=FORBIDDEN)
LEADER_ONLY = expect(admin=FORBIDDEN, finance=FORBIDDEN, member=FORBIDDEN)
WORKS_LEADS = expect(finance=FORBIDDEN)


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
             expect(leader=FORBIDDEN_IN_PAYLOAD, finance=FORBIDDEN_IN_PAYLOAD, member=FORBIDDEN_IN_PAYLOAD),
             row_name="tokenRevoke (someone else's token)"),

    # --- objectives and key results: LEADER and ADMIN ---
    mutation("objectiveCreate", "ObjectiveCreateInput", "objective { id }",
             lambda org, caller: {"title": "Cut time to first reply", "period": OPEN_PERIOD,
                                  "owners": [{"teamId": org.ids["sales"], "share": "1"}]}, LEADER_OR_ADMIN),
    mutation("objectiveUpdate", "ObjectiveUpdateInput", "objective { id title }",
             lambda org, caller: {"id": org.ids["shared"], "expectedVersion": org.versions["shared"],
                                  "title": "Grow new-logo bookings 30%"}, LEADER_OR_ADMIN),
    mutation("objectiveArchive", "ObjectiveArchiveInput", "objective { id archived }",
             lambda org, caller: {"id": org.ids["shared"]}, LEADER_OR_ADMIN),
    mutation("objectiveRollOver", "ObjectiveRollOverInput", "objectives { id }",
             lambda org, caller: {"fromPeriod": OPEN_PERIOD}, LEADER_OR_ADMIN),
    mutation("objectiveScoreOverride", "ObjectiveScoreOverrideInput", "objective { id score }",
             lambda org, caller: {"objectiveId": org.ids["closed"], "score": "0.7", "reason": "late deal counted"},
             LEADER_OR_ADMIN),
    mutation("keyResultCreate", "KeyResultCreateInput", "keyResult { id }",
             lambda org, caller: {"objectiveId": org.ids["shared"], "title": "Qualified meetings",
                                  "kind": "INCREASE_TO", "unit": "COUNT", "start": "0", "target": "120"},
             LEADER_OR_ADMIN),
    mutation("keyResultUpdate", "KeyResultUpdateInput", "keyResult { id target }",
             lambda org, caller: {"id": org.ids["sharedKr"], "expectedVersion": org.versions["sharedKr"],
                                  "target": "45"}, LEADER_OR_ADMIN),
    mutation("keyResultArchive", "KeyResultArchiveInput", "keyResult { id archived }",
             lambda org, caller: {"id": org.ids["sharedKr"]}, LEADER_OR_ADMIN),

    # --- check-ins: members of an owner team, or ADMIN (an object-level check in the service) ---
    mutation("keyResultCheckIn", "KeyResultCheckInInput", "checkIn { value }",
             lambda org, caller: {"keyResultId": org.ids["sharedKr"], "value": "15"},
             expect(finance=FORBIDDEN_IN_PAYLOAD), row_name="keyResultCheckIn (own team's key result)",
             note="FINANCE is a service token: in no team"),
    mutation("keyResultCheckIn", "KeyResultCheckInInput", "checkIn { value }",
             lambda org, caller: {"keyResultId": org.ids["csOnlyKr"], "value": "3"},
             expect(leader=FORBIDDEN_IN_PAYLOAD, finance=FORBIDDEN_IN_PAYLOAD, member=FORBIDDEN_IN_PAYLOAD),
             row_name="keyResultCheckIn (another team's key result)"),

    # --- periods: LEADER and ADMIN close, only ADMIN reopens ---
    mutation("periodClose", "PeriodCloseInput", "period { key status }",
             lambda org, caller: {"period": OPEN_PERIOD}, LEADER_OR_ADMIN),
    mutation("periodReopen", "PeriodReopenInput", "period { key status }",
             lambda org, caller: {"period": CLOSED_PERIOD, "reason": "a late deal was booked"}, ADMIN_ONLY),

    # --- the lead definition: LEADER and ADMIN draft, only a LEADER approves (of a sales or marketing team) ---
    mutation("leadDefinitionCreate", "LeadDefinitionCreateInput", "leadDefinition { id status }",
             lambda org, caller: {**ICP, "name": "Enterprise buyers", "employeesMin": 2000}, LEADER_OR_ADMIN),
    mutation("leadDefinitionApprove", "LeadDefinitionApproveInput", "leadDefinition { id status }",
             lambda org, caller: {"id": org.ids["draftDefinition"]}, LEADER_ONLY,
             row_name="leadDefinitionApprove (a draft)",
             note="the matrix's LEADER leads Sales: the sales side's approval"),

    # --- working leads: ADMIN, LEADER and MEMBER; FINANCE does not ---
    mutation("leadTransition", "LeadTransitionInput", "lead { id stage }",
             lambda org, caller: {"leadId": org.ids["lead"], "stage": "MQL"}, WORKS_LEADS,
             row_name="leadTransition (LEAD to MQL)"),
    mutation("leadAssign", "LeadAssignInput", "lead { id owner { name } }",
             lambda org, caller: {"leadId": org.ids["lead"], "ownerId": org.ids["member"]}, WORKS_LEADS),
    mutation("leadRecycle", "LeadRecycleInput", "lead { id stage }",
             lambda org, caller: {"leadId": org.ids["handedOverLead"], "reason": "NO_BUDGET",
                                  "reasonText": "budget in Q2"}, WORKS_LEADS, row_name="leadRecycle (an MQL)"),

    # --- the SLA and imports: LEADER and ADMIN ---
    mutation("slaAgreementCreate", "SlaAgreementCreateInput", "slaAgreement { id }",
             lambda org, caller: sla_terms(org, NEXT_PERIOD), LEADER_OR_ADMIN,
             row_name="slaAgreementCreate (teams without an SLA in the period)"),
    mutation("attributionModelOfRecordPropose", "AttributionModelOfRecordProposeInput", "modelOfRecord { id }",
             lambda org, caller: {"period": OPEN_PERIOD, "model": "LINEAR"}, LEADER_OR_ADMIN),
    mutation("attributionModelOfRecordApprove", "AttributionModelOfRecordApproveInput", "modelOfRecord { status }",
             lambda org, caller: {"id": org.ids["proposal"]}, LEADER_ONLY,
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
                                  "reason": "late deal"}, expect(member=FORBIDDEN),
             note="the matrix's LEADER leads the member's team"),
    mutation("compDisputeCreate", "CompDisputeCreateInput", "compDispute { id }",
             lambda org, caller: {"period": CLOSED_PERIOD, "component": "Bookings", "reason": "recount please"},
             expect(admin=FORBIDDEN_IN_PAYLOAD, finance=FORBIDDEN_IN_PAYLOAD),
             note="a dispute is raised by the person whose statement it is: service tokens have none"),
    mutation("compDisputeResolve", "CompDisputeResolveInput", "compDispute { status }",
             lambda org, caller: {"id": org.ids["dispute"], "resolution": "checked"}, expect(member=FORBIDDEN)),
    mutation("leadImport", "LeadImportInput", "created imported",
             lambda org, caller: {"records": [{"externalId": "L-NEW", "company": "New Co",
                                               "createdAt": "2026-11-02T09:00:00+00:00"}]}, LEADER_OR_ADMIN),
    mutation("touchpointImport", "TouchpointImportInput", "created imported",
             lambda org, caller: {"records": [{"externalId": "T-CALL", "leadExternalId": "L-HANDED",
                                               "at": "2026-10-06T12:00:00+00:00", "kind": "SALES",
                                               "channel": "phone", "team": "Sales",
                                               "personEmail": "seller@example.com", "durationMinutes": 20}]},
             LEADER_OR_ADMIN),
    mutation("opportunityImport", "OpportunityImportInput", "created imported",
             lambda org, caller: {"records": [{"externalId": "O-WON", "leadExternalId": "L-HANDED",
                                               "name": "Handed Co platform", "amount": "12500.00",
                                               "createdAt": "2026-10-06T09:00:00+00:00", "status": "WON",
                                               "closedAt": "2026-10-20T12:00:00+00:00",
                                               "ownerEmail": "seller@example.com"}]},
             LEADER_OR_ADMIN),
    Row("currentPeriod", "currentPeriod", "{ currentPeriod { key status isCurrent } }", no_variables, EVERYONE),
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
    elif outcome == FORBIDDEN_IN_PAYLOAD:
        assert errors == [], body
        result = root_value(body, root)
        assert result is not None, body
        assert FORBIDDEN in [e["code"] for e in result["userErrors"]], f"expected a FORBIDDEN userError: {body}"
        assert all(v is None for k, v in result.items() if k != "userErrors"), body
    else:
        assert outcome == OK
        assert errors == [], f"expected success on {root}: {errors}"
        result = root_value(body, root)
        assert result is not None, body
        if is_mutation:
            assert result["userErrors"] == [], f"the row's operation should succeed: {result}"


MATRIX = [pytest.param(row, caller, id=f"{row.name}-{caller}") for row in ROWS for caller in ROLES]


@pytest.mark.parametrize(("row", "caller"), MATRIX)
def test_authorization_matrix(api, row: Row, caller: str):
    org = Org.build(api)
    body = api.post(row.operation, row.variables(org, caller), org.tokens[caller])
    assert_outcome(body, row.field, row.outcome(caller), row.is_mutation)


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
    "CompPlan": [("CompPlan (the member's)", f"memberPlan{OPEN_PERIOD}", EVERYONE),
                 ("CompPlan (the marketing leader's)", f"marketingLeaderPlan{OPEN_PERIOD}",
                  expect(leader=FORBIDDEN, member=FORBIDDEN))],
    "CompDispute": [("CompDispute (the member's)", "dispute", EVERYONE)],
    "ModelOfRecord": [("ModelOfRecord (proposed)", "proposal", EVERYONE)],
    "ApiToken": [
        ("ApiToken (the MEMBER's own)", "memberToken", expect(leader=FORBIDDEN, finance=FORBIDDEN)),
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
def test_node_visibility(api, type_name, key, expected, root, caller):
    org = Org.build(api)
    global_id = org.ids[key]
    body = api.post(NODE_QUERIES[root], {"id": global_id}, org.tokens[caller])
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
               lambda viewer: viewer != "FINANCE service token"),
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
def test_pay_figures_are_private_through_every_path(api, path: PersonPath, viewer: str, sees_pay: bool):
    org = Org.build(api)
    body = api.post(path.query, path.variables(org), org.viewers[viewer])
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


def test_anonymous_reaches_no_person(api):
    org = Org.build(api)
    for path in PERSON_PATHS:
        body = api.post(path.query, path.variables(org))
        assert body.get("data") is None and error_codes(body) == [UNAUTHENTICATED], (path.name, body)
