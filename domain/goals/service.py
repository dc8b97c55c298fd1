"""Shared-goal use cases: objectives, key results, check-ins, roll-over, closing and reopening periods."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain import clock, events
from domain.access.rules import check_in_refusal, enforce, objective_edit_refusal, objective_owners_refusal
from domain.audit.service import record
from domain import texts
from domain.errors import DomainError, ErrorCode, Problems, invalid, not_found
from domain.goals import metrics
from domain.goals.models import (
    CheckIn, KeyResult, KeyResultSnapshot, Objective, ObjectiveLink, ObjectiveOwner, ObjectiveScore,
)
from domain.goals.rules import (
    ONE, ZERO, KeyResultKind, KeyResultSource, LinkKind, Unit, creates_cycle, percent_value_problem, score,
    shares_problem, target_problem,
)
from domain.org.models import Period, Team
from domain.org.rules import PeriodStatus, Principal
from domain.org.service import ensure_period, parse_key

MAX_TITLE = texts.TITLE


@dataclass(frozen=True)
class OwnerShare:
    team_id: int
    share: Decimal


@dataclass(frozen=True)
class ParentLink:
    objective_id: int
    kind: LinkKind


# --- audit snapshots ---------------------------------------------------------------------

async def objective_snapshot(o: Objective) -> dict[str, Any]:
    owners = await ObjectiveOwner.filter(objective_id=o.id).order_by("team_id")
    links = await ObjectiveLink.filter(child_id=o.id).order_by("parent_id")
    return {
        "title": o.title, "description": o.description, "period_id": o.period_id, "version": o.version,
        "archived": o.archived_at is not None,
        "owners": [{"team_id": w.team_id, "share": str(w.share.normalize())} for w in owners],
        "parents": [{"objective_id": k.parent_id, "link": k.kind.value} for k in links],
    }


def key_result_snapshot(k: KeyResult) -> dict[str, Any]:
    return {
        "objective_id": k.objective_id, "title": k.title, "kind": k.kind.value, "unit": k.unit.value,
        "start": str(k.start.normalize()), "target": str(k.target.normalize()), "weight": str(k.weight.normalize()),
        "source": k.source.value, "metric": k.metric_name, "metric_team_ids": k.metric_team_ids,
        "version": k.version, "archived": k.archived_at is not None,
    }


# --- checks shared by the use cases ------------------------------------------------------

def _text(text: str | None, limit: int, problems: Problems, *path: str) -> str:
    """A free text, stripped, with a problem on `path` when it is longer than its kind's limit."""
    text = (text or "").strip()
    if (message := texts.too_long(text, limit)) is not None:
        problems.add(ErrorCode.INVALID, message, *path)
    return text


def _title(title: str | None, problems: Problems, *path: str) -> str:
    title = (title or "").strip()
    if not title:
        problems.add(ErrorCode.INVALID, "a title is needed", *path)
    elif len(title) > MAX_TITLE:
        problems.add(ErrorCode.INVALID, f"a title has at most {MAX_TITLE} characters", *path)
    return title


async def _check_owners(owners: list[OwnerShare], problems: Problems) -> None:
    if (message := shares_problem([o.share for o in owners])) is not None:
        problems.add(ErrorCode.INVALID, f"owner shares: {message}", "owners")
    team_ids = [o.team_id for o in owners]
    if len(set(team_ids)) != len(team_ids):
        problems.add(ErrorCode.INVALID, "a team can own an objective only once", "owners")
    found = set(await Team.filter(id__in=team_ids).values_list("id", flat=True)) if team_ids else set()
    for i, owner in enumerate(owners):
        if owner.team_id not in found:
            problems.add(ErrorCode.NOT_FOUND, "no team has this id", "owners", str(i), "teamId")


async def _parents_of_all() -> dict[int, list[int]]:
    graph: dict[int, list[int]] = {}
    for child_id, parent_id in await ObjectiveLink.all().values_list("child_id", "parent_id"):
        graph.setdefault(child_id, []).append(parent_id)
    return graph


