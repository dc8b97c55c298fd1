"""Reads of the shared goals: pages, batches for loaders, and the figures of objectives (set-based: a fixed
number of queries per batch of objectives, whatever its size)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.functions import Max

from domain import clock, rawsql
from domain.batch import by_ids, grouped
from domain.goals import metrics, rules
from domain.goals.models import (
    CheckIn, KeyResult, KeyResultSnapshot, Objective, ObjectiveLink, ObjectiveOwner, ObjectiveScore,
)
from domain.goals.rules import KeyResultSource, LinkKind, Status
from domain.org.models import Period
from domain.org.rules import PeriodStatus
from domain.paging import Page, Paged, fetch_page, no_rows


@dataclass(frozen=True)
class KeyResultFigures:
    current: Decimal
    raw_progress: Decimal
    progress: Decimal
    status: Status


@dataclass
class ObjectiveFigures:
    progress: Decimal
    expected_progress: Decimal
    status: Status
    score: Decimal | None = None          # once the period is closed
    score_override: Decimal | None = None
    score_override_reason: str | None = None
    key_results: dict[int, KeyResultFigures] = field(default_factory=dict)

    @property
    def final_score(self) -> Decimal | None:
        return self.score_override if self.score_override is not None else self.score


# --- pages and batches -------------------------------------------------------------------

async def objectives_page(period_id: int | None, page: Page, team_id: int | None = None,
                          include_archived: bool = False) -> Paged:
    if period_id is None:
        return Paged([], False, no_rows)
    qs = Objective.filter(period_id=period_id)
    if not include_archived:
        qs = qs.filter(archived_at=None)
    if team_id is not None:
        qs = qs.filter(id__in=Subquery(ObjectiveOwner.filter(team_id=team_id).values("objective_id")))
    return await fetch_page(qs, page)


async def objectives_by_ids(ids: Sequence[int]) -> list[Objective | None]:
    return await by_ids(Objective, ids)


async def key_results_by_ids(ids: Sequence[int]) -> list[KeyResult | None]:
    return await by_ids(KeyResult, ids)


async def owners_by_objective(ids: Sequence[int]) -> list[list[ObjectiveOwner]]:
    return grouped(await ObjectiveOwner.filter(objective_id__in=list(ids)).order_by("id"), lambda w: w.objective_id,
                   ids)


async def parent_links_by_objective(ids: Sequence[int]) -> list[list[ObjectiveLink]]:
    return grouped(await ObjectiveLink.filter(child_id__in=list(ids)).order_by("id"), lambda k: k.child_id, ids)


async def child_links_by_objective(ids: Sequence[int]) -> list[list[ObjectiveLink]]:
    return grouped(await ObjectiveLink.filter(parent_id__in=list(ids)).order_by("id"), lambda k: k.parent_id, ids)


async def live_key_results_by_objective(ids: Sequence[int]) -> list[list[KeyResult]]:
    rows = await KeyResult.filter(objective_id__in=list(ids), archived_at=None).order_by("id")
    return grouped(rows, lambda k: k.objective_id, ids)


async def check_ins_by_key_result(ids: Sequence[int]) -> list[list[CheckIn]]:
    """Every check-in of each key result, newest first."""
    return grouped(await CheckIn.filter(key_result_id__in=list(ids)).order_by("-id"), lambda c: c.key_result_id, ids)


async def periods_by_ids(ids: Sequence[int]) -> list[Period | None]:
    return await by_ids(Period, ids)


# --- figures -----------------------------------------------------------------------------

async def _latest_values(kr_ids: list[int], as_of: datetime) -> dict[int, Decimal]:
    """The value of each key result's latest check-in at or before `as_of` that carried one."""
    if not kr_ids:
        return {}
    latest = (CheckIn.filter(key_result_id__in=kr_ids, value__not_isnull=True, at__lte=as_of)
              .group_by("key_result_id").annotate(latest=Max("id")).values("latest"))
    rows = await CheckIn.filter(id__in=Subquery(latest)).values_list("key_result_id", "value")
    return dict(rows)


