"""Forecasts of revenue key results and of the common view's attributed bookings, and deals' win probabilities,
each as of an instant of business time (only facts dated on or before it count: the deals open then, the deals closed
before it). The rules are in domain/forecast/rules.py."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.expressions import Q

from domain import clock, config
from domain.attribution import metrics as deal_metrics
from domain.attribution import queries as attribution
from domain.attribution.models import Opportunity, OpportunityStatus
from domain.forecast import rules
from domain.forecast.rules import Basis, ForecastStatus, Outlook
from domain.goals import queries as goal_queries
from domain.goals import rules as goal_rules
from domain.goals.metrics import MetricName
from domain.goals.models import KeyResult, ObjectiveOwner
from domain.leads.queries import raw_values_list
from domain.money import from_cents, to_cents
from domain.org.models import Person
from domain.org.rules import PeriodStatus, period_bounds, quarter_of
from domain.org.service import PeriodView
from domain.rawsql import as_utc

FORECAST_METRICS = (MetricName.BOOKINGS, MetricName.ATTRIBUTED_BOOKINGS, MetricName.PIPELINE_CREATED)
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Forecast:
    """A revenue key result's (or a team's) end-of-period outlook as of an instant."""
    as_of: datetime
    booked: Decimal          # already counted as of then
    expected: Decimal
    p10: Decimal
    p90: Decimal
    basis: Basis
    open_deals: int          # deals weighed (0 for a run-rate forecast)
    fallback_deals: int      # of which learnt from the whole history (their cell had too few closed deals)
    status: ForecastStatus | None = None   # against the key result's target


def history_start(as_of: datetime) -> datetime:
    """The start of the training window: the fiscal quarter HISTORY_QUARTERS before the as-of's own."""
    cfg = config.current()
    q = quarter_of(as_of, cfg.fiscal_year_start_month, cfg.timezone)
    for _ in range(rules.HISTORY_QUARTERS):
        q = q.previous()
    return period_bounds(q, cfg.fiscal_year_start_month, cfg.timezone)[0]


async def win_model(as_of: datetime) -> rules.WinModel:
    """What the probabilities are learnt from: the deals closed (won or lost) from history_start(as_of) up to
    `as_of`, never a deal closed later, and the deals created in that window still open at `as_of`."""
    rows = await raw_values_list(Opportunity.filter(
        status__in=[OpportunityStatus.WON, OpportunityStatus.LOST], closed_at__gte=history_start(as_of),
        closed_at__lte=as_of).values_list("created_at", "closed_at", "amount_cents", "status"))
    still_open = await raw_values_list(Opportunity.filter(
        Q(created_at__gte=history_start(as_of), created_at__lte=as_of)
        & (Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))).values_list("created_at", "amount_cents"))
    won = OpportunityStatus.WON.value
    return rules.WinModel(
        [rules.ClosedDeal((as_utc(closed) - as_utc(created)).days, amount, getattr(st, "value", st) == won)
         for created, closed, amount, st in rows],
        [rules.OpenDeal(_age_days(as_utc(created), as_of), amount) for created, amount in still_open])


def _age_days(deal_created: datetime, as_of: datetime) -> int:
    return max(0, (as_of - deal_created).days)


def days_left(period_end: datetime, as_of: datetime) -> int:
    """Whole days from the as-of instant to the period's end (0 once it has ended)."""
    return max(0, (period_end - as_of).days)


def probability(model: rules.WinModel, opportunity, as_of: datetime, period_end: datetime) -> rules.Probability:
    return model.probability(_age_days(opportunity.created_at, as_of), opportunity.amount_cents,
                             days_left(period_end, as_of))


# --- per deal -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WinChance:
    probability: float
    basis: Basis
    sample: int
    period_key: str


async def win_chances(opportunity_ids: Sequence[int]) -> list[WinChance | None]:
    """Each deal's probability of closing won within the current period, as of now; None for a closed deal (or an
    unknown id)."""
    now = clock.now()
    cfg = config.current()
    q = quarter_of(now, cfg.fiscal_year_start_month, cfg.timezone)
    _, end = period_bounds(q, cfg.fiscal_year_start_month, cfg.timezone)
    deals = {o.id: o for o in await Opportunity.filter(id__in=list(opportunity_ids), status=OpportunityStatus.OPEN)}
    model = await win_model(now) if deals else None
    out = []
    for i in opportunity_ids:
        deal = deals.get(i)
        if deal is None:
            out.append(None)
            continue
        p = probability(model, deal, now, end)
        out.append(WinChance(p.p, p.basis, p.sample, q.key))
    return out