async def _check_parents(parents: list[ParentLink], child_id: int | None, problems: Problems) -> None:
    ids = [p.objective_id for p in parents]
    if len(set(ids)) != len(ids):
        problems.add(ErrorCode.INVALID, "a parent can be named only once", "parents")
    found = set(await Objective.filter(id__in=ids).values_list("id", flat=True)) if ids else set()
    for i, parent in enumerate(parents):
        if parent.objective_id not in found:
            problems.add(ErrorCode.NOT_FOUND, "no objective has this id", "parents", str(i), "objectiveId")
    if child_id is not None and ids:
        graph = await _parents_of_all()
        graph.pop(child_id, None)  # the links being replaced
        if creates_cycle(child_id, ids, graph):
            problems.add(ErrorCode.INVALID, "an objective cannot align under itself or its own descendants",
                         "parents")


async def _open_period(period_id: int, *path: str) -> Period:
    period = await Period.get(id=period_id)
    if period.status is PeriodStatus.CLOSED:
        raise DomainError.one(ErrorCode.PERIOD_CLOSED, f"{period.key} is closed; an admin may reopen it", *path)
    return period


async def _existing(model, row_id: int, noun: str, path: tuple[str, ...]):
    row = await model.get_or_none(id=row_id)
    if row is None:
        raise not_found(f"no {noun} has this id", *(path or ("id",)))
    return row


async def _objective(objective_id: int, *path: str) -> Objective:
    return await _existing(Objective, objective_id, "objective", path)


async def owner_team_ids(objective_id: int) -> list[int]:
    return list(await ObjectiveOwner.filter(objective_id=objective_id).values_list("team_id", flat=True))


async def _editable(actor: Principal, objective: Objective, *path: str) -> None:
    """Refuse (FORBIDDEN) an actor who may not change this objective or its key results."""
    enforce(objective_edit_refusal(actor, await owner_team_ids(objective.id)), *(path or ("id",)))


async def _bump_version(model, row_id: int, expected_version: int | None) -> None:
    """Optimistic concurrency: the version moves only if it is still the one the caller saw (atomic in SQL)."""
    query = model.filter(id=row_id)
    if expected_version is not None:
        query = query.filter(version=expected_version)
    row = await model.get(id=row_id)
    changed = await query.update(version=row.version + 1 if expected_version is None else expected_version + 1)
    if not changed:
        current = await model.get(id=row_id)
        raise DomainError.one(ErrorCode.CONFLICT,
                              f"it was changed meanwhile (now version {current.version}); reload and retry",
                              "expectedVersion")


async def _write_owners(objective_id: int, owners: list[OwnerShare]) -> None:
    await ObjectiveOwner.filter(objective_id=objective_id).delete()
    await ObjectiveOwner.bulk_create([ObjectiveOwner(objective_id=objective_id, team_id=o.team_id, share=o.share)
                                      for o in owners])


async def _write_parents(child_id: int, parents: list[ParentLink]) -> None:
    await ObjectiveLink.filter(child_id=child_id).delete()
    await ObjectiveLink.bulk_create([ObjectiveLink(child_id=child_id, parent_id=p.objective_id, kind=p.kind)
                                     for p in parents])


# --- objectives --------------------------------------------------------------------------

async def create_objective(actor: Principal, title: str, description: str | None, period_key: str,
                           owners: list[OwnerShare], parents: list[ParentLink] | None = None) -> Objective:
    problems = Problems()
    title = _title(title, problems, "title")
    description = _text(description, texts.DESCRIPTION, problems, "description")
    parents = parents or []
    async with in_transaction():
        parse_key(period_key, "period")
        enforce(objective_owners_refusal(actor, [o.team_id for o in owners]), "owners")
        await _check_owners(owners, problems)
        await _check_parents(parents, None, problems)
        problems.raise_if_any()
        period = await ensure_period(period_key)
        await _open_period(period.id, "period")
        objective = await Objective.create(title=title, description=description,
                                           period_id=period.id, created_at=clock.now())
        await _write_owners(objective.id, owners)
        await _write_parents(objective.id, parents)
        await record(actor, "objectiveCreate", "Objective", objective.id, None,
                     {**await objective_snapshot(objective), "period": period.key})
    return objective


