"""The reads behind live credit: deals (opportunity rows as plain values) with their source leads' journeys, read
set-based (a fixed number of statements for any number of deals, a chunk of leads a statement when there are many)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery

from domain import clock
from domain.attribution import rules
from domain.attribution.credit import Deal
from domain.attribution.models import Opportunity, OpportunityStatus, Touchpoint
from domain.leads.models import LeadFact
from domain.leads.queries import raw_values_list
from domain.org.service import PeriodView
from domain.rawsql import as_utc
from domain.turns import Turns

JOURNEY_READ_CHUNK = 250  # leads whose touches one statement reads, when a read covers more


@dataclass(frozen=True, slots=True)
class DealOpportunity:
    """An Opportunity row as plain values (the attributes of the model a deal needs; times aware UTC)."""
    id: int
    external_id: str
    lead_id: int | None
    name: str
    amount_cents: int
    created_at: datetime
    status: OpportunityStatus
    closed_at: datetime | None
    owner_id: int | None


_OPPORTUNITY_FIELDS = ("id", "external_id", "lead_id", "name", "amount_cents", "created_at", "status", "closed_at",
                       "owner_id")


async def read_opportunities(query) -> list[DealOpportunity]:
    status = OpportunityStatus
    return [DealOpportunity(i, external_id, lead_id, name, amount, as_utc(created_at), status(st), as_utc(closed_at),
                            owner_id)
            for i, external_id, lead_id, name, amount, created_at, st, closed_at, owner_id
            in await raw_values_list(query.values_list(*_OPPORTUNITY_FIELDS))]


def _in_period(period: PeriodView) -> Q:
    """Created in the period, or won in it."""
    return Q(created_at__gte=period.start, created_at__lt=period.end) | Q(
        status=OpportunityStatus.WON, closed_at__gte=period.start, closed_at__lt=period.end)


async def deals(period: PeriodView) -> list[Deal]:
    """Deals created in the period (pipeline) or won in it (bookings), each with its source lead's journey."""
    created = Opportunity.filter(created_at__gte=period.start, created_at__lt=period.end)
    won = Opportunity.filter(status=OpportunityStatus.WON, closed_at__gte=period.start, closed_at__lt=period.end)
    opportunities = {o.id: o for o in await read_opportunities(created)}
    opportunities.update({o.id: o for o in await read_opportunities(won)})
    leads = Subquery(Opportunity.filter(_in_period(period), lead_id__not_isnull=True).values("lead_id"))
    return await with_journeys(list(opportunities.values()), period, leads)


async def with_journeys(opportunities: Sequence[Opportunity | DealOpportunity], period: PeriodView | None,
                         lead_filter=None, as_of: datetime | None = None) -> list[Deal]:
    """Each opportunity with its lead's journey as of `as_of` (the clock's now by default). `lead_filter` (a
    subquery of lead ids covering the opportunities' leads) stands in for the list of their ids in the reads."""
    lead_ids = {o.lead_id for o in opportunities if o.lead_id is not None}
    turns = Turns()
    touches: dict[int, list[rules.Touch]] = defaultdict(list)
    mql_at: dict[int, datetime | None] = {}
    # Many leads are read a chunk at a time: each statement holds SQLite's one connection only that long, so other
    # requests' statements run in between (one statement over a large period's touches held it for a second).
    if len(lead_ids) > JOURNEY_READ_CHUNK:
        ordered = sorted(lead_ids)
        chunks = [ordered[k:k + JOURNEY_READ_CHUNK] for k in range(0, len(ordered), JOURNEY_READ_CHUNK)]
    else:
        chunks = [lead_ids if lead_filter is None else lead_filter] if lead_ids else []
    touch = rules.Touch  # rules.journey puts each lead's touches in (time, id) order: read them in index order
    for leads in chunks:
        for i, (touch_id, lead_id, at, team_id, person_id, channel, campaign) in enumerate(await raw_values_list(
                Touchpoint.filter(lead_id__in=leads).order_by("lead_id", "at", "id").values_list(
                    "id", "lead_id", "at", "team_id", "person_id", "channel", "campaign"))):
            touches[lead_id].append(touch(touch_id, as_utc(at), team_id, person_id, channel, campaign))
            if turns.due(i):
                await turns.give()
        mql_at.update({lead_id: as_utc(at) for lead_id, at in await raw_values_list(
            LeadFact.filter(lead_id__in=leads).values_list("lead_id", "mql_at"))})
    now = clock.now() if as_of is None else as_of
    out = []
    for o in opportunities:
        closed = o.closed_at if o.status is not OpportunityStatus.OPEN else None
        j = rules.journey(touches.get(o.lead_id, []), mql_at.get(o.lead_id), o.created_at, closed, now)
        out.append(Deal(o, j,
                        in_pipeline=period is not None and period.start <= o.created_at < period.end,
                        in_bookings=period is not None and o.status is OpportunityStatus.WON
                        and o.closed_at is not None and period.start <= o.closed_at < period.end))
        if turns.due():
            await turns.give()
    return out