# --- key results ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Target:
    """What a forecast needs of a key result: its figure, its teams, its goal and its period."""
    id: int
    metric: MetricName
    team_ids: tuple[int, ...]
    kind: goal_rules.KeyResultKind
    target_cents: int
    period: PeriodView


async def _targets(kr_ids: Sequence[int]) -> dict[int, _Target]:
    rows = await KeyResult.filter(id__in=list(kr_ids), source=goal_rules.KeyResultSource.METRIC,
                                  metric_name__in=[m.value for m in FORECAST_METRICS],
                                  archived_at__isnull=True).prefetch_related("objective__period")
    owners: dict[int, list[int]] = defaultdict(list)
    for objective_id, team_id in await ObjectiveOwner.filter(
            objective_id__in=[r.objective_id for r in rows]).order_by("team_id").values_list("objective_id", "team_id"):
        owners[objective_id].append(team_id)
    out = {}
    for r in rows:
        p = r.objective.period
        teams = goal_queries.decoded_team_ids(r.metric_team_ids)
        out[r.id] = _Target(r.id, MetricName(r.metric_name),
                            tuple(goal_rules.metric_teams(teams, owners.get(r.objective_id, []))), r.kind,
                            to_cents(r.target), PeriodView(p.key, p.start, p.end, p.status, p.closed_at))
    return out


class Reads:
    """What several forecasts as of one instant share: the win model, the open deals, team members, per-period
    credit splits of the open deals."""

    def __init__(self, as_of: datetime):
        self.as_of = as_of
        self._model: rules.WinModel | None = None
        self._deals: list[attribution.Deal] | None = None
        self._opportunities: list | None = None
        self._members: dict[int, int] | None = None
        self._team_credit: dict[str, dict[int, dict[int, int]]] = {}

    async def model(self) -> rules.WinModel:
        if self._model is None:
            self._model = await win_model(self.as_of)
        return self._model

    async def open_deals(self) -> list[attribution.Deal]:
        """The open deals with their journeys (what team credit needs)."""
        if self._deals is None:
            self._deals = await attribution.deals_open_at(self.as_of)
        return self._deals

    async def open_opportunities(self) -> list:
        """The open deals without their journeys (what BOOKINGS needs): the journeys' read is most of the cost."""
        if self._deals is not None:
            return [d.opportunity for d in self._deals]
        if self._opportunities is None:
            self._opportunities = await attribution.opportunities_open_at(self.as_of)
        return self._opportunities

    async def team_of_person(self) -> dict[int, int]:
        if self._members is None:
            self._members = dict(await Person.all().values_list("id", "team_id"))
        return self._members

    async def team_credit(self, period_key: str) -> dict[int, dict[int, int]]:
        """{opportunity id: {team id: cents}}: each open deal's credit by team under the period's model of record."""
        if period_key not in self._team_credit:
            choice = await attribution.model_of_record(period_key)
            by_deal: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            for row in attribution.credit_rows(await self.open_deals(), choice, self.as_of):
                if row.touch is not None and row.touch.team_id is not None:
                    by_deal[row.deal.opportunity.id][row.touch.team_id] += row.cents
            self._team_credit[period_key] = by_deal
        return self._team_credit[period_key]


async def _deal_values(reads: Reads, metric: MetricName, team_ids: Sequence[int], period: PeriodView):
    """(opportunity, value in cents for these teams) of each open deal that would count if won."""
    teams = set(team_ids)
    if metric is MetricName.BOOKINGS:
        members = await reads.team_of_person()
        return [(o, o.amount_cents) for o in await reads.open_opportunities() if members.get(o.owner_id) in teams]
    deals = await reads.open_deals()
    credit = await reads.team_credit(period.key)
    out = []
    for d in deals:
        value = sum(c for team, c in credit.get(d.opportunity.id, {}).items() if team in teams)
        if value:
            out.append((d.opportunity, value))
    return out


async def booked(metric: MetricName, team_ids: Sequence[int], period: PeriodView, as_of: datetime) -> Decimal:
    """The figure as counted up to `as_of` (the period's value at its end when as_of is past it)."""
    if metric is MetricName.BOOKINGS:
        return await deal_metrics.bookings(team_ids, period, as_of)
    return await deal_metrics.attributed_bookings(team_ids, period, as_of)


