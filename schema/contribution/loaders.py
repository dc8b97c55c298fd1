"""The common view's DataLoader batch functions that are not a domain read as they stand (the rows of its traces are:
domain/leads/queries.leads_by_ids, domain/goals/queries.objectives_by_ids, ...)."""
from __future__ import annotations

from domain.contribution import queries
from domain.org.service import get_period


async def contribution_by_period(keys) -> list[queries.PeriodContribution]:
    """(period key, as-of day or None) -> the period's contribution (as of that day)."""
    return [await queries.period_contribution(await get_period(key), as_of) for key, as_of in keys]
