"""Mutations of attribution: the model of record is proposed, then approved by both sides."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.attribution import service
from schema.attribution.types import AttributionModel, CustomWeightsInput, ModelOfRecord
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.permissions import EditsGoals, SideLeaders


@strawberry.input
class AttributionModelOfRecordProposeInput:
    period: str
    model: AttributionModel
    half_life_days: Decimal | None = None
    weights: CustomWeightsInput | None = None
    markov_order: int = 1


@strawberry.input
class AttributionModelOfRecordApproveInput:
    id: strawberry.ID


@strawberry.type
class ModelOfRecordPayload:
    model_of_record: ModelOfRecord | None
    user_errors: list[UserError]


@strawberry.type
class AttributionMutation:
    @strawberry.mutation(permission_classes=[EditsGoals],
                         description="Propose a period's model of record (it needs both sides' approval).")
    async def attribution_model_of_record_propose(
            self, info: Info, input: AttributionModelOfRecordProposeInput) -> ModelOfRecordPayload | None:
        return await payload(ModelOfRecordPayload, "model_of_record", lambda: service.propose(
            info.context.viewer, input.period, input.model, input.half_life_days,
            input.weights.to_rules() if input.weights else None, input.markov_order), ModelOfRecord.from_model)

    @strawberry.mutation(permission_classes=[SideLeaders],
                         description="Approve a proposal as a sales or marketing leader; with both it takes effect.")
    async def attribution_model_of_record_approve(
            self, info: Info, input: AttributionModelOfRecordApproveInput) -> ModelOfRecordPayload | None:
        return await payload(ModelOfRecordPayload, "model_of_record", lambda: service.approve(
            info.context.viewer, decode_id(input.id, "ModelOfRecord", "id")), ModelOfRecord.from_model)
