"""The common view in GraphQL: each team's contribution to the period, the same figures as the CSV, and the rows
behind each figure (its trace), as keyset-paginated connections."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from domain import numbers
from domain.attribution import queries as attribution_queries
from domain.comp.queries import PayoutKind as PayoutKindRow
from domain.comp.queries import PayoutRow
from domain.access.rules import can_see_team_pay
from domain.contribution import queries
from domain.goals import queries as goal_queries
from domain.leads import queries as lead_queries
from domain.leads import sla
from domain.money import from_cents
from domain.errors import DomainError
from domain.org.service import previous_key
from domain.paging import Page
from schema.attribution.types import Credit, Opportunity
from schema.comp.types import CompAdjustment, CompStatementLine
from schema.contribution.loaders import contribution_by_period
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.pagination import Connection, connection, counted, page_request
from schema.core.permissions import CanSeePay
from domain.goals.rules import SeriesStep as SeriesStepRule
from domain.org.rules import PeriodStatus
from schema.goals.types import FromDay, Objective, ProgressPoint, SeriesStep, ToDay, series_range
from schema.leads.sla import SlaItemKind, SlaItemState, SlaSide
from schema.leads.types import Lead
from schema.org.types import Period, Person, Team, load_person, load_team_row
from schema.forecast.types import Forecast

PayoutKind = strawberry.enum(PayoutKindRow, name="PayoutKind",
                             description="ACCRUED (open period, metrics to date), LOCKED (closed period) or ADJUSTMENT.")


# --- the rows of the traces ----------------------------------------------------------------

@strawberry.type(description="One touch's share of a deal won in the period under the model of record: a row "
                             "behind attributedBookings.")
class BookingCredit(Credit):
    opportunity: Opportunity

    @classmethod
    def of(cls, row: attribution_queries.CreditRow) -> "BookingCredit":
        t = row.touch
        return cls(opportunity=Opportunity.from_model(row.deal.opportunity), at=t.at, channel=t.channel,
                   campaign=t.campaign, weight=numbers.weight(row.weight), amount=numbers.money(from_cents(row.cents)),
                   team_id=t.team_id, person_id=t.person_id)


@strawberry.type(description="One per-lead commitment of a side of the SLA, counted in its compliance (due or met): "
                             "a row behind slaCompliance.")
class SlaItem:
    side: SlaSide
    item: SlaItemKind
    state: SlaItemState
    due: datetime
    done_at: datetime | None
    met: bool
    lead_pk: strawberry.Private[int]
    person_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, i: sla.SlaItem) -> "SlaItem":
        return cls(side=i.side, item=i.kind, state=i.state, due=i.due, done_at=i.done_at, met=i.met,
                   lead_pk=i.lead_id, person_id=i.person_id)

    @strawberry.field
    async def lead(self, info: Info) -> Lead | None:
        return await _lead(info, self.lead_pk)

    @strawberry.field(description="Who the commitment falls to: the first marketing toucher, or the sales owner.")
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A line (or adjustment) of a statement of one of the team's people: a row behind "
                             "payoutsAccrued.")
class PayoutLine:
    kind: PayoutKind
    component: str | None
    amount: Decimal = strawberry.field(description="The line's payout, or the adjustment's amount.")
    line: CompStatementLine | None = strawberry.field(description="The statement line; null for an adjustment.")
    adjustment: CompAdjustment | None = strawberry.field(description="The adjustment; null for a statement line.")
    person_id: strawberry.Private[int]

    @classmethod
    def of(cls, r: PayoutRow) -> "PayoutLine":
        line = CompStatementLine.of(r.line) if r.line is not None else None
        adjustment = CompAdjustment.from_model(r.adjustment) if r.adjustment is not None else None
        component = line.component if line else adjustment.component if adjustment else \
            r.clawback.component if r.clawback else "Draw" if r.kind is PayoutKindRow.DRAW else None
        return cls(kind=r.kind, component=component, amount=numbers.money(r.amount), line=line, adjustment=adjustment,
                   person_id=r.person_id)

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A SALES touch on a lead later recycled or disqualified: a row behind "
                             "wastedSellingCost.")
class WastedSellingTouchpoint:
    at: datetime
    channel: str
    campaign: str | None
    minutes: int
    cost_per_selling_hour: Decimal | None = strawberry.field(
        description="The seller's cost per selling hour (null without an annual cost: the touch then costs nothing).")
    cost: Decimal | None = strawberry.field(
        description="This touch's share of the seller's wasted cost, round(Σ minutes × costPerSellingHour / 60) "
                    "shared by minutes to the cent, so the shares add up to the figure.")
    lead_pk: strawberry.Private[int]
    person_id: strawberry.Private[int]

    @classmethod
    def of(cls, w: queries.WastedCost) -> "WastedSellingTouchpoint":
        t = w.touch
        return cls(at=t.at, channel=t.channel, campaign=t.campaign, minutes=t.minutes,
                   cost_per_selling_hour=numbers.money(w.cost_per_selling_hour), cost=numbers.money(w.cost), lead_pk=t.lead_id,
                   person_id=t.person_id)

    @strawberry.field
    async def lead(self, info: Info) -> Lead | None:
        return await _lead(info, self.lead_pk)

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


async def _lead(info: Info, lead_id: int) -> Lead | None:
    row = await info.context.loaders(lead_queries.leads_by_ids).load(lead_id)
    return Lead.from_model(row) if row else None


async def _lead_page(info: Info, lead_ids: Sequence[int], first: int, after: str | None) -> Connection[Lead]:
    page = page_request(first, after)
    chosen, has_next = queries.page_of(lead_ids, page, key=lambda i: i)
    found = await info.context.loaders(lead_queries.leads_by_ids).load_many([i for _, i in chosen])
    return connection([(k, row) for (k, _), row in zip(chosen, found) if row is not None], has_next, page,
                      lambda kr: Lead.from_model(kr[1]), key=lambda kr: kr[0], count=counted(lead_ids))


def _page(rows: Sequence[Any], first: int, after: str | None, to_node: Callable[[Any], Any],
          key: Callable[[Any], int] | None = None) -> Connection:
    """A page of a trace's rows: by their own key, or by position when they have none."""
    page: Page = page_request(first, after)
    chosen, has_next = queries.page_of(rows, page, key) if key else queries.page_by_position(rows, page)
    return connection(chosen, has_next, page, lambda kr: to_node(kr[1]), key=lambda kr: kr[0], count=counted(rows))


