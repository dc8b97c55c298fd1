"""Mutations of key results: add, change, archive, and check in (LEADER and ADMIN manage them; members of an owner
team, or ADMIN, check in)."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.goals import service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.permissions import EditsGoals
from schema.goals.types import CheckIn, KeyResult, KeyResultKind, KeyResultSource, MetricName, Unit


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


@strawberry.type
class KeyResultMutation:
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
            kr = await service.get_key_result(row.key_result_id)
            result._key_result = KeyResult.from_model(kr)
            result.check_in = CheckIn.from_model(row, kr.unit)
        return result
