"""The lead figures key results can follow, registered in the goals' metric registry.
Each counts the leads whose first MQL fell in the period and whose first touch was by one of the teams."""
from __future__ import annotations

from decimal import Decimal

from domain import rawsql
from domain.goals import rules as goal_rules
from domain.goals.metrics import MetricName, as_of_window, register, register_series, shared
from domain.goals.rules import Unit
from domain import config
from domain.leads import rules, sla, sla_store
from domain.leads.queries import agreement_terms, agreements, sla_report
from domain.org.service import PeriodView


def ratio(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


async def _mql_counts(team_ids, period, as_of) -> tuple[int, int, int, int]:
    """(MQLs, accepted, decided, reached SQL) as of `as_of` of the leads whose first MQL fell in the period at or
    before it, first touched by the teams (a decision or an SQL dated after `as_of` has not happened yet): one
    statement from the index by first-touch team and MQL time (once for the metrics of an evaluation that ask the
    same)."""
    teams = rawsql.int_list(sorted(set(team_ids)))
    window = as_of_window(period, as_of)

    async def count():
        (found,) = await rawsql.rows(f"""
            SELECT COUNT(*), SUM(CASE WHEN decision = :sal AND decision_at <= :as_of THEN 1 ELSE 0 END),
                   SUM(CASE WHEN decision IS NOT NULL AND decision_at <= :as_of THEN 1 ELSE 0 END),
                   SUM(CASE WHEN sql_at <= :as_of THEN 1 ELSE 0 END)
            FROM lead_fact WHERE first_touch_team_id IN ({teams}) AND mql_at >= :start AND mql_at < :end""",
                                     sal=rules.Stage.SAL.value, start=window.start, end=window.end, as_of=as_of)
        return tuple(int(v or 0) for v in found)
    return await shared(("mql_counts", teams, period.start, period.end, as_of), count)


@register(MetricName.MQL_COUNT, Unit.COUNT, "Leads that became MQL in the period, first touched by the teams")
async def mql_count(team_ids, period, as_of) -> Decimal:
    return Decimal((await _mql_counts(team_ids, period, as_of))[0])


@register(MetricName.MQL_TO_SQL_RATE, Unit.PERCENT, "Of those MQLs, the fraction that reached SQL")
async def mql_to_sql_rate(team_ids, period, as_of) -> Decimal:
    mqls, _, _, sqls = await _mql_counts(team_ids, period, as_of)
    return ratio(sqls, mqls)


@register(MetricName.ACCEPTANCE_RATE, Unit.PERCENT, "SAL ÷ decided, over the period's MQLs first touched by the teams")
async def acceptance_rate(team_ids, period, as_of) -> Decimal:
    _, accepted, decided, _ = await _mql_counts(team_ids, period, as_of)
    return ratio(accepted, decided)


async def _mql_count_series(team_ids, period, instants) -> list[tuple[int, int, int, int]]:
    """_mql_counts as of each instant, from one statement: the period's MQLs of the teams counted by the UTC hour (or
    minute) each count starts to hold (an SQL or a decision counts from the later of it and the MQL), then
    added up to each instant."""
    teams = rawsql.int_list(sorted(set(team_ids)))
    size = goal_rules.bucket_size(instants)
    b = lambda column: rawsql.time_bucket(column, size)
    later = lambda column: f"CASE WHEN {column} > mql_at THEN {column} ELSE mql_at END"
    where = f"first_touch_team_id IN ({teams}) AND mql_at >= :start AND mql_at < :end"

    async def read():
        return await rawsql.rows(f"""
            SELECT 'M', {b("mql_at")}, COUNT(*) FROM lead_fact WHERE {where} GROUP BY {b("mql_at")}
            UNION ALL
            SELECT CASE WHEN decision = :sal THEN 'A' ELSE 'D' END, {b(later("decision_at"))}, COUNT(*)
            FROM lead_fact WHERE {where} AND decision IS NOT NULL AND decision_at IS NOT NULL
            GROUP BY CASE WHEN decision = :sal THEN 'A' ELSE 'D' END, {b(later("decision_at"))}
            UNION ALL
            SELECT 'S', {b(later("sql_at"))}, COUNT(*) FROM lead_fact WHERE {where} AND sql_at IS NOT NULL
            GROUP BY {b(later("sql_at"))}""", sal=rules.Stage.SAL.value, start=period.start, end=period.end)
    found = await shared(("mql_buckets", teams, period.start, period.end, size), read)
    by_kind = {kind: [] for kind in "MADS"}
    for kind, bucket, n in found:
        by_kind[kind].append((rawsql.bucket_start(bucket), int(n)))
    mqls, accepted, declined, sqls = (goal_rules.bucketed_at(by_kind[k], instants) for k in "MADS")
    return [(m, a, a + d, s) for m, a, d, s in zip(mqls, accepted, declined, sqls)]


@register_series(MetricName.MQL_COUNT)
async def mql_count_series(team_ids, period, instants) -> list[Decimal]:
    return [Decimal(m) for m, _, _, _ in await _mql_count_series(team_ids, period, instants)]


@register_series(MetricName.MQL_TO_SQL_RATE)
async def mql_to_sql_rate_series(team_ids, period, instants) -> list[Decimal]:
    return [ratio(s, m) for m, _, _, s in await _mql_count_series(team_ids, period, instants)]


@register_series(MetricName.ACCEPTANCE_RATE)
async def acceptance_rate_series(team_ids, period, instants) -> list[Decimal]:
    return [ratio(a, d) for _, a, d, _ in await _mql_count_series(team_ids, period, instants)]


async def _sla_reports(team_ids, period, as_of) -> list:
    """The reports as of `as_of` of every SLA of the period that one of the teams is part of."""
    view = PeriodView(period.key, period.start, period.end, period.status)
    teams = set(team_ids)
    return [await sla_report(a, view, as_of)
            for a in await agreements(period.id) if a.marketing_team_id in teams or a.sales_team_id in teams]


@register(MetricName.SLA_FOLLOW_UP_RATE, Unit.PERCENT,
          "Hand-overs first followed up within the SLA's hours, over the SLAs the teams are part of")
async def sla_follow_up_rate(team_ids, period, as_of) -> Decimal:
    met = counted = 0
    for report in await _sla_reports(team_ids, period, as_of):
        follow_up = await report.follow_up()
        met, counted = met + follow_up.met, counted + follow_up.counted
    return ratio(met, counted)


async def _follow_up_series(team_ids, period, instants) -> list[tuple[int, int, list[int]]]:
    """(met, counted, response micros) of the FOLLOW_UP items of every SLA of the period the teams are part of, as
    of each instant: one read of each agreement's stored rows (sla.follow_up_as_of), or the report as of each
    instant for an agreement whose rows were worked out in another time zone."""
    teams = set(team_ids)
    moments = [sla_store.micros(m) for m in instants]
    totals = [(0, 0, []) for _ in instants]
    for a in await agreements(period.id):
        if a.marketing_team_id not in teams and a.sales_team_id not in teams:
            continue
        terms = agreement_terms(a, config.current().timezone)
        rows = await sla_store.StoredSla(a, terms, instants[-1]).follow_up_rows() if instants else []
        if rows is None:
            view = PeriodView(period.key, period.start, period.end, period.status)
            found = []
            for moment in instants:
                report = await sla_report(a, view, moment)
                follow_up = await report.follow_up()
                found.append((follow_up.met, follow_up.counted, await report.response_micros()))
        else:
            found = sla.follow_up_as_of(rows, moments)
        totals = [(m + fm, c + fc, r + fr) for (m, c, r), (fm, fc, fr) in zip(totals, found)]
    return totals


@register_series(MetricName.SLA_FOLLOW_UP_RATE)
async def sla_follow_up_rate_series(team_ids, period, instants) -> list[Decimal]:
    return [ratio(met, counted) for met, counted, _ in await _follow_up_series(team_ids, period, instants)]


@register(MetricName.MEDIAN_RESPONSE_HOURS, Unit.HOURS,
          "Median hours from hand-over to first sales touch, over the SLAs the teams are part of")
async def median_response_hours(team_ids, period, as_of) -> Decimal:
    hours = [sla.hours_of(m) for report in await _sla_reports(team_ids, period, as_of)
             for m in await report.response_micros()]
    return sla.median(hours) or Decimal(0)


@register_series(MetricName.MEDIAN_RESPONSE_HOURS)
async def median_response_hours_series(team_ids, period, instants) -> list[Decimal]:
    return [sla.median_of_sorted(sorted(responses)) or Decimal(0)
            for _, _, responses in await _follow_up_series(team_ids, period, instants)]
