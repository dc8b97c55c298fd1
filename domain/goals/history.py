"""History: a goal's figures as they stood at the end of each day or week of its period.

"As of day D" is business time on today's data: only facts dated on or before D count (a check-in from its time,
a lead from its MQL time, a deal from its close or creation as its metric says). A MANUAL key result replays its
check-ins; a METRIC key result asks its metric for every step at once (one grouped read per series: see
metrics.Metric.values_as_of); expected progress and status come from the same pure rules as the live figures.
A closed period's series ends at its frozen figures. The live evaluation (queries.evaluate_objectives) is the
same rule as of the clock."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain import clock, config, rawsql
from domain.errors import invalid
from domain.goals import metrics, queries, rules
from domain.goals.models import CheckIn, KeyResult
from domain.goals.rules import KeyResultSource, SeriesStep, Status
from domain.org.rules import PeriodStatus

_MICRO = timedelta(microseconds=1)


class LimitExceeded(Exception):
    """A series longer than rules.MAX_SERIES_POINTS (the API answers LIMIT_EXCEEDED)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Point:
    """A figure as it stood at the end of `on`."""
    on: date
    value: Decimal | None               # a key result's value (None for objectives and teams)
    progress: Decimal | None            # clamped; None when there is nothing to measure
    expected_progress: Decimal
    status: Status | None
    score: Decimal | None = None        # a closed period's final score, on an objective's last point
    raw_progress: Decimal | None = None  # a key result's progress before clamping (what pay's KR metric reads)


@dataclass(frozen=True)
class SeriesRange:
    every: SeriesStep
    start: date
    end: date

    def days(self) -> list[date]:
        return rules.series_days(self.start, self.end, self.every)


def period_days(start: datetime, end: datetime, tz: str) -> tuple[date, date]:
    """The first and last day of a period [start, end) in the zone."""
    return rules.local_day(start, tz), rules.local_day(end - _MICRO, tz)


def series_range(period_start: datetime, period_end: datetime, closed: bool, every: SeriesStep,
                 start: date | None, end: date | None, now: datetime | None = None) -> SeriesRange:
    """The days a series of this period answers: `start` defaults to the period's first day, `end` to today (the
    service clock) or the period's last day if earlier (a closed period's last day). INVALID outside the period or
    when start is after end; LimitExceeded above rules.MAX_SERIES_POINTS points. A period not begun gives no days."""
    tz = config.current().timezone
    first, last = period_days(period_start, period_end, tz)
    today = rules.local_day(now if now is not None else clock.now(), tz)
    chosen = SeriesRange(every, start or first, end or (last if closed else min(today, last)))
    # the size first: a range too long to answer is refused as such, whatever else is wrong with it
    points = rules.series_length(chosen.start, chosen.end, every)
    if points > rules.MAX_SERIES_POINTS:
        raise LimitExceeded(f"a series has at most {rules.MAX_SERIES_POINTS} points: this one would have "
                            f"{points} (ask for WEEK steps or a shorter range)", "every")
    problem = rules.series_range_problem(first, last, start, end)
    if problem is not None:
        raise invalid(problem[1], problem[0])
    return chosen


@dataclass(frozen=True)
class AsOf:
    """A day the figures of a period are asked as of, and its last instant in business time (facts dated at or
    before it count: the rule of every series point)."""
    day: date
    instant: datetime


def as_of(period, day: date, now: datetime | None = None) -> AsOf:
    """The end of `day` for figures of `period` (anything with start and end), or INVALID (field asOf) when the day
    is outside the period or after today."""
    tz = config.current().timezone
    first, last = period_days(period.start, period.end, tz)
    problem = rules.as_of_day_problem(first, last, rules.local_day(now if now is not None else clock.now(), tz), day)
    if problem is not None:
        raise invalid(problem, "asOf")
    return AsOf(day, rules.as_of_end_of(day, tz))


def as_of_day(text: str) -> date:
    """An `asOf` argument as a day, INVALID (field asOf) when it is not written YYYY-MM-DD."""
    day = rules.read_day(text)
    if day is None:
        raise invalid(f"asOf is a day written YYYY-MM-DD (e.g. 2026-09-30), not {text[:40]!r}", "asOf")
    return day


def window(period, when: AsOf | None):
    """The period (a PeriodView) with its end brought back to just after the as-of instant (metrics.as_of_window):
    the facts a figure counts as of the day; the period itself without an as-of day."""
    return period if when is None else replace(period, end=metrics.as_of_window(period, when.instant).end)


async def key_results_as_of(kr_ids: Sequence[int], when: AsOf) -> dict[int, Point]:
    """Each key result's point at the end of the day (its period's frozen figures on a closed period's last day):
    one series step of the objectives holding them."""
    objective_of = dict(await KeyResult.filter(id__in=list(kr_ids)).values_list("id", "objective_id"))
    series = await objectives_series(sorted(set(objective_of.values())), SeriesRange(SeriesStep.DAY, when.day,
                                                                                     when.day))
    return {kr_id: series[o].key_results[kr_id][0] for kr_id, o in objective_of.items()
            if o in series and kr_id in series[o].key_results}