async def _metric_values(krs: list[_KeyResult], tree: "ObjectiveTree", as_of: datetime) -> dict[int, Decimal]:
    values = {}
    with metrics.shared_reads():
        for kr in krs:
            metric = metrics.get(metrics.MetricName(kr.metric_name))
            if metric is None:  # registered when the key result was made; its source has since gone
                continue
            values[kr.id] = await metric.compute(tree.metric_teams(kr), tree.period_of(kr.objective_id), as_of)
    return values


def decoded_team_ids(stored) -> list[int] | None:
    """A key result's `metric_team_ids` as stored (a JSON list or null): the list, also where a raw read gives the
    JSON text rather than the decoded value."""
    return json.loads(stored) if isinstance(stored, str) else stored


@dataclass(frozen=True, slots=True)
class _Objective:
    id: int
    period_id: int


@dataclass(frozen=True, slots=True)
class StoredPeriod:
    """What the evaluation and the metrics read of a stored period."""
    id: int
    key: str
    start: datetime
    end: datetime
    status: PeriodStatus

    @classmethod
    def of(cls, period_id, key, start, end, status) -> "StoredPeriod":
        return cls(period_id, key, rawsql.as_utc(start), rawsql.as_utc(end), PeriodStatus(status))


@dataclass(frozen=True, slots=True)
class _KeyResult:
    id: int
    objective_id: int
    kind: rules.KeyResultKind
    start: Decimal
    target: Decimal
    weight: Decimal
    source: KeyResultSource
    metric_name: str | None
    metric_team_ids: list[int] | None

    @classmethod
    def of(cls, *, id, objective_id, kind, start, target, weight, source, metric_name, metric_team_ids) -> "_KeyResult":
        """A row of key_result by column name (rawsql.records)."""
        return cls(id, objective_id, rules.KeyResultKind(kind), Decimal(str(start)), Decimal(str(target)),
                   Decimal(str(weight)), KeyResultSource(source), metric_name, decoded_team_ids(metric_team_ids))


@dataclass
class ObjectiveTree:
    """Objectives with, level by level, their contributing children, their periods, live key results, the closed
    periods' frozen rows and the owner teams a METRIC key result without named teams follows."""
    objectives: dict[int, _Objective]
    periods: dict[int, StoredPeriod]
    children: dict[int, list[int]]
    krs: list[_KeyResult]
    snapshots: dict[int, KeyResultSnapshot]
    scores: dict[int, ObjectiveScore]
    owners: dict[int, list[int]]

    def period_of(self, objective_id: int) -> StoredPeriod:
        return self.periods[self.objectives[objective_id].period_id]

    def metric_teams(self, kr: _KeyResult) -> list[int]:
        return rules.metric_teams(kr.metric_team_ids, self.owners.get(kr.objective_id, []))


