"""The two-way SLA in GraphQL: agreements, the report per side, team and person, breaches and awards."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types.nodes import SelectedField
from strawberry import relay

from domain.batch import by_ids
from domain.errors import DomainError, invalid, not_found
from domain.leads import queries, service, sla
from domain.leads.models import SlaAgreement as SlaAgreementRow
from domain.org import queries as org_queries
from domain.org import service as org_service
from domain.org.models import Period as PeriodRow
from domain.org.rules import Role
from schema.core.context import Info
from schema.core.errors import UserError, client_error
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.pagination import connection, page_request
from schema.core.permissions import role_in
from schema.leads.mutations import SlaAgreementCreateInput
from schema.leads.types import Lead
from schema.org.types import Period, Person, Team, _nodes, load_person

SlaSide = strawberry.enum(sla.Side, name="SlaSide")
SlaItemKind = strawberry.enum(sla.ItemKind, name="SlaItemKind")
SlaItemState = strawberry.enum(sla.ItemState, name="SlaItemState")


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


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

    @classmethod
    def from_model(cls, a: SlaAgreementRow) -> "SlaAgreement":
        return cls(id=a.id, mql_volume=a.mql_volume, acceptance_rate_target=float(a.acceptance_rate_target),
                   handover_hours=a.handover_hours.normalize(), follow_up_hours=a.follow_up_hours.normalize(),
                   follow_up_rate_target=float(a.follow_up_rate_target), minimum_attempts=a.minimum_attempts,
                   decision_days=a.decision_days.normalize(), business_hours_only=a.business_hours_only,
                   marketing_team_id=a.marketing_team_id, sales_team_id=a.sales_team_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await _nodes(info, _agreements_by_ids, node_ids, cls.from_model)

    @strawberry.field
    async def marketing_team(self, info: Info) -> Team:
        return await _team(info, self.marketing_team_id)

    @strawberry.field
    async def sales_team(self, info: Info) -> Team:
        return await _team(info, self.sales_team_id)


async def _agreements_by_ids(ids):
    return await by_ids(SlaAgreementRow, ids)


async def _team(info: Info, team_id: int) -> Team:
    return Team.from_model(await info.context.loaders(org_queries.teams_by_ids).load(team_id))


@strawberry.type(description="Met ÷ counted over one side's per-lead commitments (an item counts once due or met).")
class Compliance:
    met: int
    counted: int
    compliance: float | None

    @classmethod
    def of(cls, c: sla.SideCompliance) -> "Compliance":
        return cls(met=c.met, counted=c.counted, compliance=_ratio(c.compliance))


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


@strawberry.type(description="The SLA between a marketing and a sales team for a period, both directions.")
class SlaReport:
    period: Period
    agreement: SlaAgreement
    mql_volume: int
    volume_met: bool
    acceptance_rate: float | None
    acceptance_met: bool | None
    follow_up_compliance: float | None
    follow_up_met: bool | None
    median_response_hours: float | None
    p90_response_hours: float | None
    marketing: Compliance
    sales: Compliance
    people: list[PersonCompliance]
    awards: list[SlaAward]
    figures: strawberry.Private[sla.SlaFigures]

    @strawberry.field(description="Open and missed commitments, by due time.")
    def breaches(self, first: int = 20, after: str | None = None) -> relay.Connection[SlaBreach]:
        page = page_request(first, after)
        indexed = list(enumerate(self.figures.breaches, start=1))
        rows = [(i, b) for i, b in indexed if page.after is None or i > page.after][: page.first + 1]
        return connection(rows[: page.first], len(rows) > page.first, page, lambda row: SlaBreach(
            side=row[1].side, item=row[1].item, state=row[1].state, due=row[1].due, done_at=row[1].done_at,
            overdue_hours=float(row[1].overdue_hours), lead_pk=row[1].lead_id), key=lambda row: row[0])


def _field_names(selections) -> set[str]:
    """The names of the fields selected at this level, through fragments and inline fragments."""
    names = set()
    for s in selections:
        if isinstance(s, SelectedField):
            names.add(s.name)
        else:  # FragmentSpread or InlineFragment: their fields are at this level
            names |= _field_names(s.selections)
    return names


def _report(period, result: queries.SlaResult) -> SlaReport:
    f = result.figures
    people = [PersonCompliance(side=sla.Side.MARKETING, person_id=pid, **Compliance.of(c).__dict__)
              for pid, c in sorted(f.marketing_by_person.items())]
    people += [PersonCompliance(side=sla.Side.SALES, person_id=pid, **Compliance.of(c).__dict__)
               for pid, c in sorted(f.sales_by_person.items())]
    return SlaReport(
        period=Period.from_view(period), agreement=SlaAgreement.from_model(result.agreement),
        mql_volume=f.mql_volume, volume_met=f.volume_met, acceptance_rate=_ratio(f.acceptance_rate),
        acceptance_met=f.acceptance_met, follow_up_compliance=_ratio(f.follow_up_compliance),
        follow_up_met=f.follow_up_met, median_response_hours=_ratio(f.response_median_hours),
        p90_response_hours=_ratio(f.response_p90_hours), marketing=Compliance.of(f.marketing),
        sales=Compliance.of(f.sales), people=people,
        awards=[SlaAward(month=a.month, side=a.side, compliance=float(a.compliance), met=a.met, counted=a.counted,
                         person_id=a.person_id) for a in result.awards],
        figures=f)


@strawberry.type
class SlaQuery:
    @strawberry.field(description="The period's SLA report; name the teams when the period has several SLAs.")
    async def sla_report(self, info: Info, period: str, marketing_team_id: strawberry.ID | None = None,
                         sales_team_id: strawberry.ID | None = None) -> SlaReport:
        try:
            view = await org_service.get_period(period)
            marketing = decode_id(marketing_team_id, "Team", "marketingTeamId") if marketing_team_id else None
            sales_pk = decode_id(sales_team_id, "Team", "salesTeamId") if sales_team_id else None
            stored = await PeriodRow.get_or_none(key=view.key)
            found = [a for a in (await queries.agreements(stored.id) if stored else [])
                     if marketing in (None, a.marketing_team_id) and sales_pk in (None, a.sales_team_id)]
            if not found:
                raise not_found(f"no SLA agreement for {view.key} with these teams", "period")
            if len(found) > 1:
                raise invalid("this period has several SLAs: name marketingTeamId and salesTeamId", "period")
        except DomainError as e:
            raise client_error(e) from None
        # each lead's marketing person is looked up only when per-person rows or awards are asked for
        wanted = _field_names(info.selected_fields[0].selections)
        return _report(view, await queries.sla_result(found[0], view, people=bool(wanted & {"people", "awards"})))


@strawberry.type
class SlaAgreementPayload:
    sla_agreement: SlaAgreement | None
    user_errors: list[UserError]


LeaderOrAdmin = role_in(Role.LEADER, Role.ADMIN)


@strawberry.type
class SlaMutation:
    @strawberry.mutation(permission_classes=[LeaderOrAdmin], description="Agree an SLA between marketing and sales.")
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
