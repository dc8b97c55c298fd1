"""Root fields of the common view."""
from __future__ import annotations

import strawberry

from domain.contribution import queries
from domain.errors import DomainError
from domain.goals import history
from domain.org.service import get_period
from schema.contribution.loaders import contribution_by_period
from schema.contribution.types import CompanyContribution, TeamContribution
from schema.core.context import Info
from schema.core.errors import client_error
from schema.goals.types import AsOfDay


@strawberry.type
class ContributionQuery:
    @strawberry.field(description="Per team: goal progress, funnel, pipeline, attributed bookings, SLA, pay, waste.")
    async def team_contribution(self, info: Info, period: str, as_of: AsOfDay = None) -> list[TeamContribution]:
        try:
            view = await get_period(period)
            day = history.as_of_day(as_of) if as_of is not None else None
            if day is not None:  # refused here, before any figure is read
                history.as_of(view, day)
        except DomainError as e:
            raise client_error(e) from None
        c = await info.context.loaders(contribution_by_period).load((view.key, day))
        return [TeamContribution.of(c, team_id) for team_id in c.team_ids]

    @strawberry.field(description="The company's totals for the period, each deal counted once.")
    async def company_contribution(self, info: Info, period: str) -> CompanyContribution:
        try:
            view = await get_period(period)
        except DomainError as e:
            raise client_error(e) from None
        return CompanyContribution.of(view, await queries.company_totals(view))
