"""GraphQL types of the shared goals. Figures come from one batched evaluation per request."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import relay

from domain import numbers
from domain.access import rules as access
from domain.errors import DomainError
from domain.goals import history, metrics, queries, rules
from domain.rawsql import as_utc
from domain.org.rules import PeriodStatus
from domain.goals import models as m
from schema.audit.types import AuditEntry, audit_page
from schema.goals import loaders
from schema.forecast.types import Forecast, ForecastStatus, key_result_forecast, objective_forecast_status
from schema.core.context import Info
from schema.core.errors import ClientError, client_error
from schema.core.pagination import Connection, page_request
from schema.org.types import Period, Person, Team, load_nodes, load_person, load_team_row, load_team_rows

KeyResultKind = strawberry.enum(rules.KeyResultKind, description="How a key result's progress is measured.")
Unit = strawberry.enum(rules.Unit, description="Unit of a key result's values (PERCENT values are fractions).")
KeyResultSource = strawberry.enum(rules.KeyResultSource,
                                  description="MANUAL: the latest check-in is the value. METRIC: computed from data.")
LinkKind = strawberry.enum(rules.LinkKind, description="CONTRIBUTES to the parent's progress, or only SUPPORTS it.")
GoalStatus = strawberry.enum(rules.Status, name="GoalStatus",
                             description="Progress against the elapsed part of the period.")
MetricName = strawberry.enum(metrics.MetricName, description="Figures a METRIC key result can follow.")
SeriesStep = strawberry.enum(rules.SeriesStep, description="The step of a series: each DAY, or each ISO WEEK (its "
                                                           "Sunday, clipped to the range).")


@strawberry.type(description="A goal's state as it stood at the end of `on` (business time: only facts dated on or "
                             "before that day count).")
class ProgressPoint:
    on: date = strawberry.field(description="The last day of the step.")
    value: Decimal | None = strawberry.field(description="The key result's value (null on Objective and team points).")
    progress: float | None = strawberry.field(description="Clamped 0..1, null when there is nothing to measure.")
    expected_progress: float = strawberry.field(description="The time-elapsed share of the period at the end of that "
                                                            "day (1 on a closed period's last day).")
    status: GoalStatus | None = strawberry.field(description="As the live status rule gives for that day.")
    score: float | None = strawberry.field(description="A closed period's final score (a leader's override wins), on "
                                                       "an objective's point of the period's last day; null elsewhere.")

    @classmethod
    def of(cls, p: history.Point, unit: rules.Unit | None = None) -> "ProgressPoint":
        return cls(on=p.on, value=numbers.key_result_value(p.value, unit) if p.value is not None and unit else None,
                   progress=numbers.ratio(p.progress), expected_progress=numbers.ratio(p.expected_progress),
                   status=p.status, score=numbers.ratio(p.score))


FromDay = Annotated[date | None, strawberry.argument(name="from", description="The first day (default: the period's "
                                                                               "first day).")]
ToDay = Annotated[date | None, strawberry.argument(description="The last day (default: today, or the period's last "
                                                               "day if earlier).")]
AsOfDay = Annotated[str | None, strawberry.argument(description=(
    "A day of the period written YYYY-MM-DD, not after today (INVALID otherwise, a malformed day too): the figures "
    "as they stood at the end of that day in business time, only facts dated on or before it counting (the rule of "
    "a series point)."))]
SERIES_DESCRIPTION = ("The figures as they stood at the end of each step from `from` to `to` (days of the period; at "
                      "most 400 points, LIMIT_EXCEEDED above; INVALID outside the period or when from is after to). "
                      "A closed period's series ends at its frozen figures.")


def series_range(start: datetime, end: datetime, closed: bool, every, first: date | None,
                 last: date | None) -> history.SeriesRange:
    """The days a series answers, or the coded error of the range."""
    try:
        return history.series_range(as_utc(start), as_utc(end), closed, rules.SeriesStep(every), first, last)
    except DomainError as e:
        raise client_error(e) from None
    except history.LimitExceeded as e:
        raise ClientError(e.message, "LIMIT_EXCEEDED") from None


async def objective_series(info: Info, objective_id: int, every, first: date | None,
                           last: date | None) -> history.ObjectiveSeries | None:
    objective = await info.context.loaders(queries.objectives_by_ids).load(objective_id)
    period = await info.context.loaders(queries.periods_by_ids).load(objective.period_id)
    rng = series_range(period.start, period.end, period.status is PeriodStatus.CLOSED, every, first, last)
    return await info.context.loaders(loaders.series_by_objective_and_range).load((objective_id, rng))


async def objective_figures(info: Info, objective_id: int) -> queries.ObjectiveFigures:
    return await info.context.loaders(loaders.figures_by_objective).load(objective_id)


@strawberry.type(description="What the viewer may do to this objective now (the rules the API applies, with the "
                               "objective's state): a front end hides what the API would refuse.")
class ObjectiveViewerCan:
    update: bool
    archive: bool
    override_score: bool = strawberry.field(description="Only a closed period's score is overridden.")
    add_key_result: bool
    check_in: bool = strawberry.field(description="Check in on its key results.")


@strawberry.type(description="What the viewer may do to this key result now.")
class KeyResultViewerCan:
    update: bool
    archive: bool
    check_in: bool


async def _objective_state(info: Info, objective_id: int) -> tuple[m.Objective, list[int], bool]:
    """An objective, its owner teams and whether its period is closed: what `viewerCan` needs."""
    objective = await info.context.loaders(queries.objectives_by_ids).load(objective_id)
    owners = await info.context.loaders(queries.owners_by_objective).load(objective_id)
    period = await info.context.loaders(queries.periods_by_ids).load(objective.period_id)
    return objective, [w.team_id for w in owners], period.status is PeriodStatus.CLOSED


async def _history(entity: str, entity_id: int, first: int, after: str | None) -> Connection[AuditEntry]:
    return await audit_page(first, after, entity=entity, entity_id=str(entity_id))


@strawberry.type(description="Who made a check-in.")
class Author:
    name: str
    person_id: strawberry.Private[int | None]

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A check-in on a key result; never edited.")
class CheckIn:
    value: Decimal | None = strawberry.field(description="At the key result's unit's scale (see KeyResult.start).")
    confidence: float | None
    comment: str
    at: datetime
    author: Author

    @classmethod
    def from_model(cls, c: m.CheckIn, unit: rules.Unit) -> "CheckIn":
        return cls(value=numbers.key_result_value(c.value, unit), confidence=numbers.ratio(c.confidence), comment=c.comment, at=c.at,
                   author=Author(name=c.author_name, person_id=c.author_person_id))


@strawberry.type(description="The figure a METRIC key result follows, and for which teams.")
class MetricBinding:
    name: MetricName
    team_ids: strawberry.Private[list[int] | None]
    objective_id: strawberry.Private[int]

    @strawberry.field(description="The teams measured: those named, or the objective's owner teams.")
    async def teams(self, info: Info) -> list[Team]:
        owners = [] if self.team_ids else [
            w.team_id for w in await info.context.loaders(queries.owners_by_objective).load(self.objective_id)]
        ids = rules.metric_teams(self.team_ids, owners)
        rows = await load_team_rows(info, ids)
        return [Team.from_model(t) for t in rows if t is not None]


@strawberry.type(description="A measurable result of an objective.")
class KeyResult(relay.Node):
    id: relay.NodeID[int]
    title: str
    kind: KeyResultKind
    unit: Unit
    start: Decimal = strawberry.field(description="Values are written at the unit's scale: CURRENCY and HOURS with "
                                                  "2 places, PERCENT (a fraction) with 6, COUNT with at most 2.")
    target: Decimal
    weight: float = strawberry.field(description="Rounded to 6 places.")
    source: KeyResultSource
    version: int
    archived: bool
    objective_id: strawberry.Private[int]
    metric_name: strawberry.Private[str | None]
    metric_team_ids: strawberry.Private[list[int] | None]

    @classmethod
    def from_model(cls, k: m.KeyResult) -> "KeyResult":
        return cls(id=k.id, title=k.title, kind=k.kind, unit=k.unit, start=numbers.key_result_value(k.start, k.unit),
                   target=numbers.key_result_value(k.target, k.unit), weight=numbers.weight(k.weight), source=k.source, version=k.version, archived=k.archived_at is not None,
                   objective_id=k.objective_id, metric_name=k.metric_name, metric_team_ids=k.metric_team_ids)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.key_results_by_ids, node_ids, cls.from_model)

    async def _figures(self, info: Info) -> queries.KeyResultFigures | None:
        figures = await objective_figures(info, self.objective_id)
        return figures.key_results.get(self.id) if figures else None

    @strawberry.field
    def metric(self) -> MetricBinding | None:
        if self.metric_name is None:
            return None
        return MetricBinding(name=metrics.MetricName(self.metric_name), team_ids=self.metric_team_ids,
                             objective_id=self.objective_id)

    @strawberry.field(description="The latest check-in's value (MANUAL) or the computed figure (METRIC); "
                                  "the start before the first check-in. Null for an archived key result.")
    async def current(self, info: Info) -> Decimal | None:
        figures = await self._figures(info)
        return numbers.key_result_value(figures.current, self.unit) if figures else None

    @strawberry.field(description="Progress clamped to [0, 1].")
    async def progress(self, info: Info) -> float | None:
        figures = await self._figures(info)
        return numbers.ratio(figures.progress) if figures else None

    @strawberry.field(description="Progress before clamping: above 1 when exceeded, negative when moved the wrong way.")
    async def raw_progress(self, info: Info) -> float | None:
        figures = await self._figures(info)
        return numbers.ratio(figures.raw_progress) if figures else None

    @strawberry.field
    async def status(self, info: Info) -> GoalStatus | None:
        figures = await self._figures(info)
        return figures.status if figures else None

    @strawberry.field(description=SERIES_DESCRIPTION + " MANUAL key results replay their check-ins; METRIC ones "
                                                       "count the facts dated on or before each day.")
    async def series(self, info: Info, every: SeriesStep = rules.SeriesStep.WEEK, from_: FromDay = None,
                     to: ToDay = None) -> list[ProgressPoint]:
        found = await objective_series(info, self.objective_id, every, from_, to)
        points = found.key_results.get(self.id) if found else None
        return [ProgressPoint.of(p, self.unit) for p in points or []]

    @strawberry.field(description="Where the figure is heading at the period's end (METRIC key results on BOOKINGS, "
                                  "ATTRIBUTED_BOOKINGS or PIPELINE_CREATED of a period not yet closed; null for "
                                  "others). See docs/rules.md, Forecast.")
    async def forecast(self, info: Info) -> Forecast | None:
        return Forecast.of(await key_result_forecast(info, self.id))

    @strawberry.field(description="Check-ins, newest first.")
    async def check_ins(self, info: Info, first: int = 20) -> list[CheckIn]:
        page_request(first, None)
        rows = await info.context.loaders(queries.check_ins_by_key_result).load(self.id)
        return [CheckIn.from_model(c, self.unit) for c in rows[:first]]

    @strawberry.field
    async def objective(self, info: Info) -> "Objective":
        return Objective.from_model(await info.context.loaders(queries.objectives_by_ids).load(self.objective_id))

    @strawberry.field(description="What the viewer may do to this key result now.")
    async def viewer_can(self, info: Info) -> KeyResultViewerCan:
        objective, owners, closed = await _objective_state(info, self.objective_id)
        can = access.key_result_abilities(info.context.viewer, owners, self.archived,
                                          objective.archived_at is not None, closed)
        return KeyResultViewerCan(update=can.update, archive=can.archive, check_in=can.check_in)

    @strawberry.field(description="Every change to this key result, oldest first.")
    async def history(self, info: Info, first: int = 20, after: str | None = None) -> Connection[AuditEntry]:
        return await _history("KeyResult", self.id, first, after)


@strawberry.type(description="An owner team and its contribution share (shares sum to 1).")
class OwnerShare:
    share: float = strawberry.field(description="Rounded to 6 places.")
    team_id: strawberry.Private[int]

    @strawberry.field
    async def team(self, info: Info) -> Team:
        return Team.from_model(await load_team_row(info, self.team_id))


@strawberry.type(description="An alignment between two objectives.")
class Alignment:
    link: LinkKind
    objective_id: strawberry.Private[int]

    @strawberry.field
    async def objective(self, info: Info) -> "Objective":
        return Objective.from_model(await info.context.loaders(queries.objectives_by_ids).load(self.objective_id))


@strawberry.type(description="A quarterly objective co-owned by one or more teams.")
class Objective(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    version: int
    archived: bool
    created_at: datetime
    period_id: strawberry.Private[int]
    rolled_over_from_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, o: m.Objective) -> "Objective":
        return cls(id=o.id, title=o.title, description=o.description, version=o.version,
                   archived=o.archived_at is not None, created_at=o.created_at, period_id=o.period_id,
                   rolled_over_from_id=o.rolled_over_from_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.objectives_by_ids, node_ids, cls.from_model)

    @strawberry.field
    async def period(self, info: Info) -> Period:
        return Period.from_view(await info.context.loaders(queries.periods_by_ids).load(self.period_id))

    @strawberry.field(description="What the viewer may do to this objective now.")
    async def viewer_can(self, info: Info) -> ObjectiveViewerCan:
        _, owners, closed = await _objective_state(info, self.id)
        can = access.objective_abilities(info.context.viewer, owners, self.archived, closed)
        return ObjectiveViewerCan(update=can.update, archive=can.archive, override_score=can.override_score,
                                  add_key_result=can.add_key_result, check_in=can.check_in)

    @strawberry.field
    async def owners(self, info: Info) -> list[OwnerShare]:
        rows = await info.context.loaders(queries.owners_by_objective).load(self.id)
        return [OwnerShare(share=numbers.weight(w.share), team_id=w.team_id) for w in rows]

    @strawberry.field(description="Objectives this one aligns to.")
    async def parents(self, info: Info) -> list[Alignment]:
        rows = await info.context.loaders(queries.parent_links_by_objective).load(self.id)
        return [Alignment(link=k.kind, objective_id=k.parent_id) for k in rows]

    @strawberry.field(description="Objectives aligned to this one.")
    async def children(self, info: Info) -> list[Alignment]:
        rows = await info.context.loaders(queries.child_links_by_objective).load(self.id)
        return [Alignment(link=k.kind, objective_id=k.child_id) for k in rows]

    @strawberry.field(description="Live (not archived) key results.")
    async def key_results(self, info: Info) -> list[KeyResult]:
        rows = await info.context.loaders(queries.live_key_results_by_objective).load(self.id)
        return [KeyResult.from_model(k) for k in rows]

    @strawberry.field(description="Weighted mean of the key results' progress and the contributing children's.")
    async def progress(self, info: Info) -> float:
        return numbers.ratio((await objective_figures(info, self.id)).progress)

    @strawberry.field(description="The elapsed fraction of the period (1 once closed).")
    async def expected_progress(self, info: Info) -> float:
        return numbers.ratio((await objective_figures(info, self.id)).expected_progress)

    @strawberry.field(description="The weakest status of its key results and contributing children.")
    async def status(self, info: Info) -> GoalStatus:
        return (await objective_figures(info, self.id)).status

    @strawberry.field(description="The weakest forecast status of its forecast key results (see KeyResult.forecast); "
                                  "null when none of them is forecast.")
    async def forecast_status(self, info: Info) -> ForecastStatus | None:
        rows = await info.context.loaders(queries.live_key_results_by_objective).load(self.id)
        return await objective_forecast_status(info, [k.id for k in rows])

    @strawberry.field(description="0.0–1.0 once the period is closed (a leader's override wins); null before.")
    async def score(self, info: Info) -> float | None:
        return numbers.ratio((await objective_figures(info, self.id)).final_score)

    @strawberry.field(description=SERIES_DESCRIPTION + " `value` is null; the progress is the weighted mean of "
                                                       "the key results' and contributing children's that day.")
    async def series(self, info: Info, every: SeriesStep = rules.SeriesStep.WEEK, from_: FromDay = None,
                     to: ToDay = None) -> list[ProgressPoint]:
        found = await objective_series(info, self.id, every, from_, to)
        return [ProgressPoint.of(p) for p in found.points] if found else []

    @strawberry.field
    async def score_override_reason(self, info: Info) -> str | None:
        return (await objective_figures(info, self.id)).score_override_reason

    @strawberry.field
    async def rolled_over_from(self, info: Info) -> "Objective | None":
        if self.rolled_over_from_id is None:
            return None
        row = await info.context.loaders(queries.objectives_by_ids).load(self.rolled_over_from_id)
        return Objective.from_model(row) if row else None

    @strawberry.field(description="Every change to this objective, oldest first.")
    async def history(self, info: Info, first: int = 20, after: str | None = None) -> Connection[AuditEntry]:
        return await _history("Objective", self.id, first, after)


@strawberry.type(description="A figure key results can follow.")
class MetricInfo:
    name: MetricName
    unit: Unit | None = strawberry.field(description="Null until the figure has a data source.")
    description: str
    available: bool