def _deal_key(deal: attribution_queries.Deal) -> int:
    return deal.opportunity.id


# --- the common view -------------------------------------------------------------------------

@strawberry.type(description="What a team contributed to the period's shared goals and funnel, each figure with the "
                             "rows behind it. Pay and cost totals (and their rows) follow the privacy rule: the "
                             "team's leaders, FINANCE and ADMIN.")
class TeamContribution:
    period: Period
    team_id: strawberry.Private[int]
    contribution: strawberry.Private[queries.PeriodContribution]
    period_key: strawberry.Private[str]
    as_of: date | None = strawberry.field(description="The day these figures stand as of (asOf), null for now.")

    @classmethod
    def of(cls, c: queries.PeriodContribution, team_id: int) -> "TeamContribution":
        return cls(period=Period.from_view(c.whole), team_id=team_id, contribution=c, period_key=c.whole.key,
                   as_of=c.as_of.day if c.as_of is not None else None)

    async def _funnel(self) -> tuple[int, int, int]:
        return (await self.contribution.funnel_counts()).get(self.team_id, (0, 0, 0))

    async def _funnel_rows(self) -> tuple[list[int], list[int], list[int]]:
        return (await self.contribution.funnel_rows()).get(self.team_id, ([], [], []))

    async def _pipeline_rows(self) -> attribution_queries.PipelineDeals:
        return (await self.contribution.pipeline_rows()).get(self.team_id, attribution_queries.PipelineDeals([], []))

    @strawberry.field(description="Where the team's attributed bookings are heading at the period's end, as of now "
                                  "(see KeyResult.forecast); null once the period is closed.")
    async def attributed_bookings_forecast(self) -> Forecast | None:
        if self.contribution.whole.status is PeriodStatus.CLOSED:
            return None
        return Forecast.of((await self.contribution.attributed_bookings_forecasts()).get(self.team_id))

    @strawberry.field(description="Σ(share × progress) / Σ share of co-owned objectives.")
    async def goal_progress(self) -> float | None:
        return numbers.ratio(await self.contribution.goal_progress(self.team_id))

    @strawberry.field(description="goalProgress as it stood at the end of each step from `from` to `to` (see "
                                  "Objective.series; `value` is null; empty for a team that co-owns nothing).")
    async def goal_progress_series(self, every: SeriesStep = SeriesStepRule.WEEK, from_: FromDay = None,
                                   to: ToDay = None) -> list[ProgressPoint]:
        p = self.contribution.whole
        rng = series_range(p.start, p.end, p.status is PeriodStatus.CLOSED, every, from_, to)
        return [ProgressPoint.of(point) for point in
                (await self.contribution.goal_progress_series(rng)).get(self.team_id, [])]

    @strawberry.field(description="Leads that became MQL in the period, first touched by the team (the count of "
                                  "mqlLeads).")
    async def mqls_delivered(self) -> int:
        return (await self._funnel())[0]

    @strawberry.field(description="Leads the team owns that were accepted (SAL) in the period (salLeads).")
    async def sals(self) -> int:
        return (await self._funnel())[1]

    @strawberry.field(description="Leads the team owns that became SQL in the period (sqlLeads).")
    async def sqls(self) -> int:
        return (await self._funnel())[2]

    @strawberry.field(description="Amounts of sourcedDeals.")
    async def sourced_pipeline(self) -> Decimal:
        return numbers.money((await self.contribution.pipeline()).get(self.team_id, (Decimal(0), Decimal(0)))[0])

    @strawberry.field(description="Amounts of influencedDeals.")
    async def influenced_pipeline(self) -> Decimal:
        return numbers.money((await self.contribution.pipeline()).get(self.team_id, (Decimal(0), Decimal(0)))[1])

    @strawberry.field(description="Bookings credited under the model of record (amounts of bookingCredits).")
    async def attributed_bookings(self) -> Decimal:
        return numbers.money((await self.contribution.bookings()).get(self.team_id, Decimal(0)))

    @strawberry.field(description="Met ÷ counted over the team's side's SLA items (slaItems).")
    async def sla_compliance(self) -> float | None:
        return numbers.ratio(await self.contribution.sla_compliance(self.team_id))

    def can_see_pay(self, principal) -> bool:
        return can_see_team_pay(principal, self.team_id)

    @strawberry.field
    async def team(self, info: Info) -> Team:
        return Team.from_model(await load_team_row(info, self.team_id))

    @strawberry.field(permission_classes=[CanSeePay], description="Pay statements' totals of the team's people.")
    async def payouts_accrued(self) -> Decimal | None:
        return numbers.money(await self.contribution.payouts_accrued(self.team_id))

    @strawberry.field(permission_classes=[CanSeePay],
                      description="Selling hours on leads later handed back, × each seller's cost per selling hour.")
    async def wasted_selling_cost(self) -> Decimal | None:
        return numbers.money(await self.contribution.wasted_selling_cost(self.team_id))

    @strawberry.field(description="The objectives behind goalProgress.")
    async def objectives(self, info: Info) -> list[Objective]:
        ids = await self.contribution.objective_ids(self.team_id)
        rows = await info.context.loaders(goal_queries.objectives_by_ids).load_many(ids)
        return [Objective.from_model(o) for o in rows if o]

    # --- traces: the rows behind each figure ---

    @strawberry.field(description="The leads behind mqlsDelivered, by id.")
    async def mql_leads(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Lead]:
        return await _lead_page(info, (await self._funnel_rows())[0], first, after)

    @strawberry.field(description="The leads behind sals, by id.")
    async def sal_leads(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Lead]:
        return await _lead_page(info, (await self._funnel_rows())[1], first, after)

    @strawberry.field(description="The leads behind sqls, by id.")
    async def sql_leads(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Lead]:
        return await _lead_page(info, (await self._funnel_rows())[2], first, after)

    @strawberry.field(description="The deals behind sourcedPipeline: created in the period, first touched by the team.")
    async def sourced_deals(self, first: int = 20, after: str | None = None) -> Connection[Opportunity]:
        return _page((await self._pipeline_rows()).sourced, first, after, lambda d: Opportunity.from_model(d.opportunity), _deal_key)

    @strawberry.field(description="The deals behind influencedPipeline: created in the period, touched by the team at "
                                  "or before the opportunity was created.")
    async def influenced_deals(self, first: int = 20, after: str | None = None) -> Connection[Opportunity]:
        return _page((await self._pipeline_rows()).influenced, first, after, lambda d: Opportunity.from_model(d.opportunity),
                     _deal_key)

    @strawberry.field(description="The credit lines behind attributedBookings: per deal won in the period and touch of "
                                  "the team, under the model of record; by deal, then journey.")
    async def booking_credits(self, first: int = 20, after: str | None = None) -> Connection[BookingCredit]:
        return _page(await self.contribution.booking_credits(self.team_id), first, after, BookingCredit.of)

    @strawberry.field(description="The team's side's per-lead SLA commitments behind slaCompliance (those due or met), "
                                  "by lead, then kind.")
    async def sla_items(self, first: int = 20, after: str | None = None) -> Connection[SlaItem]:
        return _page((await self.contribution.sla()).get(self.team_id, []), first, after, SlaItem.of, queries.sla_item_key)

    @strawberry.field(permission_classes=[CanSeePay],
                      description="The statement lines and adjustments of the team's people behind payoutsAccrued, "
                                  "by person. Private, like payoutsAccrued.")
    async def payout_lines(self, first: int = 20, after: str | None = None) -> Connection[PayoutLine] | None:
        return _page((await self.contribution.payouts()).get(self.team_id, []), first, after, PayoutLine.of)

    @strawberry.field(permission_classes=[CanSeePay],
                      description="The touches behind wastedSellingCost, by id. Private, like wastedSellingCost.")
    async def wasted_selling_touchpoints(self, first: int = 20, after: str | None = None
                                         ) -> Connection[WastedSellingTouchpoint] | None:
        return _page((await self.contribution.wasted()).get(self.team_id, []), first, after, WastedSellingTouchpoint.of, lambda w: w.touch.touchpoint_id)

    @strawberry.field(description="The same team's figures in the previous period, for the change.")
    async def previous_period(self, info: Info) -> "TeamContribution | None":
        try:
            previous = previous_key(self.period_key)
        except DomainError as e:
            raise client_error(e) from None
        c = await info.context.loaders(contribution_by_period).load((previous, None))
        return TeamContribution.of(c, self.team_id) if self.team_id in c.team_ids else None


