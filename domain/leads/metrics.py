"""The lead figures key results can follow, registered in the goals' metric registry.
Each counts the leads whose first MQL fell in the period and whose first touch was by one of the teams."""
from __future__ import annotations

from decimal import Decimal

from domain import rawsql
from domain.goals.metrics import MetricName, register, shared
from domain.goals.rules import Unit
from domain.leads import rules, sla
from domain.leads.queries import agreements, sla_report
from domain.org.service import PeriodView


def ratio(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


async def _mql_counts(team_ids, period) -> tuple[int, int, int, int]:
    """(MQLs, accepted, decided, reached SQL) of the leads whose first MQL fell in the period, first touched by the
    teams: one statement, read from the index by first-touch team and MQL time alone (once for the metrics of an
    evaluation that ask the same)."""
    teams = rawsql.int_list(sorted(set(team_ids)))

    async def count():
        (found,) = await rawsql.rows(f"""
            SELECT COUNT(*), SUM(CASE WHEN decision = :sal THEN 1 ELSE 0 END), COUNT(decision), COUNT(sql_at)
            FROM lead_fact WHERE first_touch_team_id IN ({teams}) AND mql_at >= :start AND mql_at < :end""",
                                     sal=rules.Stage.SAL.value, start=period.start, end=period.end)
        return tuple(int(v or 0) for v in found)
    return await shared(("mql_counts", teams, period.start, period.end), count)


@register(MetricName.MQL_COUNT, Unit.COUNT, "Leads that became MQL in the period, first touched by the teams")
async def mql_count(team_ids, period) -> Decimal:
    return Decimal((await _mql_counts(team_ids, period))[0])


@register(MetricName.MQL_TO_SQL_RATE, Unit.PERCENT, "Of those MQLs, the fraction that reached SQL")
async def mql_to_sql_rate(team_ids, period) -> Decimal:
    mqls, _, _, sqls = await _mql_counts(team_ids, period)
    return ratio(sqls, mqls)


@register(MetricName.ACCEPTANCE_RATE, Unit.PERCENT, "SAL ÷ decided, over the period's MQLs first touched by the teams")
async def acceptance_rate(team_ids, period) -> Decimal:
    _, accepted, decided, _ = await _mql_counts(team_ids, period)
    return ratio(accepted, decided)


async def _sla_reports(team_ids, period) -> list:
    """The reports of every SLA of the period that one of the teams is part of."""
    view = PeriodView(period.key, period.start, period.end, period.status)
    teams = set(team_ids)
    return [await sla_report(a, view)
            for a in await agreements(period.id) if a.marketing_team_id in teams or a.sales_team_id in teams]


@register(MetricName.SLA_FOLLOW_UP_RATE, Unit.PERCENT,
          "Hand-overs first followed up within the SLA's hours, over the SLAs the teams are part of")
async def sla_follow_up_rate(team_ids, period) -> Decimal:
    met = counted = 0
    for report in await _sla_reports(team_ids, period):
        follow_up = await report.follow_up()
        met, counted = met + follow_up.met, counted + follow_up.counted
    return ratio(met, counted)


@register(MetricName.MEDIAN_RESPONSE_HOURS, Unit.HOURS,
          "Median hours from hand-over to first sales touch, over the SLAs the teams are part of")
async def median_response_hours(team_ids, period) -> Decimal:
    hours = [sla.hours_of(m) for report in await _sla_reports(team_ids, period) for m in await report.response_micros()]
    return sla.median(hours) or Decimal(0)
