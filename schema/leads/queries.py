"""Root query fields of leads: leads, the definitions, and the feedback loop."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain import numbers
from domain.errors import DomainError
from domain.leads import queries
from domain.org import service as org_service
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.ids import decode_id
from schema.core.pagination import Connection, connection, page_request
from schema.leads.types import Lead, LeadDefinition, Stage
from schema.org.types import Team, load_team_row


@strawberry.type(description="How often leads were handed back or disqualified for a reason, per lead source.")
class FeedbackCount:
    stage: Stage
    reason_code: str
    source: str | None
    count: int


@strawberry.type(description="The leads that became MQL in the period and were first touched by a team (none: "
                             "no touch), and how many of them reached SAL and SQL and were won, as of now, whenever "
                             "that happened.")
class CohortLine:
    mqls: int
    sals: int
    sqls: int
    won: int = strawberry.field(description="Leads of the cohort with a won deal.")
    won_amount: Decimal = strawberry.field(description="The amounts of their won deals.")
    team_id: strawberry.Private[int | None]

    @strawberry.field(description="The first-touch team; null for the leads no team touched.")
    async def team(self, info: Info) -> Team | None:
        row = await load_team_row(info, self.team_id) if self.team_id is not None else None
        return Team.from_model(row) if row is not None else None


@strawberry.type
class LeadsQuery:
    @strawberry.field(description="The funnel as a cohort: the period's MQLs by first-touch team, with how many of "
                                  "them reached SAL and SQL and were won (unlike teamContribution, which credits SAL "
                                  "and SQL to the owner's team in the period they happened).")
    async def funnel_cohort(self, info: Info, period: str) -> list[CohortLine]:
        try:
            view = await org_service.get_period(period)
        except DomainError as e:
            raise client_error(e) from None
        return [CohortLine(mqls=c.counts.mqls, sals=c.counts.sals, sqls=c.counts.sqls, won=c.counts.won,
                           won_amount=numbers.money(Decimal(c.counts.won_cents).scaleb(-2)), team_id=c.team_id)
                for c in await queries.funnel_cohort(view)]

    @strawberry.field(description="Leads, filtered by stage, owner team, owner, or MQL in a period.")
    async def leads(self, info: Info, first: int = 20, after: str | None = None, stage: Stage | None = None,
                    team_id: strawberry.ID | None = None, owner_id: strawberry.ID | None = None,
                    period: str | None = None) -> Connection[Lead]:
        page = page_request(first, after)
        try:
            team_pk = decode_id(team_id, "Team", "teamId") if team_id else None
            owner_pk = decode_id(owner_id, "Person", "ownerId") if owner_id else None
            mql_in = await org_service.get_period(period) if period else None
        except DomainError as e:
            raise client_error(e) from None
        paged = await queries.leads_page(page, stage, team_pk, owner_pk, mql_in)
        return connection(paged.rows, paged.has_next, page, Lead.from_model, count=paged.count)

    @strawberry.field(description="Every version of the joint lead definition, newest first.")
    async def lead_definitions(self, info: Info) -> list[LeadDefinition]:
        return [LeadDefinition.from_model(d) for d in await queries.definitions()]

    @strawberry.field(description="Recycle and disqualify reasons given in a period, per reason and lead source.")
    async def lead_feedback(self, info: Info, period: str) -> list[FeedbackCount]:
        try:
            view = await org_service.get_period(period)
        except DomainError as e:
            raise client_error(e) from None
        return [FeedbackCount(stage=c.stage, reason_code=c.reason_code, source=c.source, count=c.count)
                for c in await queries.feedback(view)]
