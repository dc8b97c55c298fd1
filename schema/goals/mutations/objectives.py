"""Mutations of objectives: set, change, archive, roll over to the next period, override a closed score (LEADER,
ADMIN)."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.goals import service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.permissions import EditsGoals
from schema.goals.types import LinkKind, Objective



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
class ObjectiveMutation:
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
