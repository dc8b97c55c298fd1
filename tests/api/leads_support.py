"""Set-up for the lead tests: an organisation with sales and marketing, leads and events written as an import would."""
from __future__ import annotations

from datetime import datetime, timezone

from domain.attribution.models import TouchKind, Touchpoint
from domain.leads.facts import refresh_leads
from domain.leads.models import Lead, LeadEvent
from domain.org.models import Person, Team
from schema.core.ids import encode_id
from tests.api.support import create_person, create_team

UTC = timezone.utc
ERRORS = "userErrors { field message code }"
DEFINITION_CREATE = """mutation($input: LeadDefinitionCreateInput!) { leadDefinitionCreate(input: $input) {
  leadDefinition { id version status activatedAt approvals { side person { name } } } %s } }""" % ERRORS
DEFINITION_APPROVE = """mutation($id: ID!) { leadDefinitionApprove(input: {id: $id}) {
  leadDefinition { id version status activatedAt approvals { side person { name } } } %s } }""" % ERRORS

ASSIGN = """mutation($input: LeadAssignInput!) { leadAssign(input: $input) {
  lead { owner { name } facts { handoverAt } } userErrors { field message code } } }"""

ICP = {"name": "Mid-market SaaS buyers", "industries": ["Software", "Fintech"], "employeesMin": 200,
       "employeesMax": 2000, "regions": ["EMEA", "NA"], "titles": ["VP", "Head of", "Director"],
       "behaviourPoints": {"WEBINAR": 15, "FORM_SUBMIT": 20, "ASSET_DOWNLOAD": 10, "EMAIL_OPEN": 1},
       "halfLifeDays": "30", "fitThreshold": "50", "engagementThreshold": "30"}


class Org:
    def __init__(self, api, admin):
        self.api, self.admin = api, admin
        self.sales = create_team(api, admin, "Field Sales", "SALES")
        self.marketing = create_team(api, admin, "Demand Generation", "MARKETING")
        create_person(api, admin, self.sales, email="saleslead@example.com", name="Sam Lead", role="LEADER")
        create_person(api, admin, self.marketing, email="mktlead@example.com", name="Maya Lead", role="LEADER")
        self.seller = create_person(api, admin, self.sales, email="seller@example.com", name="Sofia Seller",
                                    annualCost="210672")
        self.marketer = create_person(api, admin, self.marketing, email="dana@example.com", name="Dana Demand")
        self.sales_leader = api.token(person="saleslead@example.com")
        self.marketing_leader = api.token(person="mktlead@example.com")
        self.seller_token = api.token(person="seller@example.com")
        self.marketer_token = api.token(person="dana@example.com")

    def active_definition(self, **changes) -> str:
        created = self.api.gql(DEFINITION_CREATE, {"input": {**ICP, **changes}}, self.marketing_leader)
        definition_id = created["leadDefinitionCreate"]["leadDefinition"]["id"]
        self.api.gql(DEFINITION_APPROVE, {"id": definition_id}, self.marketing_leader)
        self.api.gql(DEFINITION_APPROVE, {"id": definition_id}, self.sales_leader)
        return definition_id

    def lead(self, external_id="L-1", **fields) -> str:
        values = dict(company="Acme", contact_name="Ann Buyer", email="ann@acme.example", industry="Software",
                      employees=500, region="EMEA", title="VP Marketing", source="webinar",
                      created_at=datetime(2026, 10, 1, tzinfo=UTC))
        values.update(fields)
        lead = self.api.run(Lead.create(external_id=external_id, **values))
        self.api.run(refresh_leads([lead.id]))
        return encode_id("Lead", lead.id)

    def events(self, lead_gid: str, *events: tuple) -> None:
        """(at, type, stage?, owner email?, reason code?) per event, as an import writes them."""
        from strawberry import relay
        lead_id = int(relay.GlobalID.from_id(lead_gid).node_id)

        async def write():
            for at, type_, *rest in events:
                stage, owner, reason = (list(rest) + [None, None, None])[:3]
                owner_id = (await Person.get(email=owner)).id if owner else None
                await LeadEvent.create(lead_id=lead_id, at=at, type=type_, stage=stage, owner_person_id=owner_id,
                                       reason_code=reason, actor_name="import")
            await refresh_leads([lead_id])
        self.api.run(write())

    def touch(self, lead_gid: str, at: datetime, kind="SALES", team="Field Sales", person="seller@example.com",
              minutes=None, channel="call", external_id=None) -> None:
        from strawberry import relay
        lead_id = int(relay.GlobalID.from_id(lead_gid).node_id)

        async def write():
            team_row = await Team.get(name=team)
            person_row = await Person.get(email=person) if person else None
            await Touchpoint.create(external_id=external_id or f"T-{lead_id}-{at.isoformat()}", lead_id=lead_id,
                                    at=at, kind=TouchKind(kind), channel=channel, team_id=team_row.id,
                                    person_id=person_row.id if person_row else None, duration_minutes=minutes)
            await refresh_leads([lead_id])
        self.api.run(write())