async def objective_tree(ids: Sequence[int]) -> ObjectiveTree:
    """The rows an evaluation or a series reads: a fixed number of statements (one round per level of children)."""
    pending = list(dict.fromkeys(ids))
    objectives: dict[int, _Objective] = {}
    periods: dict[int, StoredPeriod] = {}
    children: dict[int, list[int]] = {}
    # Gather the objectives and, level by level, their contributing children (one round of queries per level).
    while pending:
        batch = rawsql.int_list(i for i in pending if i not in objectives)
        for objective_id, *period in await rawsql.rows(f"""
                SELECT o.id, p.id, p.key, p.start, p."end", p.status FROM objective o JOIN period p ON p.id = o.period_id
                WHERE o.id IN ({batch})"""):
            objectives[objective_id] = _Objective(objective_id, period[0])
            if period[0] not in periods:
                periods[period[0]] = StoredPeriod.of(*period)
        links = await rawsql.rows(f"""
            SELECT l.parent_id, l.child_id FROM objective_link l JOIN objective c ON c.id = l.child_id
            WHERE l.parent_id IN ({batch}) AND l.kind = :contributes AND c.archived_at IS NULL""",
                                  contributes=LinkKind.CONTRIBUTES.value)
        pending = []
        for parent_id, child_id in links:
            children.setdefault(parent_id, []).append(child_id)
            if child_id not in objectives:
                pending.append(child_id)
    all_ids = rawsql.int_list(objectives)
    krs = await rawsql.records(_KeyResult.of, f"""
        SELECT id, objective_id, kind, start, target, weight, source, metric_name, metric_team_ids FROM key_result
        WHERE objective_id IN ({all_ids}) AND archived_at IS NULL ORDER BY id""")
    closed_ids = [i for i, o in objectives.items() if periods[o.period_id].status is PeriodStatus.CLOSED]
    snapshots, scores = {}, {}
    if closed_ids:
        snapshots = {s.key_result_id: s for s in await KeyResultSnapshot.filter(key_result__objective_id__in=closed_ids)}
        scores = {s.objective_id: s for s in await ObjectiveScore.filter(objective_id__in=closed_ids)}
    owners: dict[int, list[int]] = {}
    ownerless = {k.objective_id for k in krs if k.source is KeyResultSource.METRIC and not k.metric_team_ids
                 and k.id not in snapshots}  # these follow their owners
    for objective_id, team_id in await rawsql.rows(f"""
            SELECT objective_id, team_id FROM objective_owner WHERE objective_id IN ({rawsql.int_list(ownerless)})
            ORDER BY id""") if ownerless else []:
        owners.setdefault(objective_id, []).append(team_id)
    return ObjectiveTree(objectives, periods, children, krs, snapshots, scores, owners)


async def evaluate_objectives(ids: Sequence[int], as_of: datetime | None = None) -> dict[int, ObjectiveFigures]:
    """Progress, expected progress, status and score of each objective and of its live key results as of `as_of`
    (default: the service clock, so the live figures are the as-of-now ones), with its contributing children's
    progress rolled in. Only facts dated at or before `as_of` count: a check-in from its time, a lead from its MQL
    time, a deal from its close or creation as the metric says (the metrics' as-of rule). Closed periods answer from
    their frozen snapshot. The live reads are hand-written statements into plain values (a goals page asks this on
    every request); a plain domain function, usable outside GraphQL (pay as of a day)."""
    now = as_of if as_of is not None else clock.now()
    results: dict[int, ObjectiveFigures] = {}
    tree = await objective_tree(ids)
    objectives, periods, children, krs = tree.objectives, tree.periods, tree.children, tree.krs
    snapshots, scores = tree.snapshots, tree.scores
    manual = [k.id for k in krs if k.source is KeyResultSource.MANUAL and k.id not in snapshots]
    latest = await _latest_values(manual, now)
    metric_krs = [k for k in krs if k.source is KeyResultSource.METRIC and k.id not in snapshots]
    metric_values = await _metric_values(metric_krs, tree, now) if metric_krs else {}
    krs_of = dict(zip(objectives, grouped(krs, lambda k: k.objective_id, list(objectives))))

    def figures_of(objective_id: int) -> ObjectiveFigures:
        if objective_id in results:
            return results[objective_id]
        o = objectives[objective_id]
        period = periods[o.period_id]
        closed = period.status is PeriodStatus.CLOSED
        expected = rules.expected_progress(period.start, period.end, now, closed)
        kr_figures = {}
        for kr in krs_of.get(objective_id, []):
            snap = snapshots.get(kr.id)
            if snap is not None:
                kr_figures[kr.id] = KeyResultFigures(snap.current, snap.raw_progress,
                                                     rules.clamp(snap.raw_progress), snap.status)
                continue
            current = metric_values.get(kr.id, kr.start) if kr.source is KeyResultSource.METRIC \
                else latest.get(kr.id, kr.start)
            raw = rules.raw_progress(kr.kind, kr.start, kr.target, current)
            progress = rules.clamp(raw)
            kr_figures[kr.id] = KeyResultFigures(current, raw, progress, rules.status(progress, expected))
        child_figures = [figures_of(c) for c in children.get(objective_id, [])]
        score_row = scores.get(objective_id)
        if score_row is not None:
            figures = ObjectiveFigures(score_row.progress, expected, score_row.status, score_row.score,
                                       score_row.override_score, score_row.override_reason, kr_figures)
        else:
            progress = rules.weighted_progress(
                [(kr.weight, kr_figures[kr.id].progress) for kr in krs_of.get(objective_id, [])]
                + [(rules.ONE, c.progress) for c in child_figures])
            own = rules.status(progress, expected)
            parts = [k.status for k in kr_figures.values()] + [c.status for c in child_figures]
            figures = ObjectiveFigures(progress, expected, rules.weakest(parts) or own, key_results=kr_figures)
            if closed:  # closed before this objective existed or was restored: score it as it stands
                figures.score = rules.score(progress)
        results[objective_id] = figures
        return figures

    for objective_id in objectives:
        figures_of(objective_id)
    return {i: results[i] for i in ids if i in results}


