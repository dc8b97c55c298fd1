"""Lead definitions as scoring profiles, with the span of time each was in force."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.leads import rules
from domain.leads.models import DefinitionStatus, LeadDefinition


def profile_of(d: LeadDefinition) -> rules.Profile:
    return rules.Profile(
        industries=frozenset(d.industries or []), employees_min=d.employees_min, employees_max=d.employees_max,
        regions=frozenset(d.regions or []), titles=tuple(d.titles or []),
        fit_points={k: Decimal(str(v)) for k, v in (d.fit_points or {}).items()},
        behaviour_points={k: Decimal(str(v)) for k, v in (d.behaviour_points or {}).items()},
        half_life_days=d.half_life_days, fit_threshold=d.fit_threshold,
        engagement_threshold=d.engagement_threshold)


async def definitions_in_force() -> list[tuple[datetime, datetime | None, rules.Profile]]:
    """(activated at, superseded at or None, profile) of every definition that was ever active, oldest first."""
    rows = await LeadDefinition.filter(status__in=[DefinitionStatus.ACTIVE, DefinitionStatus.SUPERSEDED],
                                       activated_at__not_isnull=True).order_by("activated_at", "id")
    spans = []
    for i, d in enumerate(rows):
        until = rows[i + 1].activated_at if i + 1 < len(rows) else None
        spans.append((d.activated_at, until, profile_of(d)))
    return spans
