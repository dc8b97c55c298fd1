"""The period's MQLs as their stored facts read them: the facts query that the SLA's stored rows, the live SLA
report, the lead metrics and the common view count from, and the person of each lead's first marketing touch.
Below both queries.py and sla_store.py, which read them (so neither imports the other back)."""
from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Subquery

from domain.attribution.models import TouchKind, Touchpoint
from domain.leads.models import LeadFact
from domain.org.service import PeriodView
from domain.rawsql import raw_values_list


def mql_facts_query(period: PeriodView, first_touch_team_ids: Sequence[int] | None = None):
    """The LeadFact queryset of queries.mql_facts, to count, aggregate or narrow in SQL."""
    qs = LeadFact.filter(mql_at__gte=period.start, mql_at__lt=period.end)
    if first_touch_team_ids is not None:
        qs = qs.filter(first_touch_team_id__in=list(first_touch_team_ids))
    return qs


async def first_marketing_person(lead_ids: Sequence[int] | Subquery) -> dict[int, int | None]:
    """The person of each lead's first MARKETING touch (the marketing side's person in the SLA), for a list of lead
    ids or a subquery selecting them."""
    wanted = lead_ids if isinstance(lead_ids, Subquery) else list(lead_ids)
    rows = await raw_values_list(Touchpoint.filter(lead_id__in=wanted, kind=TouchKind.MARKETING).order_by(
        "lead_id", "at", "id").values_list("lead_id", "person_id"))  # each lead's in (time, id) order, by index
    first: dict[int, int | None] = {}
    for lead_id, person_id in rows:
        first.setdefault(lead_id, person_id)
    return first
