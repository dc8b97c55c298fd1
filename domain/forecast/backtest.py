"""The forecast measured on the past: each past quarter replayed as of weeks 4, 8 and 11, the forecast made that day
(learning only from facts dated before it) beside what the quarter really ended at and beside the naive
projection (the value so far scaled by the elapsed share of the quarter)."""
from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from domain import clock
from domain.forecast import queries, rules
from domain.forecast.rules import Basis
from domain.goals.metrics import MetricName
from domain.org.models import Team
from domain.org.rules import PeriodStatus, TeamFunction
from domain.org.service import PeriodView, current_quarter, get_period

WEEKS = (4, 8, 11)


@dataclass(frozen=True, slots=True)
class Point:
    period: str
    week: int
    subject: str
    actual: Decimal
    booked: Decimal
    expected: Decimal
    p10: Decimal
    p90: Decimal
    naive: Decimal
    basis: Basis

    @property
    def inside(self) -> bool:
        return self.p10 <= self.actual <= self.p90


@dataclass(frozen=True, slots=True)
class WeekSummary:
    week: int
    points: int
    forecast_mape: float | None
    naive_mape: float | None
    coverage: float | None      # share of points whose actual fell inside p10-p90


async def _subjects() -> list[tuple[str, MetricName, list[int]]]:
    teams = await Team.all().order_by("name").values_list("id", "name", "function")
    out = [("bookings, all teams", MetricName.BOOKINGS, [t for t, _, _ in teams])]
    out += [(f"attributed bookings, {name}", MetricName.ATTRIBUTED_BOOKINGS, [t]) for t, name, f in teams
            if getattr(f, "value", f) in (TeamFunction.SALES.value, TeamFunction.MARKETING.value)]
    return out


async def past_periods(limit: int = 8) -> list[PeriodView]:
    """The quarters before the current one, oldest first, back to the first with a deal created in it."""
    from domain.attribution.models import Opportunity
    first = await Opportunity.all().order_by("created_at").first()
    q, out = current_quarter().previous(), []
    while first is not None and len(out) < limit:
        period = await get_period(q.key)
        if period.end <= first.created_at:
            break
        out.append(period)
        q = q.previous()
    return out[::-1]


async def backtest(weeks: Sequence[int] = WEEKS, periods: Sequence[PeriodView] | None = None) -> list[Point]:
    periods = list(periods) if periods is not None else await past_periods()
    subjects = await _subjects()
    points = []
    for period in periods:
        open_view = PeriodView(period.key, period.start, period.end, PeriodStatus.OPEN)
        length = (period.end - period.start).total_seconds() / 86400
        for week in weeks:
            as_of = period.start + timedelta(days=7 * week)
            if as_of >= min(period.end, clock.now()):
                continue
            reads = queries.Reads(as_of)
            for subject, metric, team_ids in subjects:
                seed = rules.seed_of(zlib.crc32(subject.encode()), as_of.date().isoformat())
                f = await queries.forecast(reads, metric, team_ids, open_view, seed)
                actual = await queries.booked(metric, team_ids, open_view, period.end)
                naive = Decimal(str(round(rules.naive_projection(float(f.booked), 7 * week, length), 2)))
                points.append(Point(period.key, week, subject, actual, f.booked, f.expected, f.p10, f.p90, naive,
                                    f.basis))
    return points


def summary(points: Sequence[Point], weeks: Sequence[int] = WEEKS) -> list[WeekSummary]:
    out = []
    for week in weeks:
        mine = [p for p in points if p.week == week]
        out.append(WeekSummary(
            week, len(mine), rules.mape([(float(p.expected), float(p.actual)) for p in mine]),
            rules.mape([(float(p.naive), float(p.actual)) for p in mine]),
            sum(p.inside for p in mine) / len(mine) if mine else None))
    return out


def _percent(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table(points: Sequence[Point], weeks: Sequence[int] = WEEKS) -> str:
    """The backtest as text: every point, then per week the forecast's error beside the naive projection's."""
    lines = [f"{'period':8} {'week':>4}  {'subject':34} {'actual':>13} {'booked':>13} {'expected':>13} "
             f"{'p10':>13} {'p90':>13} {'naive':>13}  basis"]
    for p in points:
        lines.append(f"{p.period:8} {p.week:>4}  {p.subject[:34]:34} {p.actual:>13,.2f} {p.booked:>13,.2f} "
                     f"{p.expected:>13,.2f} {p.p10:>13,.2f} {p.p90:>13,.2f} {p.naive:>13,.2f}  {p.basis.value}")
    lines.append("")
    lines.append(f"{'week':>4} {'points':>6}  {'forecast MAPE':>13}  {'naive MAPE':>10}  {'actual in p10-p90':>17}")
    for s in summary(points, weeks):
        lines.append(f"{s.week:>4} {s.points:>6}  {_percent(s.forecast_mape):>13}  {_percent(s.naive_mape):>10}  "
                     f"{_percent(s.coverage):>17}")
    return "\n".join(lines)
