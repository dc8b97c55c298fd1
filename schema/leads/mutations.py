"""Mutations of leads: the definition and its approvals, the lifecycle, and the SLA."""
from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from domain.errors import invalid
from domain.leads import service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.permissions import EditsGoals, SideLeaders, WorksLeads
from schema.leads.types import Lead, LeadDefinition, RecycleReason, Stage



@strawberry.input
class LeadDefinitionCreateInput:
    name: str
    behaviour_points: JSON = strawberry.field(description='Points per behaviour, e.g. {"WEBINAR": 15, "FORM_SUBMIT": 20}.')
    industries: list[str] = strawberry.field(default_factory=list)
    employees_min: int | None = None
    employees_max: int | None = None
    regions: list[str] = strawberry.field(default_factory=list)
    titles: list[str] = strawberry.field(default_factory=list, description="Keywords matched within a title.")
    fit_points: JSON | None = strawberry.field(default=None, description="Points for industry, employees, region, "
                                                                         "title (default 25 each).")
    half_life_days: Decimal = Decimal(30)
    fit_threshold: Decimal = Decimal(50)
    engagement_threshold: Decimal = Decimal(40)


@strawberry.input
class LeadDefinitionApproveInput:
    id: strawberry.ID


@strawberry.type
class LeadDefinitionPayload:
    lead_definition: LeadDefinition | None
    user_errors: list[UserError]


@strawberry.input
class LeadTransitionInput:
    lead_id: strawberry.ID
    stage: Stage
    reason_code: str | None = strawberry.field(default=None, description="For RECYCLED and DISQUALIFIED.")
    reason_text: str | None = None


@strawberry.input
class LeadAssignInput:
    lead_id: strawberry.ID
    owner_id: strawberry.ID


@strawberry.input
class LeadRecycleInput:
    lead_id: strawberry.ID
    reason: RecycleReason
    reason_text: str | None = None


@strawberry.type
class LeadPayload:
    lead: Lead | None
    user_errors: list[UserError]


@strawberry.input
class SlaAgreementCreateInput:
    period: str
    marketing_team_id: strawberry.ID
    sales_team_id: strawberry.ID
    mql_volume: int
    acceptance_rate_target: float
    handover_hours: Decimal
    follow_up_hours: Decimal
    follow_up_rate_target: float
    decision_days: Decimal
    minimum_attempts: int = 1
    business_hours_only: bool = False


def _points(value, field: str) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        raise invalid("give an object of numbers", field)
    try:
        return {str(k): Decimal(str(v)) for k, v in value.items()}
    except ArithmeticError:
        raise invalid("every value must be a number", field) from None


@strawberry.type
class LeadsMutation:
    @strawberry.mutation(permission_classes=[EditsGoals],
                         description="Draft a new version of the lead definition (active once both sides approve).")
    async def lead_definition_create(self, info: Info, input: LeadDefinitionCreateInput) -> LeadDefinitionPayload | None:
        async def use_case():
            fields = service.DefinitionFields(
                name=input.name, industries=input.industries, employees_min=input.employees_min,
                employees_max=input.employees_max, regions=input.regions, titles=input.titles,
                behaviour_points=_points(input.behaviour_points, "behaviourPoints"),
                fit_points=_points(input.fit_points, "fitPoints") if input.fit_points is not None else None,
                half_life_days=input.half_life_days, fit_threshold=input.fit_threshold,
                engagement_threshold=input.engagement_threshold)
            return await service.create_definition(info.context.viewer, fields)
        return await payload(LeadDefinitionPayload, "lead_definition", use_case, LeadDefinition.from_model)

    @strawberry.mutation(permission_classes=[SideLeaders],
                         description="Approve a draft as a sales or marketing leader; with both it becomes active.")
    async def lead_definition_approve(self, info: Info, input: LeadDefinitionApproveInput) -> LeadDefinitionPayload | None:
        return await payload(LeadDefinitionPayload, "lead_definition", lambda: service.approve_definition(
            info.context.viewer, decode_id(input.id, "LeadDefinition", "id")), LeadDefinition.from_model)

    @strawberry.mutation(permission_classes=[WorksLeads], description="Move a lead to a stage the lifecycle allows.")
    async def lead_transition(self, info: Info, input: LeadTransitionInput) -> LeadPayload | None:
        return await payload(LeadPayload, "lead", lambda: service.transition(
            info.context.viewer, decode_id(input.lead_id, "Lead", "leadId"), input.stage, input.reason_code,
            input.reason_text), Lead.from_model)

    @strawberry.mutation(permission_classes=[WorksLeads],
                         description="Give a lead its owner (the first sales owner after MQL is the hand-over).")
    async def lead_assign(self, info: Info, input: LeadAssignInput) -> LeadPayload | None:
        return await payload(LeadPayload, "lead", lambda: service.assign(
            info.context.viewer, decode_id(input.lead_id, "Lead", "leadId"), decode_id(input.owner_id, "Person",
                                                                                       "ownerId")), Lead.from_model)

    @strawberry.mutation(permission_classes=[WorksLeads], description="Hand a lead back to marketing with a reason.")
    async def lead_recycle(self, info: Info, input: LeadRecycleInput) -> LeadPayload | None:
        return await payload(LeadPayload, "lead", lambda: service.recycle(
            info.context.viewer, decode_id(input.lead_id, "Lead", "leadId"), input.reason, input.reason_text),
            Lead.from_model)