@dataclass
class ObjectiveSeries:
    points: list[Point]
    key_results: dict[int, list[Point]] = field(default_factory=dict)


async def _check_ins(kr_ids: list[int]) -> dict[int, list[tuple[datetime, Decimal]]]:
    """(time, value) of every check-in that carried a value, by key result, in the order they were made."""
    found: dict[int, list[tuple[datetime, Decimal]]] = {}
    if not kr_ids:
        return found
    for kr_id, at, value in await CheckIn.filter(key_result_id__in=kr_ids, value__not_isnull=True) \
            .order_by("id").values_list("key_result_id", "at", "value"):
        found.setdefault(kr_id, []).append((rawsql.as_utc(at), Decimal(str(value))))
    return found


async def objectives_series(ids: Sequence[int], rng: SeriesRange) -> dict[int, ObjectiveSeries]:
    """Each objective's points, and its live key results', at the end of every step of `rng`: one read of the goal
    rows (queries.objective_tree), one of the check-ins, and one grouped read per METRIC key result (key results
    following the same figure of the same teams share it)."""
    tz = config.current().timezone
    days = rng.days()
    instants = [rules.as_of_end_of(d, tz) for d in days]   # facts at or before the day's last instant
    ends = [rules.day_end(d, tz) for d in days]           # the time elapsed by the end of the day
    tree = await queries.objective_tree(ids)
    manual = [k.id for k in tree.krs if k.source is KeyResultSource.MANUAL]
    replays = await _check_ins(manual)
    values: dict[int, list[Decimal]] = {}
    with metrics.shared_reads():
        for kr in tree.krs:
            if kr.source is KeyResultSource.MANUAL:
                values[kr.id] = rules.latest_at(replays.get(kr.id, []), instants, kr.start)
                continue
            metric = metrics.get(metrics.MetricName(kr.metric_name))
            values[kr.id] = (await metric.values_as_of(tree.metric_teams(kr), tree.period_of(kr.objective_id),
                                                       instants) if metric is not None else [kr.start] * len(days))
    krs_of: dict[int, list[queries._KeyResult]] = {}
    for kr in tree.krs:
        krs_of.setdefault(kr.objective_id, []).append(kr)
    results: dict[int, ObjectiveSeries] = {}

    def series_of(objective_id: int) -> ObjectiveSeries:
        if objective_id in results:
            return results[objective_id]
        period = tree.period_of(objective_id)
        closed = period.status is PeriodStatus.CLOSED
        last_day = period_days(period.start, period.end, tz)[1]
        frozen = [closed and day == last_day for day in days]
        expected = [rules.ONE if frozen[i] else rules.expected_progress(period.start, period.end, ends[i])
                    for i in range(len(days))]
        kr_points: dict[int, list[Point]] = {}
        for kr in krs_of.get(objective_id, []):
            snap = tree.snapshots.get(kr.id)
            points = []
            for i, day in enumerate(days):
                if frozen[i] and snap is not None:
                    points.append(Point(day, snap.current, rules.clamp(snap.raw_progress), expected[i], snap.status,
                                        raw_progress=snap.raw_progress))
                    continue
                current = values[kr.id][i]
                raw = rules.raw_progress(kr.kind, kr.start, kr.target, current)
                progress = rules.clamp(raw)
                points.append(Point(day, current, progress, expected[i], rules.status(progress, expected[i]),
                                    raw_progress=raw))
            kr_points[kr.id] = points
        children = [series_of(c) for c in tree.children.get(objective_id, [])]
        score_row = tree.scores.get(objective_id)
        points = []
        for i, day in enumerate(days):
            if frozen[i] and score_row is not None:
                final = score_row.override_score if score_row.override_score is not None else score_row.score
                points.append(Point(day, None, Decimal(str(score_row.progress)), expected[i], score_row.status,
                                    Decimal(str(final))))
                continue
            parts = [(kr.weight, kr_points[kr.id][i].progress) for kr in krs_of.get(objective_id, [])] \
                + [(rules.ONE, c.points[i].progress) for c in children if c.points[i].progress is not None]
            if not parts:
                points.append(Point(day, None, None, expected[i], None))
                continue
            progress = rules.weighted_progress(parts)
            statuses = [kr_points[kr.id][i].status for kr in krs_of.get(objective_id, [])] \
                + [c.points[i].status for c in children if c.points[i].status is not None]
            status = rules.weakest(statuses) or rules.status(progress, expected[i])
            points.append(Point(day, None, progress, expected[i], status,
                                rules.score(progress) if frozen[i] else None))
        results[objective_id] = ObjectiveSeries(points, kr_points)
        return results[objective_id]

    for objective_id in tree.objectives:
        series_of(objective_id)
    return {i: results[i] for i in ids if i in results}