@strawberry.type(description="The company's totals: each deal counted once, each with the rows behind it.")
class CompanyContribution:
    period: Period
    mqls_delivered: int = strawberry.field(description="Leads that became MQL in the period (mqlLeads).")
    sals: int = strawberry.field(description="Leads accepted (SAL) in the period (salLeads).")
    sqls: int = strawberry.field(description="Leads that became SQL in the period (sqlLeads).")
    pipeline: Decimal = strawberry.field(description="Amounts of the deals created in the period (pipelineDeals).")
    bookings: Decimal = strawberry.field(description="Amounts of the deals won in the period (bookedDeals).")
    figures: strawberry.Private[queries.CompanyFigures]

    @classmethod
    def of(cls, period, c: queries.CompanyFigures) -> "CompanyContribution":
        return cls(period=Period.from_view(period), mqls_delivered=c.mqls_delivered, sals=c.sals, sqls=c.sqls,
                   pipeline=numbers.money(c.pipeline), bookings=numbers.money(c.bookings), figures=c)

    @strawberry.field(description="The leads behind mqlsDelivered, by id.")
    async def mql_leads(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Lead]:
        return await _lead_page(info, self.figures.mql_lead_ids, first, after)

    @strawberry.field(description="The leads behind sals, by id.")
    async def sal_leads(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Lead]:
        return await _lead_page(info, self.figures.sal_lead_ids, first, after)

    @strawberry.field(description="The leads behind sqls, by id.")
    async def sql_leads(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Lead]:
        return await _lead_page(info, self.figures.sql_lead_ids, first, after)

    @strawberry.field(description="The deals behind pipeline: created in the period, by id.")
    def pipeline_deals(self, first: int = 20, after: str | None = None) -> Connection[Opportunity]:
        return _page(self.figures.pipeline_deals, first, after, lambda d: Opportunity.from_model(d.opportunity),
                     _deal_key)

    @strawberry.field(description="The deals behind bookings: won in the period, by id.")
    def booked_deals(self, first: int = 20, after: str | None = None) -> Connection[Opportunity]:
        return _page(self.figures.booked_deals, first, after, lambda d: Opportunity.from_model(d.opportunity),
                     _deal_key)
