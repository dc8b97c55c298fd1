"""The lead figures key results can follow, registered in the goals' metric registry.
Each counts the leads whose first MQL fell in the period and whose first touch was by one of the teams."""
from __future__ import annotations

from decimal import Decimal

from domain.goals.metrics import MetricName, register
from domain.goals.rules import Unit
from domain import clock, config
from domain.leads import rules, sla
from domain.leads.queries import agreement_terms, agreements, mql_facts_query, sla_leads
from domain.org.service import PeriodView


def ratio(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


@register(MetricName.MQL_COUNT, Unit.COUNT, "Leads that became MQL in the period, first touched by the teams")
async def mql_count(team_ids, period) -> Decimal:
    return Decimal(await mql_facts_query(period, team_ids).count())


@register(MetricName.MQL_TO_SQL_RATE, Unit.PERCENT, "Of those MQLs, the fraction that reached SQL")
async def mql_to_sql_rate(team_ids, period) -> Decimal:
    facts = mql_facts_query(period, team_ids)
    return ratio(await facts.filter(sql_at__not_isnull=True).count(), await facts.count())


def acceptance(facts) -> tuple[int, int]:
    """(accepted, decided): SAL ÷ decided, over distinct leads that became MQL in the period."""
    decided = [f for f in facts if f.decision is not None]
    return sum(1 for f in decided if f.decision == rules.Stage.SAL), len(decided)


@register(MetricName.ACCEPTANCE_RATE, Unit.PERCENT, "SAL ÷ decided, over the period's MQLs first touched by the teams")
async def acceptance_rate(team_ids, period) -> Decimal:
    facts = mql_facts_query(period, team_ids)
    return ratio(await facts.filter(decision=rules.Stage.SAL).count(),
                 await facts.filter(decision__not_isnull=True).count())


async def _sla_inputs(team_ids, period) -> list[tuple[sla.Agreement, list[sla.LeadSla]]]:
    """The terms and leads of every SLA of the period that one of the teams is part of."""
    view = PeriodView(period.key, period.start, period.end, period.status)
    teams = set(team_ids)
    return [(agreement_terms(a, config.current().timezone), await sla_leads(a, view))
            for a in await agreements(period.id) if a.marketing_team_id in teams or a.sales_team_id in teams]


@register(MetricName.SLA_FOLLOW_UP_RATE, Unit.PERCENT,
          "Hand-overs first followed up within the SLA's hours, over the SLAs the teams are part of")
async def sla_follow_up_rate(team_ids, period) -> Decimal:
    now = clock.now()
    items = [i for terms, leads in await _sla_inputs(team_ids, period) for i in sla.all_items(terms, leads, now)
             if i.kind is sla.ItemKind.FOLLOW_UP and i.counted]
    return ratio(sum(1 for i in items if i.met), len(items))


@register(MetricName.MEDIAN_RESPONSE_HOURS, Unit.HOURS,
          "Median hours from hand-over to first sales touch, over the SLAs the teams are part of")
async def median_response_hours(team_ids, period) -> Decimal:
    hours = [h for _, leads in await _sla_inputs(team_ids, period) for h in sla.response_hours(leads, clock.now())]
    return sla.median(hours) or Decimal(0)
