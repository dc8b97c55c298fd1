"""The two-way SLA in GraphQL: agreements, the report per side, team and person, breaches and awards."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain import numbers
from domain.batch import by_ids
from domain.errors import DomainError
from domain.goals import queries as goals_queries
from domain.leads import queries, service, sla
from domain.leads.models import SlaAgreement as SlaAgreementRow
from domain.org import service as org_service
from schema.core.context import Info
from schema.core.errors import UserError, client_error
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.pagination import Connection, connection, page_request
from schema.core.permissions import EditsGoals
from schema.leads.mutations import SlaAgreementCreateInput
from schema.leads.types import Lead
from schema.org.types import Period, Person, Team, load_nodes, load_person, load_team_row

SlaSide = strawberry.enum(sla.Side, name="SlaSide")
SlaItemKind = strawberry.enum(sla.ItemKind, name="SlaItemKind")
SlaItemState = strawberry.enum(sla.ItemState, name="SlaItemState")


@strawberry.type(description="What marketing and sales committed to each other for a period.")
class SlaAgreement(relay.Node):
    id: relay.NodeID[int]
    mql_volume: int
    acceptance_rate_target: float
    handover_hours: Decimal
    follow_up_hours: Decimal
    follow_up_rate_target: float
    minimum_attempts: int
    decision_days: Decimal
    business_hours_only: bool
    marketing_team_id: strawberry.Private[int]
    sales_team_id: strawberry.Private[int]
    period_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, a: SlaAgreementRow) -> "SlaAgreement":
        return cls(id=a.id, mql_volume=a.mql_volume, acceptance_rate_target=numbers.ratio(a.acceptance_rate_target),
                   handover_hours=numbers.setting(a.handover_hours), follow_up_hours=numbers.setting(a.follow_up_hours),
                   follow_up_rate_target=numbers.ratio(a.follow_up_rate_target), minimum_attempts=a.minimum_attempts,
                   decision_days=numbers.setting(a.decision_days), business_hours_only=a.business_hours_only,
                   marketing_team_id=a.marketing_team_id, sales_team_id=a.sales_team_id, period_id=a.period_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await load_nodes(info, _agreements_by_ids, node_ids, cls.from_model)

    @strawberry.field(description="The quarter the agreement is for.")
    async def period(self, info: Info) -> Period:
        return Period.from_view(await info.context.loaders(goals_queries.periods_by_ids).load(self.period_id))

    @strawberry.field
    async def marketing_team(self, info: Info) -> Team:
        return await _team(info, self.marketing_team_id)

    @strawberry.field
    async def sales_team(self, info: Info) -> Team:
        return await _team(info, self.sales_team_id)


async def _agreements_by_ids(ids):
    return await by_ids(SlaAgreementRow, ids)


async def _team(info: Info, team_id: int) -> Team:
    return Team.from_model(await load_team_row(info, team_id))


@strawberry.type(description="Met ÷ counted over one side's per-lead commitments (an item counts once due or met).")
class Compliance:
    met: int
    counted: int
    compliance: float | None

    @classmethod
    def of(cls, c: sla.SideCompliance) -> "Compliance":
        return cls(met=c.met, counted=c.counted, compliance=numbers.ratio(c.compliance))


@strawberry.type(description="One person's compliance on their side of the SLA.")
class PersonCompliance(Compliance):
    side: SlaSide
    person_id: strawberry.Private[int]

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A commitment overdue and not done (OPEN_BREACH) or done late (MISSED).")
class SlaBreach:
    side: SlaSide
    item: SlaItemKind
    state: SlaItemState
    due: datetime
    done_at: datetime | None
    overdue_hours: float
    lead_pk: strawberry.Private[int]

    @strawberry.field
    async def lead(self, info: Info) -> Lead | None:
        row = await info.context.loaders(queries.leads_by_ids).load(self.lead_pk)
        return Lead.from_model(row) if row else None


@strawberry.type(description="The person on a side who did best against the SLA in a month.")
class SlaAward:
    month: str
    side: SlaSide
    compliance: float
    met: int
    counted: int
    person_id: strawberry.Private[int]

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="One ISO week of the period (clipped to it): both sides' compliance over the leads "
                             "that became MQL that week, as of now.")
class SlaWeek:
    start: date
    end: date
    marketing: Compliance
    sales: Compliance


@strawberry.type(description="The SLA between a marketing and a sales team for a period, both directions.")
class SlaReport:
    period: Period
    agreement: SlaAgreement
    report: strawberry.Private[queries.SlaReportGroups]
    view: strawberry.Private[org_service.PeriodView]

    @strawberry.field(description="Compliance of both sides by ISO week of the period (clipped to it), each over "
                                  "the leads that became MQL that week: the weeks add up to `marketing` and `sales`.")
    async def weeks(self) -> list[SlaWeek]:
        return [SlaWeek(start=w.start, end=w.end, marketing=Compliance.of(m), sales=Compliance.of(s))
                for w, m, s in await queries.sla_weeks(self.report, self.view)]

    # each group of figures (headline, people, awards, breaches) is read when a field first asks for it

    @strawberry.field
    async def mql_volume(self) -> int:
        return (await self.report.headline()).mql_volume

    @strawberry.field
    async def volume_met(self) -> bool:
        return (await self.report.headline()).volume_met

    @strawberry.field
    async def acceptance_rate(self) -> float | None:
        return numbers.ratio((await self.report.headline()).acceptance_rate)

    @strawberry.field
    async def acceptance_met(self) -> bool | None:
        return (await self.report.headline()).acceptance_met

    @strawberry.field
    async def follow_up_compliance(self) -> float | None:
        return numbers.ratio((await self.report.headline()).follow_up_compliance)

    @strawberry.field
    async def follow_up_met(self) -> bool | None:
        return (await self.report.headline()).follow_up_met

    @strawberry.field
    async def median_response_hours(self) -> float | None:
        return numbers.hours((await self.report.headline()).response_median_hours)

    @strawberry.field
    async def p90_response_hours(self) -> float | None:
        return numbers.hours((await self.report.headline()).response_p90_hours)

    @strawberry.field
    async def marketing(self) -> Compliance:
        return Compliance.of((await self.report.headline()).marketing)

    @strawberry.field
    async def sales(self) -> Compliance:
        return Compliance.of((await self.report.headline()).sales)

    @strawberry.field
    async def people(self) -> list[PersonCompliance]:
        marketing, sales = await self.report.people()
        return [PersonCompliance(side=side, person_id=pid, **vars(Compliance.of(c)))
                for side, by_person in ((sla.Side.MARKETING, marketing), (sla.Side.SALES, sales))
                for pid, c in sorted(by_person.items())]

    @strawberry.field
    async def awards(self) -> list[SlaAward]:
        return [SlaAward(month=a.month, side=a.side, compliance=numbers.ratio(a.compliance), met=a.met, counted=a.counted,
                         person_id=a.person_id) for a in await self.report.awards()]

    @strawberry.field(description="Open and missed commitments, by due time.")
    async def breaches(self, first: int = 20, after: str | None = None) -> Connection[SlaBreach]:
        page = page_request(first, after)
        offset = page.after or 0  # a cursor is the position of a breach in the whole list, from 1
        rows = list(enumerate(await self.report.breaches(offset, page.first + 1), start=offset + 1))
        return connection(rows[: page.first], len(rows) > page.first, page, lambda row: SlaBreach(
            side=row[1].side, item=row[1].item, state=row[1].state, due=row[1].due, done_at=row[1].done_at,
            overdue_hours=numbers.hours(row[1].overdue_hours), lead_pk=row[1].lead_id), key=lambda row: row[0],
            count=self.report.breach_count)


@strawberry.type
class SlaQuery:
    @strawberry.field(description="The period's SLA report; name the teams when the period has several SLAs.")
    async def sla_report(self, info: Info, period: str, marketing_team_id: strawberry.ID | None = None,
                         sales_team_id: strawberry.ID | None = None) -> SlaReport:
        try:
            view = await org_service.get_period(period)
            marketing = decode_id(marketing_team_id, "Team", "marketingTeamId") if marketing_team_id else None
            sales_pk = decode_id(sales_team_id, "Team", "salesTeamId") if sales_team_id else None
            agreement = await queries.agreement_between(view, marketing, sales_pk)
        except DomainError as e:
            raise client_error(e) from None
        return SlaReport(period=Period.from_view(view), agreement=SlaAgreement.from_model(agreement),
                         report=await queries.sla_report(agreement, view), view=view)


@strawberry.type
class SlaAgreementPayload:
    sla_agreement: SlaAgreement | None
    user_errors: list[UserError]




@strawberry.type
class SlaMutation:
    @strawberry.mutation(permission_classes=[EditsGoals], description="Agree an SLA between marketing and sales.")
    async def sla_agreement_create(self, info: Info, input: SlaAgreementCreateInput) -> SlaAgreementPayload | None:
        async def use_case():
            fields = service.SlaFields(
                period=input.period, marketing_team_id=decode_id(input.marketing_team_id, "Team", "marketingTeamId"),
                sales_team_id=decode_id(input.sales_team_id, "Team", "salesTeamId"), mql_volume=input.mql_volume,
                acceptance_rate_target=Decimal(str(input.acceptance_rate_target)),
                handover_hours=input.handover_hours, follow_up_hours=input.follow_up_hours,
                follow_up_rate_target=Decimal(str(input.follow_up_rate_target)),
                minimum_attempts=input.minimum_attempts, decision_days=input.decision_days,
                business_hours_only=input.business_hours_only)
            return await service.create_sla_agreement(info.context.viewer, fields)
        return await payload(SlaAgreementPayload, "sla_agreement", use_case, SlaAgreement.from_model)
