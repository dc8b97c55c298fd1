"""teamContribution: every figure of the common view per team for a period, from the one function of each area
that computes it, so GraphQL, CSV and the tests agree; and the rows behind each figure (its trace), taken from the
same selection the figure counts or sums, so a trace always reproduces its figure."""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from domain import clock
from domain.attribution import queries as attribution
from domain.comp.queries import PayoutRow, team_payout_rows
from domain.contribution import rules
from domain.goals.models import ObjectiveOwner
from domain.goals.queries import evaluate_objectives
from domain.leads import queries as lead_queries
from domain.leads import sla
from domain.leads.models import LeadFact
from domain.leads.rules import wasted_selling_cost
from domain.money import from_cents
from domain.org.models import Period, Person, Team
from domain.org.rules import cost_per_selling_hour
from domain.org.service import PeriodView
from domain.paging import Page

T = TypeVar("T")


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


@dataclass(frozen=True)
class WastedCost:
    """A touch behind wasted selling cost: its minutes, the seller's cost per selling hour (None without an annual
    cost, and then the touch costs nothing), and its share of the seller's cost (see rules.split_by_minutes)."""
    touch: lead_queries.WastedTouch
    cost_per_selling_hour: Decimal | None
    cost: Decimal | None


@dataclass
class TeamRows:
    """The rows behind one team's figures, each list in its key's order (see the *_key functions)."""
    mql_lead_ids: list[int] = field(default_factory=list)          # mqlsDelivered = len
    sal_lead_ids: list[int] = field(default_factory=list)          # sals = len
    sql_lead_ids: list[int] = field(default_factory=list)          # sqls = len
    sourced_deals: list[attribution.Deal] = field(default_factory=list)     # sourcedPipeline = Σ amount
    influenced_deals: list[attribution.Deal] = field(default_factory=list)  # influencedPipeline = Σ amount
    sla_items: list[sla.SlaItem] = field(default_factory=list)     # slaCompliance = met ÷ len
    payout_rows: list[PayoutRow] = field(default_factory=list)     # payoutsAccrued = Σ amount
    wasted: list[WastedCost] = field(default_factory=list)         # wastedSellingCost = Σ cost


@dataclass
class PeriodContribution:
    """Every team's figures for a period with the rows behind them. Booking credits are split only when asked for."""
    period: PeriodView
    figures: dict[int, TeamFigures]
    rows: dict[int, TeamRows]
    deals: list[attribution.Deal]
    choice: attribution.ModelChoice
    as_of: datetime
    _credits: dict[int, list[attribution.CreditRow]] | None = None

    def booking_credits(self, team_id: int) -> list[attribution.CreditRow]:
        """The credit lines behind the team's attributed bookings: per deal won in the period and touch of the team,
        under the model of record, split as attributed bookings are (in deal, then journey order)."""
        if self._credits is None:
            credits: dict[int, list[attribution.CreditRow]] = defaultdict(list)
            booked = sorted((d for d in self.deals if d.in_bookings), key=lambda d: d.opportunity.id)
            for row in attribution.credit_rows(booked, self.choice, self.as_of):
                if row.touch is not None and row.touch.team_id is not None:
                    credits[row.touch.team_id].append(row)
            self._credits = dict(credits)
        return self._credits.get(team_id, [])


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


async def _owner_team_leads(period: PeriodView, moment: str) -> dict[int, list[int]]:
    """Per owner team: the leads whose `moment` (sal_at or sql_at) fell in the period, by lead id."""
    leads: dict[int, list[int]] = defaultdict(list)
    for lead_id, team_id in await LeadFact.filter(**{"owner_team_id__not_isnull": True, f"{moment}__gte": period.start,
                                                     f"{moment}__lt": period.end}).values_list("lead_id",
                                                                                               "owner_team_id"):
        leads[team_id].append(lead_id)
    return {team_id: sorted(ids) for team_id, ids in leads.items()}


