"""teamContribution: every figure of the common view per team for a period, from the one function of each area
that computes it, so GraphQL, CSV and the tests agree; and the rows behind each figure (its trace), taken from the
same selection the figure counts or sums, so a trace always reproduces its figure."""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from tortoise.functions import Count

from domain import clock, config
from domain.goals import history
from domain.goals import rules as goal_rules
from domain.org.rules import PeriodStatus
from domain.forecast import queries as forecast
from domain.attribution import queries as attribution
from domain.comp.queries import PayoutRow, team_payout_rows
from domain.contribution import rules
from domain.goals.models import ObjectiveOwner
from domain.goals.queries import evaluate_objectives
from domain.leads import queries as lead_queries
from domain.leads import sla
from domain.leads.models import LeadFact
from domain.leads.rules import wasted_selling_cost
from domain.memo import Memo
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


class PeriodContribution:
    """Every team's figures for a period with the rows behind them, worked out by group (goals, funnel, pipeline,
    bookings, SLA, pay, waste) when first asked for and kept for the request: a query for a few figures computes
    only theirs. Each figure is the count or sum of its rows; the pipeline and bookings figures are summed in SQL
    from the stored credit rows (equal to the live computation, tested) and their rows come from the live deals."""

    def __init__(self, period: PeriodView, team_ids: list[int], stored_period_id: int | None,
                 as_of: history.AsOf | None = None) -> None:
        # as of a day, every group reads the period's window up to that day's end (metrics.as_of_window) and the
        # goals, SLA and pay figures their own as-of reads; `whole` stays the period
        self.whole = period
        self.as_of = as_of
        self.period = history.window(period, as_of)
        self.team_ids = team_ids
        self.stored_period_id = stored_period_id
        self._once = Memo()  # each group computed once per object, however many resolvers ask at once

    # --- groups of figures ---

    async def goals(self) -> dict[int, tuple[Decimal | None, list[int]]]:
        """{team: (goal progress, the co-owned objectives behind it)}."""
        if self.as_of is not None:  # the series' one step: goalProgress as of the day
            async def compute():
                rng = history.SeriesRange(goal_rules.SeriesStep.DAY, self.as_of.day, self.as_of.day)
                points = await _goal_progress_series(self.stored_period_id, self.whole, rng, with_ids=True)
                return {t: (p[0].progress, ids) for t, (p, ids) in points.items()}
            return await self._once("goals", compute)
        return await self._once("goals", lambda: _goal_progress(self.stored_period_id))

    async def goal_progress_series(self, rng: history.SeriesRange) -> dict[int, list[history.Point]]:
        """{team: goal progress at the end of each step of `rng`} (teams that co-own nothing are left out)."""
        return await self._once(("goal_series", rng), lambda: _goal_progress_series(self.stored_period_id,
                                                                                    self.whole, rng))

    async def funnel_counts(self) -> dict[int, tuple[int, int, int]]:
        """{team: (MQLs delivered, SALs, SQLs)}, counted in SQL over the rows funnel_rows lists."""
        return await self._once("funnel_counts", lambda: _funnel_counts(self.period, self.team_ids))

    async def funnel_rows(self) -> dict[int, tuple[list[int], list[int], list[int]]]:
        """{team: (MQL lead ids, SAL lead ids, SQL lead ids)}, each by id."""
        return await self._once("funnel_rows", lambda: _funnel_rows(self.period, self.team_ids))

    async def pipeline(self) -> dict[int, tuple[Decimal, Decimal]]:
        """{team: (sourced pipeline, influenced pipeline)}."""
        async def compute():
            rows = await attribution.pipeline_by_team(self.period, bookings=False)
            return {t: (from_cents(r.sourced_pipeline_cents), from_cents(r.influenced_pipeline_cents))
                    for t, r in rows.items()}
        return await self._once("pipeline", compute)

    async def attributed_bookings_forecasts(self):
        """{team: forecast of its attributed bookings at the period's end, as of now} (domain/forecast)."""
        return await self._once("forecasts", lambda: forecast.team_attributed_bookings_forecasts(
            self.team_ids, self.whole))

    async def deals(self) -> list[attribution.Deal]:
        """The period's deals with their journeys (live), for the pipeline and booking traces."""
        return await self._once("deals", lambda: attribution.deals(self.period))

    async def pipeline_rows(self) -> dict[int, attribution.PipelineDeals]:
        async def compute():
            return attribution.pipeline_deals_by_team(await self.deals())
        return await self._once("pipeline_rows", compute)

    async def choice(self) -> attribution.ModelChoice:
        return await self._once("choice", lambda: attribution.model_of_record(self.period.key))

    async def bookings(self) -> dict[int, Decimal]:
        """{team: bookings credited under the model of record} (the attribution report's and statements' figure)."""
        async def compute():
            totals = await attribution.period_credit_totals(self.period, await self.choice(),
                                                            attribution.GroupBy.TEAM, pipeline=False)
            return {int(key): from_cents(cents) for key, (_, cents) in totals.items() if key.isdigit()}
        return await self._once("bookings", compute)

    async def booking_credits(self, team_id: int) -> list[attribution.CreditRow]:
        """The credit lines behind the team's attributed bookings: per deal won in the period and touch of the team,
        under the model of record, split as attributed bookings are (in deal, then journey order)."""
        async def compute():
            credits: dict[int, list[attribution.CreditRow]] = defaultdict(list)
            booked = sorted((d for d in await self.deals() if d.in_bookings), key=lambda d: d.opportunity.id)
            for row in attribution.credit_rows(booked, await self.choice(), clock.now()):
                if row.touch is not None and row.touch.team_id is not None:
                    credits[row.touch.team_id].append(row)
            return dict(credits)
        return (await self._once("booking_credits", compute)).get(team_id, [])

    async def sla(self) -> dict[int, list[sla.SlaItem]]:
        """{team: its side's counted SLA items}; a team without an agreement is absent (no compliance figure)."""
        async def compute():
            return await _sla_items(self.stored_period_id, self.whole, self.instant) if self.stored_period_id else {}
        return await self._once("sla", compute)

    async def payouts(self) -> dict[int, list[PayoutRow]]:
        return await self._once("payouts", lambda: team_payout_rows(self.whole, self.as_of and self.as_of.day))

    async def wasted(self) -> dict[int, list[WastedCost]]:
        """{team: the touches behind its wasted selling cost, each with its share of its seller's cost}."""
        return await self._once("wasted", lambda: _wasted(self.period, self.instant))

    async def wasted_costs(self) -> dict[int, Decimal]:
        """{team: wasted selling cost}: each seller's minutes (summed in SQL) at their cost per selling hour,
        rounded per seller (the sum of the shares `wasted` gives the team's touches)."""
        return await self._once("wasted_costs", lambda: _wasted_costs(self.period, self.instant))

    @property
    def instant(self):
        """The as-of instant (None: now)."""
        return self.as_of.instant if self.as_of is not None else None

    # --- one team's figures ---

    async def goal_progress(self, team_id: int) -> Decimal | None:
        return (await self.goals()).get(team_id, (None, []))[0]

    async def objective_ids(self, team_id: int) -> list[int]:
        return (await self.goals()).get(team_id, (None, []))[1]

    async def sla_figures(self) -> dict[int, Decimal | None]:
        """{team: its side's SLA compliance} (the agreement named later wins when a team has several, as for its
        items); counted over the same items `sla` lists, without looking up each lead's marketing person."""
        async def compute():
            if self.stored_period_id is None:
                return {}
            figures = {}
            for agreement in await lead_queries.agreements(self.stored_period_id):
                sides = await (await lead_queries.sla_report(agreement, self.whole, self.instant)).sides()
                figures[agreement.marketing_team_id] = sides[sla.Side.MARKETING].compliance
                figures[agreement.sales_team_id] = sides[sla.Side.SALES].compliance
            return figures
        return await self._once("sla_figures", compute)

    async def sla_compliance(self, team_id: int) -> Decimal | None:
        return (await self.sla_figures()).get(team_id)

    async def payouts_accrued(self, team_id: int) -> Decimal:
        return sum((p.amount for p in (await self.payouts()).get(team_id, [])), Decimal("0.00"))

    async def wasted_selling_cost(self, team_id: int) -> Decimal:
        return (await self.wasted_costs()).get(team_id, Decimal("0.00"))

    async def figures(self) -> dict[int, TeamFigures]:
        """Every figure of every team (the CSV export's rows)."""
        funnel, pipeline, bookings = await self.funnel_counts(), await self.pipeline(), await self.bookings()
        out = {}
        for t in self.team_ids:
            mqls, sals, sqls = funnel.get(t, (0, 0, 0))
            sourced, influenced = pipeline.get(t, (Decimal("0.00"), Decimal("0.00")))
            out[t] = TeamFigures(
                t, goal_progress=await self.goal_progress(t), mqls_delivered=mqls, sals=sals, sqls=sqls,
                sourced_pipeline=sourced, influenced_pipeline=influenced,
                attributed_bookings=bookings.get(t, Decimal("0.00")), sla_compliance=await self.sla_compliance(t),
                payouts_accrued=await self.payouts_accrued(t), wasted_selling_cost=await self.wasted_selling_cost(t),
                objective_ids=await self.objective_ids(t))
        return out