async def update_objective(actor: Principal, objective_id: int, expected_version: int, title: str | None = None,
                           description: str | None = None, owners: list[OwnerShare] | None = None,
                           parents: list[ParentLink] | None = None) -> Objective:
    """Change the fields given (None leaves one as it is); a stale expectedVersion is a CONFLICT."""
    problems = Problems()
    async with in_transaction():
        objective = await _objective(objective_id)
        await _editable(actor, objective)
        if owners is not None:
            enforce(objective_owners_refusal(actor, [o.team_id for o in owners]), "owners")
        await _open_period(objective.period_id)
        if objective.archived_at is not None:
            raise invalid("an archived objective cannot be changed", "id")
        new_title = _title(title, problems, "title") if title is not None else objective.title
        if description is not None:
            description = _text(description, texts.DESCRIPTION, problems, "description")
        if owners is not None:
            await _check_owners(owners, problems)
        if parents is not None:
            await _check_parents(parents, objective.id, problems)
        problems.raise_if_any()
        before = await objective_snapshot(objective)
        await _bump_version(Objective, objective.id, expected_version)
        new_description = description.strip() if description is not None else objective.description
        await Objective.filter(id=objective.id).update(title=new_title, description=new_description)
        if owners is not None:
            await _write_owners(objective.id, owners)
        if parents is not None:
            await _write_parents(objective.id, parents)
        objective = await Objective.get(id=objective.id)
        await record(actor, "objectiveUpdate", "Objective", objective.id, before, await objective_snapshot(objective))
    return objective


async def archive_objective(actor: Principal, objective_id: int, expected_version: int | None) -> Objective:
    async with in_transaction():
        objective = await _objective(objective_id)
        await _editable(actor, objective)
        await _open_period(objective.period_id)
        if objective.archived_at is not None:
            return objective
        before = await objective_snapshot(objective)
        await _bump_version(Objective, objective.id, expected_version)
        await Objective.filter(id=objective.id).update(archived_at=clock.now())
        objective = await Objective.get(id=objective.id)
        await record(actor, "objectiveArchive", "Objective", objective.id, before, await objective_snapshot(objective))
    return objective


# --- key results -------------------------------------------------------------------------

@dataclass
class KeyResultFields:
    title: str
    kind: KeyResultKind
    unit: Unit
    start: Decimal
    target: Decimal
    weight: Decimal = ONE
    source: KeyResultSource = KeyResultSource.MANUAL
    metric_name: metrics.MetricName | None = None
    metric_team_ids: list[int] | None = None


async def _check_key_result(f: KeyResultFields, problems: Problems,
                            percent_checked: tuple[str, ...] = ("start", "target")) -> None:
    """`percent_checked`: the values held to the PERCENT rule (an update checks only what it changes, so a key
    result stored before the rule can still be renamed)."""
    f.title = _title(f.title, problems, "title")
    for field in percent_checked:
        if (message := percent_value_problem(f.unit, getattr(f, field))) is not None:
            problems.add(ErrorCode.INVALID, message, field)
    if (message := target_problem(f.kind, f.start, f.target)) is not None:
        problems.add(ErrorCode.INVALID, message, "target")
    if f.weight <= ZERO:
        problems.add(ErrorCode.INVALID, "a weight must be above 0", "weight")
    if f.source is KeyResultSource.METRIC:
        if f.metric_name is None:
            problems.add(ErrorCode.INVALID, "a METRIC key result names its metric", "metric")
        elif metrics.get(f.metric_name) is None:
            problems.add(ErrorCode.INVALID, f"the metric {f.metric_name.value} has no data source in this "
                                            "installation yet", "metric", "name")
        if f.metric_team_ids:
            found = set(await Team.filter(id__in=f.metric_team_ids).values_list("id", flat=True))
            if found != set(f.metric_team_ids):
                problems.add(ErrorCode.NOT_FOUND, "a team id names nothing", "metric", "teamIds")
    elif f.metric_name is not None:
        problems.add(ErrorCode.INVALID, "a MANUAL key result takes no metric", "metric")


