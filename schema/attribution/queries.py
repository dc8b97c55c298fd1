"""Root query fields of attribution."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.attribution import queries
from domain.attribution.models import OpportunityStatus as StatusRow
from domain.errors import DomainError
from domain.money import from_cents
from domain.org import service as org_service
from schema.attribution.types import (
    AttributionModel, CreditLine, CustomWeightsInput, GroupBy, ModelOfRecord, Opportunity, OpportunityStatus,
)
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.pagination import Connection, connection, page_request
from schema.org.types import Team, load_team_row


async def _choice(period_key: str, model, half_life_days, weights, markov_order: int = 1) -> queries.ModelChoice:
    if model is None:
        return await queries.model_of_record(period_key)
    return queries.model_choice(model, half_life_days, weights.to_rules() if weights else None, markov_order)


@strawberry.type(description="A channel's removal effect in a period's Markov chain (the drivers of conversion).")
class AttributionDriver:
    channel: str
    removal_effect: float = strawberry.field(description="1 - P(conversion without the channel) / P(conversion).")
    share: float = strawberry.field(description="Its share of the period's conversions (the shares sum to 1).")
    value_share: float = strawberry.field(description="Its share of the period's conversion value.")
    journeys: int = strawberry.field(description="How many training journeys it appears in.")


@strawberry.type(description="One model's credit lines, for side-by-side comparison.")
class AttributionColumn:
    model: AttributionModel
    lines: list[CreditLine]


@strawberry.type(description="A team's sourced pipeline (first touch) and influenced pipeline (any touch up to creation).")
class TeamPipeline:
    sourced_pipeline: Decimal
    sourced_bookings: Decimal
    influenced_pipeline: Decimal
    influenced_bookings: Decimal
    team_id: strawberry.Private[int]

    @strawberry.field
    async def team(self, info: Info) -> Team:
        return Team.from_model(await load_team_row(info, self.team_id))


@strawberry.type
class AttributionQuery:
    @strawberry.field(description="Credit for the period's pipeline (created) and bookings (won), by group, under a "
                                  "model (default: the period's model of record).")
    async def attribution(self, info: Info, period: str, model: AttributionModel | None = None,
                          group_by: GroupBy = queries.GroupBy.TEAM, half_life_days: Decimal | None = None,
                          weights: CustomWeightsInput | None = None, markov_order: int = 1) -> list[CreditLine]:
        try:
            view = await org_service.get_period(period)
            choice = await _choice(view.key, model, half_life_days, weights, markov_order)
            result = await queries.attribution(view, choice, group_by)
        except DomainError as e:
            raise client_error(e) from None
        return [CreditLine.of(line, result) for line in result.lines]

    @strawberry.field(description="Several models side by side for the same period: one column per distinct model, "
                                  "in the order first named (a model named twice is computed once).")
    async def attribution_comparison(self, info: Info, period: str, models: list[AttributionModel],
                                     group_by: GroupBy = queries.GroupBy.TEAM,
                                     markov_order: int = 1) -> list[AttributionColumn]:
        try:
            view = await org_service.get_period(period)
            columns = await queries.attribution_comparison(view, models, group_by, markov_order)
        except DomainError as e:
            raise client_error(e) from None
        return [AttributionColumn(model=model, lines=[CreditLine.of(line, result) for line in result.lines])
                for model, result in columns]

    @strawberry.field(description="The period's Markov chain (`order` 1-3): each channel's removal effect and its "
                                  "shares of the conversions and of their value, by channel name.")
    async def attribution_drivers(self, info: Info, period: str, order: int = 1) -> list[AttributionDriver]:
        try:
            view = await org_service.get_period(period)
            chain = await queries.drivers(view, order)
        except DomainError as e:
            raise client_error(e) from None
        return [AttributionDriver(channel=d.channel, removal_effect=d.removal_effect, share=d.share,
                                  value_share=d.value_share, journeys=d.journeys) for d in chain.drivers]

    @strawberry.field(description="Per team: sourced and influenced pipeline and bookings in the period.")
    async def pipeline_by_team(self, info: Info, period: str) -> list[TeamPipeline]:
        try:
            view = await org_service.get_period(period)
        except DomainError as e:
            raise client_error(e) from None
        rows = await queries.pipeline_by_team(view)
        return [TeamPipeline(sourced_pipeline=from_cents(r.sourced_pipeline_cents),
                             sourced_bookings=from_cents(r.sourced_bookings_cents),
                             influenced_pipeline=from_cents(r.influenced_pipeline_cents),
                             influenced_bookings=from_cents(r.influenced_bookings_cents), team_id=r.team_id)
                for r in sorted(rows.values(), key=lambda r: r.team_id)]

    @strawberry.field(description="Deals won in the period that marketing and sales (or SDR) both touched before "
                                  "the opportunity was created.")
    async def shared_wins(self, info: Info, period: str) -> list[Opportunity]:
        try:
            view = await org_service.get_period(period)
        except DomainError as e:
            raise client_error(e) from None
        return [Opportunity.from_model(o) for o in await queries.shared_wins(view)]

    @strawberry.field(description="Deals, created in a period if one is given.")
    async def opportunities(self, info: Info, first: int = 20, after: str | None = None, period: str | None = None,
                            status: OpportunityStatus | None = None) -> Connection[Opportunity]:
        page = page_request(first, after)
        try:
            view = await org_service.get_period(period) if period else None
        except DomainError as e:
            raise client_error(e) from None
        paged = await queries.opportunities_page(page, view, StatusRow(status.value) if status else None)
        return connection(paged.rows, paged.has_next, page, Opportunity.from_model, count=paged.count)

    @strawberry.field(description="The period's model of record (W_SHAPED until a proposal is approved) and proposals.")
    async def attribution_models_of_record(self, info: Info, period: str) -> list[ModelOfRecord]:
        try:
            view = await org_service.get_period(period)
        except DomainError as e:
            raise client_error(e) from None
        return [ModelOfRecord.from_model(r) for r in await queries.proposals(view.key)]
