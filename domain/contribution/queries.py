"""teamContribution: every figure of the common view per team for a period, from the one function of each area
that computes it, so GraphQL, CSV and the tests agree."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from domain.attribution import queries as attribution
from domain.comp.queries import team_payouts_accrued
from domain.contribution import rules
from domain.goals.models import Objective, ObjectiveOwner
from domain.goals.queries import evaluate_objectives
from domain.leads import queries as lead_queries
from domain.leads.models import LeadFact
from domain.leads.rules import wasted_selling_cost
from domain.money import from_cents
from domain.org.models import Period, Person, Team
from domain.org.rules import cost_per_selling_hour
from domain.org.service import PeriodView


@dataclass
class TeamFigures:
    team_id: int
    goal_progress: Decimal | None = None
    mqls_delivered: int = 0
    sals: int = 0
    sqls: int = 0
    sourced_pipeline: Decimal = Decimal("0.00")
    influenced_pipeline: Decimal = Decimal("0.00")
    attributed_bookings: Decimal = Decimal("0.00")
    sla_compliance: Decimal | None = None
    payouts_accrued: Decimal = Decimal("0.00")
    wasted_selling_cost: Decimal = Decimal("0.00")
    objective_ids: list[int] = field(default_factory=list)


async def _goal_progress(period_id: int | None, figures: dict[int, TeamFigures]) -> None:
    if period_id is None:
        return
    owners = await ObjectiveOwner.filter(objective__period_id=period_id, objective__archived_at=None).values_list(
        "objective_id", "team_id", "share")
    evaluated = await evaluate_objectives(sorted({o for o, _, _ in owners}))
    owned = defaultdict(list)
    for objective_id, team_id, share in owners:
        if objective_id in evaluated and team_id in figures:
            owned[team_id].append((share, evaluated[objective_id].progress))
            figures[team_id].objective_ids.append(objective_id)
    for team_id, rows in owned.items():
        figures[team_id].goal_progress = rules.goal_progress(rows)


async def team_contribution(period: PeriodView) -> dict[int, TeamFigures]:
    teams = await Team.all().order_by("name").values_list("id", flat=True)
    figures = {t: TeamFigures(t) for t in teams}
    stored = await Period.get_or_none(key=period.key)
    await _goal_progress(stored.id if stored else None, figures)

    for fact in await lead_queries.mql_facts(period):
        if fact.first_touch_team_id in figures:
            figures[fact.first_touch_team_id].mqls_delivered += 1
    for team_id in await LeadFact.filter(owner_team_id__not_isnull=True, sal_at__gte=period.start,
                                         sal_at__lt=period.end).values_list("owner_team_id", flat=True):
        if team_id in figures:
            figures[team_id].sals += 1
    for team_id in await LeadFact.filter(owner_team_id__not_isnull=True, sql_at__gte=period.start,
                                         sql_at__lt=period.end).values_list("owner_team_id", flat=True):
        if team_id in figures:
            figures[team_id].sqls += 1

    deal_list = await attribution.deals(period)
    for team_id, row in attribution.sourced_and_influenced(deal_list).items():
        if team_id in figures:
            figures[team_id].sourced_pipeline = from_cents(row.sourced_pipeline_cents)
            figures[team_id].influenced_pipeline = from_cents(row.influenced_pipeline_cents)
    choice = await attribution.model_of_record(period.key)
    for key, (_, bookings) in attribution.credit_by_group(deal_list, choice, attribution.GroupBy.TEAM).items():
        if key.isdigit() and int(key) in figures:
            figures[int(key)].attributed_bookings = from_cents(bookings)

    if stored is not None:
        for agreement in await lead_queries.agreements(stored.id):
            result = await lead_queries.sla_result(agreement, period)
            figures[agreement.marketing_team_id].sla_compliance = result.figures.marketing.compliance
            figures[agreement.sales_team_id].sla_compliance = result.figures.sales.compliance

    for team_id, total in (await team_payouts_accrued(period)).items():
        if team_id in figures:
            figures[team_id].payouts_accrued = total
    minutes = await lead_queries.wasted_selling_minutes(period)
    if minutes:
        for p in await Person.filter(id__in=list(minutes)):
            cost = wasted_selling_cost(minutes[p.id], cost_per_selling_hour(
                from_cents(p.annual_cost_cents), p.selling_hours_per_week, p.working_weeks_per_year))
            if cost is not None and p.team_id in figures:
                figures[p.team_id].wasted_selling_cost += cost
    return figures


@dataclass
class CompanyFigures:
    mqls_delivered: int
    sals: int
    sqls: int
    pipeline: Decimal
    bookings: Decimal


async def company_totals(period: PeriodView) -> CompanyFigures:
    """Company totals count each deal once (influence is not additive across teams)."""
    deal_list = await attribution.deals(period)
    mqls = len(await lead_queries.mql_facts(period))
    sals = await LeadFact.filter(sal_at__gte=period.start, sal_at__lt=period.end).count()
    sqls = await LeadFact.filter(sql_at__gte=period.start, sql_at__lt=period.end).count()
    return CompanyFigures(mqls, sals, sqls,
                          from_cents(sum(d.opportunity.amount_cents for d in deal_list if d.in_pipeline)),
                          from_cents(sum(d.opportunity.amount_cents for d in deal_list if d.in_bookings)))