async def create_key_result(actor: Principal, objective_id: int, fields: KeyResultFields) -> KeyResult:
    problems = Problems()
    async with in_transaction():
        objective = await _objective(objective_id, "objectiveId")
        await _editable(actor, objective, "objectiveId")
        await _open_period(objective.period_id, "objectiveId")
        if objective.archived_at is not None:
            raise invalid("an archived objective takes no new key results", "objectiveId")
        await _check_key_result(fields, problems)
        problems.raise_if_any()
        kr = await KeyResult.create(
            objective_id=objective.id, title=fields.title, kind=fields.kind, unit=fields.unit, start=fields.start,
            target=fields.target, weight=fields.weight, source=fields.source,
            metric_name=fields.metric_name.value if fields.metric_name else None,
            metric_team_ids=fields.metric_team_ids, created_at=clock.now())
        await record(actor, "keyResultCreate", "KeyResult", kr.id, None, key_result_snapshot(kr))
    return kr


async def _key_result(key_result_id: int, *path: str) -> KeyResult:
    return await _existing(KeyResult, key_result_id, "key result", path)


def _fields_of(kr: KeyResult) -> KeyResultFields:
    return KeyResultFields(title=kr.title, kind=kr.kind, unit=kr.unit, start=kr.start, target=kr.target,
                           weight=kr.weight, source=kr.source,
                           metric_name=metrics.MetricName(kr.metric_name) if kr.metric_name else None,
                           metric_team_ids=kr.metric_team_ids)


async def update_key_result(actor: Principal, key_result_id: int, expected_version: int,
                            changes: dict[str, Any]) -> KeyResult:
    """Change title, kind, unit, start, target or weight (names as in KeyResultFields)."""
    problems = Problems()
    async with in_transaction():
        kr = await _key_result(key_result_id)
        objective = await Objective.get(id=kr.objective_id)
        await _editable(actor, objective)
        await _open_period(objective.period_id)
        if kr.archived_at is not None:
            raise invalid("an archived key result cannot be changed", "id")
        if objective.archived_at is not None:
            raise invalid("the objective is archived: its key results are frozen with it", "id")
        fields = _fields_of(kr)
        for name, value in changes.items():
            setattr(fields, name, value)
        await _check_key_result(fields, problems, ("start", "target") if "unit" in changes else
                                tuple(name for name in ("start", "target") if name in changes))
        problems.raise_if_any()
        before = key_result_snapshot(kr)
        await _bump_version(KeyResult, kr.id, expected_version)
        await KeyResult.filter(id=kr.id).update(title=fields.title, kind=fields.kind, unit=fields.unit,
                                                start=fields.start, target=fields.target, weight=fields.weight)
        kr = await KeyResult.get(id=kr.id)
        await record(actor, "keyResultUpdate", "KeyResult", kr.id, before, key_result_snapshot(kr))
    events.publish(events.objective_topic(kr.objective_id), kr.id)
    return kr


async def archive_key_result(actor: Principal, key_result_id: int, expected_version: int | None) -> KeyResult:
    async with in_transaction():
        kr = await _key_result(key_result_id)
        objective = await Objective.get(id=kr.objective_id)
        await _editable(actor, objective)
        await _open_period(objective.period_id)
        if kr.archived_at is not None:
            return kr
        if objective.archived_at is not None:
            raise invalid("the objective is archived: its key results are frozen with it", "id")
        before = key_result_snapshot(kr)
        await _bump_version(KeyResult, kr.id, expected_version)
        await KeyResult.filter(id=kr.id).update(archived_at=clock.now())
        kr = await KeyResult.get(id=kr.id)
        await record(actor, "keyResultArchive", "KeyResult", kr.id, before, key_result_snapshot(kr))
    return kr


async def check_in(actor: Principal, key_result_id: int, value: Decimal | None, confidence: Decimal | None,
                   comment: str | None) -> CheckIn:
    """Append a check-in (never edited). METRIC key results take comment and confidence, not a value."""
    problems = Problems()
    comment = _text(comment, texts.COMMENT, problems, "comment")
    async with in_transaction():
        kr = await _key_result(key_result_id, "keyResultId")
        objective = await Objective.get(id=kr.objective_id)
        enforce(check_in_refusal(actor, await owner_team_ids(objective.id)), "keyResultId")
        await _open_period(objective.period_id, "keyResultId")
        if kr.archived_at is not None or objective.archived_at is not None:
            raise invalid("this key result is archived", "keyResultId")
        if value is not None and kr.source is KeyResultSource.METRIC:
            problems.add(ErrorCode.INVALID, "a METRIC key result computes its value; give a comment or confidence",
                         "value")
        elif (message := percent_value_problem(kr.unit, value)) is not None:
            problems.add(ErrorCode.INVALID, message, "value")
        if confidence is not None and not ZERO <= confidence <= ONE:
            problems.add(ErrorCode.INVALID, "confidence is between 0 and 1", "confidence")
        if value is None and confidence is None and not comment:
            problems.add(ErrorCode.INVALID, "a check-in needs a value, a confidence or a comment", "value")
        problems.raise_if_any()
        row = await CheckIn.create(key_result_id=kr.id, value=value, confidence=confidence, comment=comment,
                                   author_person_id=actor.person_id, author_name=actor.name, at=clock.now())
        await record(actor, "keyResultCheckIn", "KeyResult", kr.id, None, {
            "check_in_id": row.id, "value": None if value is None else str(value),
            "confidence": None if confidence is None else str(confidence), "comment": comment})
    events.publish(events.objective_topic(kr.objective_id), kr.id)
    return row