async def _deals_forecast(reads: Reads, metric: MetricName, team_ids: Sequence[int], period: PeriodView,
                          seed: int) -> Forecast:
    as_of = reads.as_of
    so_far = await booked(metric, team_ids, period, as_of)
    if as_of >= period.end:
        return Forecast(as_of, so_far, so_far, so_far, so_far, Basis.CELLS, 0, 0)
    model = await reads.model()
    values, probs, bases = [], [], []
    for opportunity, value in await _deal_values(reads, metric, team_ids, period):
        p = probability(model, opportunity, as_of, period.end)
        values.append(value)
        probs.append(p.p)
        bases.append(p.basis)
    outlook = rules.deals_outlook(to_cents(so_far), values, probs, seed)
    return _forecast(as_of, so_far, outlook, rules.overall_basis(bases), len(values),
                     sum(b is not Basis.CELLS for b in bases))


def _forecast(as_of, booked: Decimal, o: Outlook, basis: Basis, deals: int, fallback: int) -> Forecast:
    return Forecast(as_of, booked, from_cents(o.expected_cents), from_cents(o.p10_cents), from_cents(o.p90_cents),
                    basis, deals, fallback)


async def _run_rate_forecast(team_ids: Sequence[int], period: PeriodView, as_of: datetime, seed: int) -> Forecast:
    """PIPELINE_CREATED: the created amounts of the elapsed days (owned by the teams' people), resampled over the
    days left."""
    end = min(as_of, period.end)
    members = {p for p, in await Person.filter(team_id__in=list(team_ids)).values_list("id")}
    rows = await raw_values_list(Opportunity.filter(created_at__gte=period.start, created_at__lt=end).values_list(
        "created_at", "amount_cents", "owner_id"))
    elapsed = max(1, -(-int((end - period.start).total_seconds()) // 86400))
    daily = [0] * elapsed
    for created, amount, owner in rows:
        if owner in members:
            daily[min(elapsed - 1, (as_utc(created) - period.start).days)] += amount
    outlook = rules.run_rate_outlook(daily, days_left(period.end, as_of), seed)
    return _forecast(as_of, from_cents(sum(daily)), outlook, Basis.RUN_RATE, 0, 0)


async def forecast(reads: Reads, metric: MetricName, team_ids: Sequence[int], period: PeriodView,
                   seed: int) -> Forecast:
    """The end-of-period outlook of a revenue figure of the teams, as of reads.as_of."""
    if metric is MetricName.PIPELINE_CREATED:
        return await _run_rate_forecast(team_ids, period, reads.as_of, seed)
    return await _deals_forecast(reads, metric, team_ids, period, seed)


async def key_result_forecasts(kr_ids: Sequence[int], as_of: datetime | None = None) -> list[Forecast | None]:
    """Each key result's forecast as of `as_of` (now by default): METRIC key results on BOOKINGS,
    ATTRIBUTED_BOOKINGS or PIPELINE_CREATED of a period not yet closed; None for any other."""
    as_of = as_of or clock.now()
    targets = await _targets(kr_ids)
    reads = Reads(as_of)
    out: list[Forecast | None] = []
    for i in kr_ids:
        t = targets.get(i)
        if t is None or t.period.status is PeriodStatus.CLOSED:
            out.append(None)
            continue
        f = await forecast(reads, t.metric, t.team_ids, t.period, rules.seed_of(t.id, as_of.date().isoformat()))
        status = rules.forecast_status(t.kind, t.target_cents, Outlook(to_cents(f.expected), to_cents(f.p10),
                                                                        to_cents(f.p90)))
        out.append(Forecast(**{**_fields(f), "status": status}))
    return out


def _fields(f: Forecast) -> dict:
    return {name: getattr(f, name) for name in Forecast.__slots__}


async def team_attributed_bookings_forecasts(team_ids: Sequence[int], period: PeriodView,
                                             as_of: datetime | None = None) -> dict[int, Forecast]:
    """The common view's attributedBookingsForecast: each team's attributed bookings at the period's end."""
    reads = Reads(as_of or clock.now())
    day = reads.as_of.date().isoformat()
    return {t: await forecast(reads, MetricName.ATTRIBUTED_BOOKINGS, [t], period, rules.seed_of(-t, day))
            for t in team_ids}