async def _sla_items(period_id: int, period: PeriodView) -> dict[int, list[sla.SlaItem]]:
    """Per team: the counted per-lead commitments of its side of the period's SLA (an agreement named later wins
    when a team has several, as for its compliance figure), by lead, then kind."""
    items: dict[int, list[sla.SlaItem]] = {}
    for agreement in await lead_queries.agreements(period_id):
        result = await lead_queries.sla_result(agreement, period)
        for side, team_id in ((sla.Side.MARKETING, agreement.marketing_team_id),
                              (sla.Side.SALES, agreement.sales_team_id)):
            items[team_id] = sorted((i for i in result.figures.items if i.side is side and i.counted),
                                    key=sla_item_key)
    return items


async def _wasted(period: PeriodView) -> dict[int, list[WastedCost]]:
    """Per team: its people's wasted touches, each with its share of its seller's wasted selling cost."""
    touches = await lead_queries.wasted_selling_touches(period)
    if not touches:
        return {}
    by_person: dict[int, list[lead_queries.WastedTouch]] = defaultdict(list)
    for t in touches:
        by_person[t.person_id].append(t)
    out: dict[int, list[WastedCost]] = defaultdict(list)
    for p in await Person.filter(id__in=list(by_person)):
        rate = cost_per_selling_hour(from_cents(p.annual_cost_cents), p.selling_hours_per_week,
                                     p.working_weeks_per_year)
        mine = by_person[p.id]
        minutes = [t.minutes for t in mine]
        total = wasted_selling_cost(sum(minutes), rate)
        shares = rules.split_by_minutes(total, minutes) if total is not None else [None] * len(mine)
        out[p.team_id].extend(WastedCost(t, rate, share) for t, share in zip(mine, shares))
    return {team_id: sorted(rows, key=lambda w: w.touch.touchpoint_id) for team_id, rows in out.items()}


async def period_contribution(period: PeriodView) -> PeriodContribution:
    """Every team's figures and their rows: each figure is the count or sum of its rows."""
    teams = await Team.all().order_by("name").values_list("id", flat=True)
    figures = {t: TeamFigures(t) for t in teams}
    rows = {t: TeamRows() for t in teams}
    stored = await Period.get_or_none(key=period.key)
    await _goal_progress(stored.id if stored else None, figures)

    for fact in await lead_queries.mql_facts(period):
        if fact.first_touch_team_id in rows:
            rows[fact.first_touch_team_id].mql_lead_ids.append(fact.lead_id)
    sals, sqls = await _owner_team_leads(period, "sal_at"), await _owner_team_leads(period, "sql_at")

    deal_list = await attribution.deals(period)
    pipeline = attribution.pipeline_deals_by_team(deal_list)
    choice = await attribution.model_of_record(period.key)
    as_of = clock.now()
    # The model of record's figure is credit_by_group's, as in the attribution report and the pay statements;
    # PeriodContribution.booking_credits gives the same split line by line (credit_rows).
    bookings = {int(key): cents for key, (_, cents) in attribution.credit_by_group(
        deal_list, choice, attribution.GroupBy.TEAM).items() if key.isdigit()}
    sla_items = await _sla_items(stored.id, period) if stored is not None else {}
    payouts = await team_payout_rows(period)
    wasted = await _wasted(period)

    for team_id, f in figures.items():
        r = rows[team_id]
        r.mql_lead_ids.sort()
        r.sal_lead_ids, r.sql_lead_ids = sals.get(team_id, []), sqls.get(team_id, [])
        if team_id in pipeline:
            r.sourced_deals, r.influenced_deals = pipeline[team_id].sourced, pipeline[team_id].influenced
        r.payout_rows = payouts.get(team_id, [])
        r.wasted = wasted.get(team_id, [])
        f.mqls_delivered, f.sals, f.sqls = len(r.mql_lead_ids), len(r.sal_lead_ids), len(r.sql_lead_ids)
        f.sourced_pipeline = from_cents(sum(d.opportunity.amount_cents for d in r.sourced_deals))
        f.influenced_pipeline = from_cents(sum(d.opportunity.amount_cents for d in r.influenced_deals))
        f.attributed_bookings = from_cents(bookings.get(team_id, 0))
        if team_id in sla_items:
            r.sla_items = sla_items[team_id]
            f.sla_compliance = sla.compliance_of(r.sla_items).compliance
        f.payouts_accrued = sum((p.amount for p in r.payout_rows), Decimal("0.00"))
        f.wasted_selling_cost = sum((w.cost for w in r.wasted if w.cost is not None), Decimal("0.00"))
    return PeriodContribution(period, figures, rows, deal_list, choice, as_of)