# --- roll-over ---------------------------------------------------------------------------

def _rolled_over_by(actor: Principal, objectives: list[Objective], owner_rows: list[ObjectiveOwner],
                    named: bool) -> list[Objective]:
    """The objectives the actor may copy: those they may edit. Naming another is FORBIDDEN; without names, the
    others are left where they are."""
    owners: dict[int, list[int]] = {}
    for w in owner_rows:
        owners.setdefault(w.objective_id, []).append(w.team_id)
    allowed, refusal = [], None
    for o in objectives:
        refusal = objective_edit_refusal(actor, owners.get(o.id, []))
        if refusal is None:
            allowed.append(o)
        elif named:
            enforce(f"{o.title}: {refusal}", "objectiveIds")
    if objectives and not allowed:
        enforce(f"none of these objectives is yours to roll over: {refusal}", "fromPeriod")
    return allowed


async def roll_over(actor: Principal, from_key: str, to_key: str | None = None,
                    objective_ids: list[int] | None = None,
                    targets: dict[int, Decimal] | None = None) -> list[Objective]:
    """Copy a period's objectives with their owners, links and key results into another period (the next one by
    default). Targets may be changed on the way (by key result id); check-ins and scores are not copied."""
    source_q = parse_key(from_key, "fromPeriod")
    to_key = to_key or source_q.next().key
    target_q = parse_key(to_key, "toPeriod")
    if target_q.key == source_q.key:
        raise invalid("roll over into another period", "toPeriod")
    targets = targets or {}
    async with in_transaction():
        source = await Period.get_or_none(key=source_q.key)
        query = Objective.filter(period_id=source.id if source else -1, archived_at=None)
        if objective_ids is not None:
            query = query.filter(id__in=objective_ids)
        objectives = await query.order_by("id")
        if objective_ids is not None and len(objectives) != len(set(objective_ids)):
            raise not_found("an objective id names nothing live in the source period", "objectiveIds")
        owners = await ObjectiveOwner.filter(objective_id__in=[o.id for o in objectives])
        objectives = _rolled_over_by(actor, objectives, owners, named=objective_ids is not None)
        if not objectives:
            raise invalid(f"{source_q.key} has no live objectives that you may roll over", "fromPeriod")
        destination = await ensure_period(target_q.key)
        await _open_period(destination.id, "toPeriod")
        already = await Objective.filter(period_id=destination.id,
                                         rolled_over_from_id__in=[o.id for o in objectives]).count()
        if already:
            raise DomainError.one(ErrorCode.DUPLICATE, f"{already} of these objectives were already rolled over "
                                                       f"into {target_q.key}", "objectiveIds")
        ids = [o.id for o in objectives]
        krs = await KeyResult.filter(objective_id__in=ids, archived_at=None).order_by("id")
        unknown = set(targets) - {k.id for k in krs}
        if unknown:
            raise not_found("a key result id of `targets` is not among those rolled over", "targets")
        copied = set(ids)
        owners = [w for w in owners if w.objective_id in copied]
        links = await ObjectiveLink.filter(child_id__in=ids)
        problems = Problems()
        for kr in krs:
            if kr.id in targets and (message := percent_value_problem(kr.unit, targets[kr.id])
                                     or target_problem(kr.kind, kr.start, targets[kr.id])):
                problems.add(ErrorCode.INVALID, f"{kr.title}: {message}", "targets")
        problems.raise_if_any()

        copies: dict[int, Objective] = {}
        now = clock.now()
        for o in objectives:
            copies[o.id] = await Objective.create(title=o.title, description=o.description, period_id=destination.id,
                                                  rolled_over_from_id=o.id, created_at=now)
        await ObjectiveOwner.bulk_create([ObjectiveOwner(objective_id=copies[w.objective_id].id, team_id=w.team_id,
                                                         share=w.share) for w in owners])
        await ObjectiveLink.bulk_create([ObjectiveLink(
            child_id=copies[k.child_id].id, kind=k.kind,
            parent_id=copies[k.parent_id].id if k.parent_id in copies else k.parent_id) for k in links])
        await KeyResult.bulk_create([KeyResult(
            objective_id=copies[k.objective_id].id, title=k.title, kind=k.kind, unit=k.unit, start=k.start,
            target=targets.get(k.id, k.target), weight=k.weight, source=k.source, metric_name=k.metric_name,
            metric_team_ids=k.metric_team_ids, created_at=now) for k in krs])
        for original, copy in copies.items():
            await record(actor, "objectiveRollOver", "Objective", copy.id, None,
                         {**await objective_snapshot(copy), "rolled_over_from": original})
    return list(copies.values())