async def _goal_progress(period_id: int | None) -> dict[int, tuple[Decimal | None, list[int]]]:
    if period_id is None:
        return {}
    owners = await ObjectiveOwner.filter(objective__period_id=period_id, objective__archived_at=None).values_list(
        "objective_id", "team_id", "share")
    evaluated = await evaluate_objectives(sorted({o for o, _, _ in owners}))
    owned = defaultdict(list)
    ids = defaultdict(list)
    for objective_id, team_id, share in owners:
        if objective_id in evaluated:
            owned[team_id].append((share, evaluated[objective_id].progress))
            ids[team_id].append(objective_id)
    return {team_id: (rules.goal_progress(rows), ids[team_id]) for team_id, rows in owned.items()}


async def _goal_progress_series(period_id: int | None, period: PeriodView, rng: history.SeriesRange,
                                with_ids: bool = False) -> dict[int, list[history.Point]]:
    """goalProgress as it stood at the end of each step: the same rule (rules.goal_progress) over the co-owned
    objectives' series points (an objective with nothing to measure counts as 0, as in the live figure); the
    status is the live status rule's against the day's expected progress."""
    if period_id is None:
        return {}
    owners = await ObjectiveOwner.filter(objective__period_id=period_id, objective__archived_at=None).values_list(
        "objective_id", "team_id", "share")
    series = await history.objectives_series(sorted({o for o, _, _ in owners}), rng)
    tz = config.current().timezone
    days = rng.days()
    closed = period.status is PeriodStatus.CLOSED
    last_day = history.period_days(period.start, period.end, tz)[1]
    expected = [goal_rules.ONE if closed and day == last_day else
                goal_rules.expected_progress(period.start, period.end, goal_rules.day_end(day, tz)) for day in days]
    owned = defaultdict(list)
    ids = defaultdict(list)
    for objective_id, team_id, share in owners:
        if objective_id in series:
            owned[team_id].append((Decimal(str(share)), series[objective_id].points))
            ids[team_id].append(objective_id)
    out = {}
    for team_id, rows in owned.items():
        points = []
        for i, day in enumerate(days):
            progress = rules.goal_progress((share, p[i].progress if p[i].progress is not None else goal_rules.ZERO)
                                           for share, p in rows)
            points.append(history.Point(day, None, progress, expected[i],
                                        goal_rules.status(progress, expected[i]) if progress is not None else None))
        out[team_id] = (points, ids[team_id]) if with_ids else points
    return out


