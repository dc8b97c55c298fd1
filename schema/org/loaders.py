"""The organisation's DataLoader batch functions that are not a domain read as they stand (those are in
domain/org/queries.py: people_by_ids, team_table, tokens_by_ids, ...)."""
from __future__ import annotations

from domain.leads.queries import wasted_selling_minutes
from domain.org.service import get_period


async def wasted_minutes_by_period(keys):
    """Period key -> the selling minutes wasted in it by person id (Person.wastedSellingCost)."""
    return [await wasted_selling_minutes(await get_period(key)) for key in keys]