# --- closing, reopening, score overrides -------------------------------------------------

async def freeze_goals(period: Period) -> int:
    """Freeze every live objective's score and key-result figures as they are now (inside the closing transaction)."""
    from domain.goals.queries import evaluate_objectives

    ids = list(await Objective.filter(period_id=period.id, archived_at=None).values_list("id", flat=True))
    figures = await evaluate_objectives(ids)
    await ObjectiveScore.bulk_create([ObjectiveScore(
        objective_id=i, progress=f.progress, status=f.status, score=score(f.progress))
        for i, f in figures.items()])
    await KeyResultSnapshot.bulk_create([KeyResultSnapshot(
        key_result_id=kr_id, current=k.current, raw_progress=k.raw_progress, status=k.status)
        for f in figures.values() for kr_id, k in f.key_results.items()])
    return len(figures)


async def thaw_goals(period: Period) -> None:
    """Drop a reopened period's frozen figures: live ones return."""
    ids = list(await Objective.filter(period_id=period.id).values_list("id", flat=True))
    await ObjectiveScore.filter(objective_id__in=ids).delete()
    await KeyResultSnapshot.filter(key_result__objective_id__in=ids).delete()


async def override_score(actor: Principal, objective_id: int, new_score: Decimal, reason: str) -> ObjectiveScore:
    reason = (reason or "").strip()
    problems = Problems()
    if not ZERO <= new_score <= ONE or new_score != new_score.quantize(Decimal("0.1")):
        problems.add(ErrorCode.INVALID, "a score is between 0.0 and 1.0 with one decimal", "score")
    if not reason:
        problems.add(ErrorCode.INVALID, "an override needs a reason", "reason")
    elif (message := texts.too_long(reason, texts.REASON)) is not None:
        problems.add(ErrorCode.INVALID, message, "reason")
    async with in_transaction():
        objective = await _objective(objective_id, "objectiveId")
        await _editable(actor, objective, "objectiveId")
        row = await ObjectiveScore.get_or_none(objective_id=objective.id)
        if row is None:
            problems.add(ErrorCode.INVALID, "an objective has a score once its period is closed", "objectiveId")
        problems.raise_if_any()
        before = {"score": str(row.score), "override_score": None if row.override_score is None
                  else str(row.override_score), "override_reason": row.override_reason}
        row.override_score, row.override_reason = new_score, reason
        row.overridden_by, row.overridden_at = actor.name, clock.now()
        await row.save()
        await record(actor, "objectiveScoreOverride", "Objective", objective.id, before,
                     {"score": str(row.score), "override_score": str(new_score), "override_reason": reason})
    return row



async def get_objective(objective_id: int) -> Objective:
    return await Objective.get(id=objective_id)


async def get_key_result(key_result_id: int) -> KeyResult:
    return await KeyResult.get(id=key_result_id)


async def get_live_objective(objective_id: int) -> Objective:
    return await _objective(objective_id, "objectiveId")