def _funnel_selections(period: PeriodView, team_ids: Sequence[int]):
    """(team column, facts queryset) of MQLs delivered (first-touch team), SALs and SQLs (owner's team). The MQLs
    are those of the teams (a lead first touched by none counts for no team): each team's from the index by
    first-touch team and MQL time."""
    in_period = lambda moment: {f"{moment}__gte": period.start, f"{moment}__lt": period.end}
    return [("first_touch_team_id", lead_queries.mql_facts_query(period, team_ids)),
            ("owner_team_id", LeadFact.filter(owner_team_id__not_isnull=True, **in_period("sal_at"))),
            ("owner_team_id", LeadFact.filter(owner_team_id__not_isnull=True, **in_period("sql_at")))]


async def _funnel_counts(period: PeriodView, team_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for i, (column, qs) in enumerate(_funnel_selections(period, team_ids)):
        for team_id, n in await qs.annotate(n=Count("id")).group_by(column).values_list(column, "n"):
            if team_id is not None:
                counts[team_id][i] += n
    return {t: (a, b, c) for t, (a, b, c) in counts.items()}


async def _funnel_rows(period: PeriodView,
                       team_ids: Sequence[int]) -> dict[int, tuple[list[int], list[int], list[int]]]:
    rows: dict[int, tuple[list[int], list[int], list[int]]] = defaultdict(lambda: ([], [], []))
    for i, (column, qs) in enumerate(_funnel_selections(period, team_ids)):
        for lead_id, team_id in await qs.order_by("lead_id").values_list("lead_id", column):
            if team_id is not None:
                rows[team_id][i].append(lead_id)
    return dict(rows)


async def _sla_items(period_id: int, period: PeriodView, as_of=None) -> dict[int, list[sla.SlaItem]]:
    """Per team: the counted per-lead commitments of its side of the period's SLA (an agreement named later wins
    when a team has several, as for its compliance figure), by lead, then kind."""
    items: dict[int, list[sla.SlaItem]] = {}
    for agreement in await lead_queries.agreements(period_id):
        result = await lead_queries.sla_result(agreement, period, as_of)
        for side, team_id in ((sla.Side.MARKETING, agreement.marketing_team_id),
                              (sla.Side.SALES, agreement.sales_team_id)):
            items[team_id] = sorted((i for i in result.figures.items if i.side is side and i.counted),
                                    key=sla_item_key)
    return items


@dataclass(frozen=True)
class _SellerCost:
    team_id: int
    rate: Decimal | None        # cost per selling hour (None without an annual cost)
    cost: Decimal | None        # the seller's wasted selling cost, rounded to cents


async def _seller_costs(minutes: dict[int, int]) -> dict[int, _SellerCost]:
    """Per seller: their team, cost per selling hour, and the wasted selling cost of their minutes."""
    out = {}
    for p in await Person.filter(id__in=list(minutes)):
        rate = cost_per_selling_hour(from_cents(p.annual_cost_cents), p.selling_hours_per_week,
                                     p.working_weeks_per_year)
        out[p.id] = _SellerCost(p.team_id, rate, wasted_selling_cost(minutes[p.id], rate))
    return out


async def _wasted_costs(period: PeriodView, as_of=None) -> dict[int, Decimal]:
    costs: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for seller in (await _seller_costs(await lead_queries.wasted_selling_minutes(period, as_of))).values():
        if seller.cost is not None:
            costs[seller.team_id] += seller.cost
    return dict(costs)


async def _wasted(period: PeriodView, as_of=None) -> dict[int, list[WastedCost]]:
    """Per team: its people's wasted touches, each with its share of its seller's wasted selling cost."""
    by_person: dict[int, list[lead_queries.WastedTouch]] = defaultdict(list)
    for t in await lead_queries.wasted_selling_touches(period, as_of):
        by_person[t.person_id].append(t)
    out: dict[int, list[WastedCost]] = defaultdict(list)
    sellers = await _seller_costs({person: sum(t.minutes for t in mine) for person, mine in by_person.items()})
    for person, seller in sellers.items():
        mine = by_person[person]
        shares = rules.split_by_minutes(seller.cost, [t.minutes for t in mine]) if seller.cost is not None \
            else [None] * len(mine)
        out[seller.team_id].extend(WastedCost(t, seller.rate, share) for t, share in zip(mine, shares))
    return {team_id: sorted(rows, key=lambda w: w.touch.touchpoint_id) for team_id, rows in out.items()}


async def period_contribution(period: PeriodView, as_of: date | None = None) -> PeriodContribution:
    """The period's contribution, its figures computed when asked for (see PeriodContribution); as of the end of a
    day when `as_of` is given (INVALID outside the period or after today)."""
    when = history.as_of(period, as_of) if as_of is not None else None
    teams = await Team.all().order_by("name").values_list("id", flat=True)
    stored = await Period.get_or_none(key=period.key)
    return PeriodContribution(period, list(teams), stored.id if stored else None, when)


async def team_contribution(period: PeriodView, as_of: date | None = None) -> dict[int, TeamFigures]:
    return await (await period_contribution(period, as_of)).figures()


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
