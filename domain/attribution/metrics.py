"""Deal figures key results can follow, registered in the goals' metric registry."""
from __future__ import annotations

from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.functions import Sum

from domain.attribution import queries
from domain.attribution.models import Opportunity, OpportunityStatus
from domain.goals.metrics import MetricName, register
from domain.goals.rules import Unit
from domain.money import from_cents
from domain.org.models import Person
from domain.org.service import PeriodView


def _view(period) -> PeriodView:
    return PeriodView(period.key, period.start, period.end, period.status)


@register(MetricName.BOOKINGS, Unit.CURRENCY, "Amounts of deals won in the period, owned by the teams' people")
async def bookings(team_ids, period) -> Decimal:
    return await won_amount(team_ids, period.start, period.end)


async def won_amount(team_ids, start, end) -> Decimal:
    """Amounts of the deals won in [start, end) owned by the teams' people (BOOKINGS of a period; a forecast's
    "already booked" with `end` at its as-of instant)."""
    return await _summed(Opportunity.filter(status=OpportunityStatus.WON, closed_at__gte=start, closed_at__lt=end,
                                            owner_id__in=_owners(team_ids)))


def _owners(team_ids):
    """The ids of the teams' people, as a subquery."""
    return Subquery(Person.filter(team_id__in=list(team_ids)).values("id"))


async def _summed(deals) -> Decimal:
    """The deals' amounts summed in SQL (a won quarter at the reference scale is about 7,000 deals)."""
    total = await deals.annotate(total=Sum("amount_cents")).first().values_list("total", flat=True)
    return from_cents(int(total or 0))


@register(MetricName.ATTRIBUTED_BOOKINGS, Unit.CURRENCY,
          "Bookings credited to the teams under the period's model of record")
async def attributed_bookings(team_ids, period) -> Decimal:
    return await attributed_won_amount(team_ids, period, period.end)


async def attributed_won_amount(team_ids, period, end) -> Decimal:
    """Bookings of the deals won in [period start, end) credited to the teams under the period's model of record
    (ATTRIBUTED_BOOKINGS of a period; a forecast's "already booked" with `end` at its as-of instant)."""
    choice = await queries.model_of_record(period.key)
    view = PeriodView(period.key, period.start, min(end, period.end), period.status)
    totals = await queries.period_credit_totals(view, choice, queries.GroupBy.TEAM, pipeline=False)
    return from_cents(sum(totals[str(t)][1] for t in team_ids if str(t) in totals))


@register(MetricName.PIPELINE_CREATED, Unit.CURRENCY, "Amounts of deals created in the period, owned by the teams' people")
async def pipeline_created(team_ids, period) -> Decimal:
    return await _summed(Opportunity.filter(created_at__gte=period.start, created_at__lt=period.end,
                                            owner_id__in=_owners(team_ids)))


@register(MetricName.SOURCED_PIPELINE, Unit.CURRENCY, "Pipeline created in the period whose first touch was the teams'")
async def sourced_pipeline(team_ids, period) -> Decimal:
    rows = await queries.pipeline_by_team(_view(period), bookings=False)
    return from_cents(sum(rows[t].sourced_pipeline_cents for t in team_ids if t in rows))
