"""The leads' DataLoader batch functions that are not a domain read as they stand (those are in
domain/leads/queries.py: leads_by_ids, events_by_lead, facts_by_lead, ...)."""
from __future__ import annotations

from domain.leads import queries


async def active_definition(keys):
    """Any key -> the active lead definition (one read a request, whatever the leads scored)."""
    definition = await queries.active_definition()
    return [definition for _ in keys]