# --- the objectives export -----------------------------------------------------------------

@dataclass(frozen=True)
class ObjectiveExport:
    """A live objective of the export with its owners, live key results (id order) and figures."""
    objective: Objective
    owners: list[ObjectiveOwner]
    key_results: list[KeyResult]
    figures: ObjectiveFigures


async def period_objectives(period_key: str, batch: int = 100):
    """The live objectives of a stored period in id order (as `objectives(period)` pages them), each with its
    owners, live key results and the figures evaluate_objectives gives GraphQL; read `batch` objectives at a time,
    a fixed number of statements per batch. Nothing for a period never stored."""
    stored = await Period.get_or_none(key=period_key)
    if stored is None:
        return
    after = None
    while True:
        rows, more = await fetch_page(Objective.filter(period_id=stored.id, archived_at=None), Page(batch, after))
        if not rows:
            return
        ids = [o.id for o in rows]
        figures = await evaluate_objectives(ids)
        owners = await owners_by_objective(ids)
        key_results = await live_key_results_by_objective(ids)
        for o, own, krs in zip(rows, owners, key_results):
            yield ObjectiveExport(o, own, krs, figures[o.id])
        if not more:
            return
        after = ids[-1]


# --- PERCENT values written as whole percents ---------------------------------------------

@dataclass(frozen=True)
class PercentOutOfRange:
    """A stored start, target or check-in value of a PERCENT key result outside -10..10 (a whole percent typed
    before the rule refused it), with the message the rule gives now."""
    period_key: str
    objective_title: str
    key_result_id: int
    key_result_title: str
    field: str          # start, target, or check-in #<id>
    value: Decimal
    problem: str


async def percent_values_out_of_range() -> list[PercentOutOfRange]:
    """Every stored PERCENT value the rule would refuse now (archived key results included), by key result.
    Read in Python from the PERCENT key results and their check-ins (few rows: goals, not leads), because SQLite
    keeps decimals as text and would compare them as text."""
    krs = await KeyResult.filter(unit=rules.Unit.PERCENT).order_by("id")
    if not krs:
        return []
    objectives = {o.id: o for o in await Objective.filter(id__in={k.objective_id for k in krs})}
    periods = dict(await Period.filter(id__in={o.period_id for o in objectives.values()}).values_list("id", "key"))
    ids = [k.id for k in krs]
    check_ins = grouped(await CheckIn.filter(key_result_id__in=ids, value__isnull=False).order_by("id"),
                        lambda c: c.key_result_id, ids)
    found = []
    for k, values_of_k in zip(krs, check_ins):
        o = objectives[k.objective_id]
        values = [("start", k.start), ("target", k.target)] + [(f"check-in #{c.id}", c.value) for c in values_of_k]
        for name, value in values:
            if (problem := rules.percent_value_problem(k.unit, value)) is not None:
                found.append(PercentOutOfRange(periods.get(o.period_id, ""), o.title, k.id, k.title, name, value,
                                               problem))
    return found