async def team_contribution(period: PeriodView) -> dict[int, TeamFigures]:
    return (await period_contribution(period)).figures


# --- keys and pages of the traces ----------------------------------------------------------

_KIND_ORDER = {kind: i for i, kind in enumerate(sla.ItemKind)}


def sla_item_key(item: sla.SlaItem) -> int:
    """An SLA item's place in a trace: by lead, then kind (a lead has at most one item of each kind)."""
    return item.lead_id * len(_KIND_ORDER) + _KIND_ORDER[item.kind]


def page_of(rows: Sequence[T], page: Page, key: Callable[[T], int]) -> tuple[list[tuple[int, T]], bool]:
    """The rows after `page.after` (rows in increasing key order), up to `page.first`, as (key, row), and whether
    more follow."""
    start = 0 if page.after is None else bisect_right(rows, page.after, key=key)
    chosen = rows[start:start + page.first + 1]
    return [(key(r), r) for r in chosen[:page.first]], len(chosen) > page.first


def page_by_position(rows: Sequence[T], page: Page) -> tuple[list[tuple[int, T]], bool]:
    """page_of for rows without a key of their own: their 1-based position in the list is the key."""
    start = 0 if page.after is None else max(page.after, 0)
    chosen = rows[start:start + page.first + 1]
    return [(start + i + 1, r) for i, r in enumerate(chosen[:page.first])], len(chosen) > page.first


# --- the company's totals -------------------------------------------------------------------

@dataclass
class CompanyFigures:
    mqls_delivered: int
    sals: int
    sqls: int
    pipeline: Decimal
    bookings: Decimal
    mql_lead_ids: list[int] = field(default_factory=list)                  # mqlsDelivered = len
    sal_lead_ids: list[int] = field(default_factory=list)                  # sals = len
    sql_lead_ids: list[int] = field(default_factory=list)                  # sqls = len
    pipeline_deals: list[attribution.Deal] = field(default_factory=list)   # pipeline = Σ amount
    booked_deals: list[attribution.Deal] = field(default_factory=list)     # bookings = Σ amount


async def _leads_at(period: PeriodView, moment: str) -> list[int]:
    """The leads whose `moment` (sal_at or sql_at) fell in the period, whoever owns them, by id."""
    return sorted(await LeadFact.filter(**{f"{moment}__gte": period.start, f"{moment}__lt": period.end}).values_list(
        "lead_id", flat=True))


async def company_totals(period: PeriodView) -> CompanyFigures:
    """Company totals count each deal once (influence is not additive across teams), with the rows behind them."""
    deal_list = sorted(await attribution.deals(period), key=lambda d: d.opportunity.id)
    mqls = sorted(f.lead_id for f in await lead_queries.mql_facts(period))
    sals, sqls = await _leads_at(period, "sal_at"), await _leads_at(period, "sql_at")
    pipeline = [d for d in deal_list if d.in_pipeline]
    booked = [d for d in deal_list if d.in_bookings]
    return CompanyFigures(len(mqls), len(sals), len(sqls),
                          from_cents(sum(d.opportunity.amount_cents for d in pipeline)),
                          from_cents(sum(d.opportunity.amount_cents for d in booked)),
                          mqls, sals, sqls, pipeline, booked)
