"""Deal figures key results can follow, registered in the goals' metric registry."""
from __future__ import annotations

from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.functions import Sum

from domain.attribution import queries
from domain.attribution.models import Opportunity, OpportunityStatus
from domain import rawsql
from domain.goals import rules as goal_rules
from domain.goals.metrics import MetricName, as_of_window, register, register_series, shared
from domain.goals.rules import Unit
from domain.money import from_cents
from domain.org.models import Person
from domain.org.service import PeriodView


def _view(period) -> PeriodView:
    return PeriodView(period.key, period.start, period.end, period.status)


@register(MetricName.BOOKINGS, Unit.CURRENCY, "Amounts of deals won in the period, owned by the teams' people")
async def bookings(team_ids, period, as_of) -> Decimal:
    period = as_of_window(period, as_of)  # won at or before as_of
    return await _summed(Opportunity.filter(status=OpportunityStatus.WON, closed_at__gte=period.start,
                                            closed_at__lt=period.end, owner_id__in=_owners(team_ids)))


def _owners(team_ids):
    """The ids of the teams' people, as a subquery."""
    return Subquery(Person.filter(team_id__in=list(team_ids)).values("id"))


async def _summed(deals) -> Decimal:
    """The deals' amounts summed in SQL (a won quarter at the reference scale is about 7,000 deals)."""
    total = await deals.annotate(total=Sum("amount_cents")).first().values_list("total", flat=True)
    return from_cents(int(total or 0))


@register(MetricName.ATTRIBUTED_BOOKINGS, Unit.CURRENCY,
          "Bookings credited to the teams under the period's model of record")
async def attributed_bookings(team_ids, period, as_of) -> Decimal:
    period = as_of_window(period, as_of)  # won at or before as_of
    choice = await queries.model_of_record(period.key)
    totals = await queries.period_credit_totals(_view(period), choice, queries.GroupBy.TEAM, pipeline=False)
    return from_cents(sum(totals[str(t)][1] for t in team_ids if str(t) in totals))


@register(MetricName.PIPELINE_CREATED, Unit.CURRENCY, "Amounts of deals created in the period, owned by the teams' people")
async def pipeline_created(team_ids, period, as_of) -> Decimal:
    period = as_of_window(period, as_of)  # created at or before as_of
    return await _summed(Opportunity.filter(created_at__gte=period.start, created_at__lt=period.end,
                                            owner_id__in=_owners(team_ids)))


@register(MetricName.SOURCED_PIPELINE, Unit.CURRENCY, "Pipeline created in the period whose first touch was the teams'")
async def sourced_pipeline(team_ids, period, as_of) -> Decimal:
    period = as_of_window(period, as_of)  # created at or before as_of
    rows = await queries.pipeline_by_team(_view(period), bookings=False)
    return from_cents(sum(rows[t].sourced_pipeline_cents for t in team_ids if t in rows))


# --- the same figures as of many instants, one grouped read each -----------------------------------------------

async def _amounts_by_bucket(team_ids, period, instants, column: str, won: bool) -> list[Decimal]:
    """Cents of the teams' people's deals dated (by `column`) in the period, summed in SQL by UTC day, hour or minute
    (rules.bucket_size) of that date, then added up to each instant."""
    size = goal_rules.bucket_size(instants)
    teams = rawsql.int_list(sorted(set(team_ids)))
    bucket = rawsql.time_bucket(f"o.{column}", size)

    async def read():
        return await rawsql.rows(f"""
            SELECT {bucket}, SUM(o.amount_cents) FROM opportunity o
            WHERE o.{column} >= :start AND o.{column} < :end {"AND o.status = :won" if won else ""}
              AND o.owner_id IN (SELECT p.id FROM person p WHERE p.team_id IN ({teams}))
            GROUP BY {bucket}""", start=period.start, end=period.end,
                                 **({"won": OpportunityStatus.WON.value} if won else {}))
    found = await shared(("deal_buckets", column, won, teams, period.start, period.end, size), read)
    sums = goal_rules.bucketed_at([(rawsql.bucket_start(b), int(c or 0)) for b, c in found], instants)
    return [from_cents(c) for c in sums]


@register_series(MetricName.BOOKINGS)
async def bookings_series(team_ids, period, instants) -> list[Decimal]:
    return await _amounts_by_bucket(team_ids, period, instants, "closed_at", won=True)


@register_series(MetricName.PIPELINE_CREATED)
async def pipeline_created_series(team_ids, period, instants) -> list[Decimal]:
    return await _amounts_by_bucket(team_ids, period, instants, "created_at", won=False)
