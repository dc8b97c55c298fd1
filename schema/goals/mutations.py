"""Mutations of the shared goals. LEADER and ADMIN manage objectives; owner-team members check in."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain import closing
from domain.goals import service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.permissions import EditsGoals, IsAdmin
from schema.goals.types import CheckIn, KeyResult, KeyResultKind, KeyResultSource, LinkKind, MetricName, Objective, Unit
from schema.org.types import Period



@strawberry.input
class OwnerShareInput:
    team_id: strawberry.ID
    share: Decimal


@strawberry.input
class ObjectiveLinkInput:
    objective_id: strawberry.ID
    link: LinkKind


@strawberry.input
class ObjectiveCreateInput:
    title: str
    period: str
    owners: list[OwnerShareInput]
    description: str | None = None
    parents: list[ObjectiveLinkInput] | None = None


@strawberry.input(description="Fields left out stay as they are; `owners` and `parents` replace the lists.")
class ObjectiveUpdateInput:
    id: strawberry.ID
    expected_version: int
    title: str | None = None
    description: str | None = None
    owners: list[OwnerShareInput] | None = None
    parents: list[ObjectiveLinkInput] | None = None


@strawberry.input
class ObjectiveArchiveInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class KeyResultTargetInput:
    key_result_id: strawberry.ID
    target: Decimal


@strawberry.input(description="Copies objectives, owners, alignments and key results; not check-ins or scores.")
class ObjectiveRollOverInput:
    from_period: str
    to_period: str | None = strawberry.field(default=None, description="Default: the next quarter.")
    objective_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Default: all live ones.")
    targets: list[KeyResultTargetInput] | None = None


@strawberry.input
class ObjectiveScoreOverrideInput:
    objective_id: strawberry.ID
    score: Decimal
    reason: str


@strawberry.type
class ObjectivePayload:
    objective: Objective | None
    user_errors: list[UserError]


@strawberry.type
class ObjectiveRollOverPayload:
    objectives: list[Objective] | None
    user_errors: list[UserError]


@strawberry.input
class MetricInput:
    name: MetricName
    team_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Default: the owner teams.")


@strawberry.input
class KeyResultCreateInput:
    objective_id: strawberry.ID
    title: str
    kind: KeyResultKind
    unit: Unit
    start: Decimal
    target: Decimal
    weight: Decimal = Decimal(1)
    source: KeyResultSource = KeyResultSource.MANUAL
    metric: MetricInput | None = None


@strawberry.input(description="Fields left out stay as they are.")
class KeyResultUpdateInput:
    id: strawberry.ID
    expected_version: int
    title: str | None = None
    kind: KeyResultKind | None = None
    unit: Unit | None = None
    start: Decimal | None = None
    target: Decimal | None = None
    weight: Decimal | None = None


@strawberry.input
class KeyResultArchiveInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class KeyResultCheckInInput:
    key_result_id: strawberry.ID
    value: Decimal | None = None
    confidence: float | None = None
    comment: str | None = None


@strawberry.type
class KeyResultPayload:
    key_result: KeyResult | None
    user_errors: list[UserError]


@strawberry.type
class KeyResultCheckInPayload:
    check_in: CheckIn | None
    user_errors: list[UserError]

    @strawberry.field(description="The key result with its new figures.")
    async def key_result(self, info: Info) -> KeyResult | None:
        return self._key_result

    _key_result: strawberry.Private[KeyResult | None] = None


@strawberry.input
class PeriodCloseInput:
    period: str


@strawberry.input
class PeriodReopenInput:
    period: str
    reason: str


@strawberry.type
class PeriodPayload:
    period: Period | None
    user_errors: list[UserError]


def _owners(items: list[OwnerShareInput] | None) -> list[service.OwnerShare] | None:
    if items is None:
        return None
    return [service.OwnerShare(decode_id(o.team_id, "Team", "owners", str(i), "teamId"), o.share)
            for i, o in enumerate(items)]


def _parents(items: list[ObjectiveLinkInput] | None) -> list[service.ParentLink] | None:
    if items is None:
        return None
    return [service.ParentLink(decode_id(p.objective_id, "Objective", "parents", str(i), "objectiveId"), p.link)
            for i, p in enumerate(items)]


@strawberry.type
class GoalsMutation:
    @strawberry.mutation(permission_classes=[EditsGoals], description="Set a shared objective (LEADER, ADMIN).")
    async def objective_create(self, info: Info, input: ObjectiveCreateInput) -> ObjectivePayload | None:
        return await payload(ObjectivePayload, "objective", lambda: service.create_objective(
            info.context.viewer, input.title, input.description, input.period, _owners(input.owners),
            _parents(input.parents)), Objective.from_model)

    @strawberry.mutation(permission_classes=[EditsGoals], description="Change an objective; needs its version.")
    async def objective_update(self, info: Info, input: ObjectiveUpdateInput) -> ObjectivePayload | None:
        return await payload(ObjectivePayload, "objective", lambda: service.update_objective(
            info.context.viewer, decode_id(input.id, "Objective", "id"), input.expected_version, input.title,
            input.description, _owners(input.owners), _parents(input.parents)), Objective.from_model)

    @strawberry.mutation(permission_classes=[EditsGoals])
    async def objective_archive(self, info: Info, input: ObjectiveArchiveInput) -> ObjectivePayload | None:
        return await payload(ObjectivePayload, "objective", lambda: service.archive_objective(
            info.context.viewer, decode_id(input.id, "Objective", "id"), input.expected_version),
            Objective.from_model)

    @strawberry.mutation(permission_classes=[EditsGoals], description="Copy objectives into the next period.")
    async def objective_roll_over(self, info: Info, input: ObjectiveRollOverInput) -> ObjectiveRollOverPayload | None:
        async def use_case():
            ids = None if input.objective_ids is None else [
                decode_id(i, "Objective", "objectiveIds") for i in input.objective_ids]
            targets = {decode_id(t.key_result_id, "KeyResult", "targets", str(i), "keyResultId"): t.target
                       for i, t in enumerate(input.targets or [])}
            return await service.roll_over(info.context.viewer, input.from_period, input.to_period, ids, targets)
        return await payload(ObjectiveRollOverPayload, "objectives", use_case,
                             lambda rows: [Objective.from_model(o) for o in rows])

    @strawberry.mutation(permission_classes=[EditsGoals], description="Override a closed period's score.")
    async def objective_score_override(self, info: Info, input: ObjectiveScoreOverrideInput) -> ObjectivePayload | None:
        objective_pk = None

        async def use_case():
            nonlocal objective_pk
            objective_pk = decode_id(input.objective_id, "Objective", "objectiveId")
            await service.override_score(info.context.viewer, objective_pk, input.score, input.reason)
            return await service.get_objective(objective_pk)
        return await payload(ObjectivePayload, "objective", use_case, Objective.from_model)

    @strawberry.mutation(permission_classes=[EditsGoals])
    async def key_result_create(self, info: Info, input: KeyResultCreateInput) -> KeyResultPayload | None:
        async def use_case():
            metric = input.metric
            fields = service.KeyResultFields(
                title=input.title, kind=input.kind, unit=input.unit, start=input.start, target=input.target,
                weight=input.weight, source=input.source, metric_name=metric.name if metric else None,
                metric_team_ids=[decode_id(t, "Team", "metric", "teamIds") for t in metric.team_ids]
                if metric and metric.team_ids else None)
            return await service.create_key_result(info.context.viewer,
                                                   decode_id(input.objective_id, "Objective", "objectiveId"), fields)
        return await payload(KeyResultPayload, "key_result", use_case, KeyResult.from_model)

    @strawberry.mutation(permission_classes=[EditsGoals], description="Change a key result; needs its version.")
    async def key_result_update(self, info: Info, input: KeyResultUpdateInput) -> KeyResultPayload | None:
        changes = {name: getattr(input, name) for name in ("title", "kind", "unit", "start", "target", "weight")
                   if getattr(input, name) is not None}
        return await payload(KeyResultPayload, "key_result", lambda: service.update_key_result(
            info.context.viewer, decode_id(input.id, "KeyResult", "id"), input.expected_version, changes),
            KeyResult.from_model)

    @strawberry.mutation(permission_classes=[EditsGoals])
    async def key_result_archive(self, info: Info, input: KeyResultArchiveInput) -> KeyResultPayload | None:
        return await payload(KeyResultPayload, "key_result", lambda: service.archive_key_result(
            info.context.viewer, decode_id(input.id, "KeyResult", "id"), input.expected_version),
            KeyResult.from_model)

    @strawberry.mutation(description="Check in on a key result (members of an owner team, or ADMIN).")
    async def key_result_check_in(self, info: Info, input: KeyResultCheckInInput) -> KeyResultCheckInPayload | None:
        async def use_case():
            return await service.check_in(
                info.context.viewer, decode_id(input.key_result_id, "KeyResult", "keyResultId"), input.value,
                None if input.confidence is None else Decimal(str(input.confidence)), input.comment)
        result = await payload(KeyResultCheckInPayload, "check_in", use_case, lambda row: row)
        if result.check_in is not None:
            row = result.check_in
            result._key_result = KeyResult.from_model(await service.get_key_result(row.key_result_id))
            result.check_in = CheckIn.from_model(row)
        return result

    @strawberry.mutation(permission_classes=[EditsGoals], description="Close a period: scores are frozen.")
    async def period_close(self, info: Info, input: PeriodCloseInput) -> PeriodPayload | None:
        return await payload(PeriodPayload, "period", lambda: closing.close_period(info.context.viewer, input.period),
                             Period.from_view)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Reopen a closed period (ADMIN, with a reason).")
    async def period_reopen(self, info: Info, input: PeriodReopenInput) -> PeriodPayload | None:
        return await payload(PeriodPayload, "period", lambda: closing.reopen_period(
            info.context.viewer, input.period, input.reason), Period.from_view)
