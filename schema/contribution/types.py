"""The common view in GraphQL: each team's contribution to the period, the same figures as the CSV."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.contribution import queries, rules
from domain.goals import queries as goal_queries
from domain.org import queries as org_queries
from domain.org.rules import parse_period_key
from domain.org.service import get_period
from schema.core.context import Info
from schema.core.permissions import CanSeePay
from schema.goals.types import Objective
from schema.org.types import Period, Team


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


async def _figures_by_period(keys):
    return [await queries.team_contribution(await get_period(key)) for key in keys]


@strawberry.type(description="What a team contributed to the period's shared goals and funnel. Pay and cost totals "
                             "follow the privacy rule: the team's leaders, FINANCE and ADMIN.")
class TeamContribution:
    period: Period
    goal_progress: float | None = strawberry.field(description="Σ(share × progress) / Σ share of co-owned objectives.")
    mqls_delivered: int = strawberry.field(description="Leads that became MQL in the period, first touched by the team.")
    sals: int
    sqls: int
    sourced_pipeline: Decimal
    influenced_pipeline: Decimal
    attributed_bookings: Decimal = strawberry.field(description="Bookings credited under the model of record.")
    sla_compliance: float | None
    team_id: strawberry.Private[int]
    figures: strawberry.Private[queries.TeamFigures]
    period_key: strawberry.Private[str]

    @classmethod
    def of(cls, period, f: queries.TeamFigures) -> "TeamContribution":
        return cls(period=Period.from_view(period), goal_progress=_ratio(f.goal_progress),
                   mqls_delivered=f.mqls_delivered, sals=f.sals, sqls=f.sqls, sourced_pipeline=f.sourced_pipeline,
                   influenced_pipeline=f.influenced_pipeline, attributed_bookings=f.attributed_bookings,
                   sla_compliance=_ratio(f.sla_compliance), team_id=f.team_id, figures=f, period_key=period.key)

    def can_see_pay(self, principal) -> bool:
        return rules.can_see_team_pay(principal, self.team_id)

    @strawberry.field
    async def team(self, info: Info) -> Team:
        return Team.from_model(await info.context.loaders(org_queries.teams_by_ids).load(self.team_id))

    @strawberry.field(permission_classes=[CanSeePay], description="Pay statements' totals of the team's people.")
    def payouts_accrued(self) -> Decimal | None:
        return self.figures.payouts_accrued

    @strawberry.field(permission_classes=[CanSeePay],
                      description="Selling hours on leads later handed back, × each seller's cost per selling hour.")
    def wasted_selling_cost(self) -> Decimal | None:
        return self.figures.wasted_selling_cost

    @strawberry.field(description="The objectives behind goalProgress.")
    async def objectives(self, info: Info) -> list[Objective]:
        rows = await info.context.loaders(goal_queries.objectives_by_ids).load_many(self.figures.objective_ids)
        return [Objective.from_model(o) for o in rows if o]

    @strawberry.field(description="The same team's figures in the previous period, for the change.")
    async def previous_period(self, info: Info) -> "TeamContribution | None":
        previous = parse_period_key(self.period_key).previous().key
        by_team = await info.context.loaders(_figures_by_period).load(previous)
        f = by_team.get(self.team_id)
        return TeamContribution.of(await get_period(previous), f) if f else None


@strawberry.type(description="The company's totals: each deal counted once.")
class CompanyContribution:
    period: Period
    mqls_delivered: int
    sals: int
    sqls: int
    pipeline: Decimal
    bookings: Decimal
