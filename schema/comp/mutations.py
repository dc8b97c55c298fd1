"""Mutations of compensation: plans (finance and admins), adjustments, disputes."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.comp import rules, service
from schema.attribution.types import Opportunity
from schema.comp.types import CompAdjustment, CompClawback, CompDispute, CompMetric, CompPlan
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.permissions import ManagesPay, SetsPay


@strawberry.input
class RateTierInput:
    from_attainment: Decimal
    rate: Decimal


@strawberry.input
class GateInput:
    key_result_id: strawberry.ID
    min_progress: float


@strawberry.input
class CompComponentInput:
    name: str
    metric: CompMetric
    quota: Decimal
    weight: Decimal
    key_result_id: strawberry.ID | None = None
    threshold: Decimal = Decimal(0)
    accelerator: Decimal = Decimal(1)
    cap: Decimal | None = None
    tiers: list[RateTierInput] | None = None
    gate: GateInput | None = None


@strawberry.input(description="A guaranteed minimum payment for the plan's period.")
class DrawInput:
    minimum: Decimal = strawberry.field(description="The statement is topped up to this when it earns less.")
    recoverable: bool = strawberry.field(default=True, description=(
        "Repaid from later earnings above their plan's minimum (false: a bonus, never repaid)."))
    recovery_share: Decimal = strawberry.field(default=Decimal(1), description=(
        "The share (0 to 1) of this plan's earnings above its minimum that repays an earlier draw balance."))


@strawberry.input
class CompPlanCreateInput:
    person_id: strawberry.ID
    period: str
    target_variable: Decimal
    components: list[CompComponentInput]
    draw: DrawInput | None = None
    clawback_days: int | None = strawberry.field(default=None, description=(
        "Claw back a deal that paid out and turns LOST or drops in amount within this many days of its close."))


@strawberry.input
class CompPlanUpdateInput:
    id: strawberry.ID
    expected_version: int | None = None
    target_variable: Decimal | None = None
    components: list[CompComponentInput] | None = None
    draw: DrawInput | None = strawberry.field(default=None, description="Left out: unchanged.")
    clawback_days: int | None = strawberry.field(default=strawberry.UNSET, description="Left out: unchanged; null: none.")


@strawberry.type
class CompPlanPayload:
    comp_plan: CompPlan | None
    user_errors: list[UserError]


@strawberry.input
class CompAdjustmentCreateInput:
    person_id: strawberry.ID
    period: str
    amount: Decimal
    reason: str
    component: str | None = None


@strawberry.type
class CompAdjustmentPayload:
    comp_adjustment: CompAdjustment | None
    user_errors: list[UserError]


@strawberry.input
class CompDisputeCreateInput:
    period: str
    component: str
    reason: str


@strawberry.input
class CompDisputeResolveInput:
    id: strawberry.ID
    resolution: str
    adjustment_amount: Decimal | None = None


@strawberry.type
class CompDisputePayload:
    comp_dispute: CompDispute | None
    user_errors: list[UserError]


@strawberry.input
class OpportunitySplitInput:
    person_id: strawberry.ID
    percent: Decimal = strawberry.field(description="Percent of the deal, above 0, at most 100, 2 decimals.")


@strawberry.input
class OpportunitySplitSetInput:
    opportunity_id: strawberry.ID
    splits: list[OpportunitySplitInput] = strawberry.field(description=(
        "All the deal's splits, summing to exactly 100.00; an empty list gives the deal back to its owner."))


@strawberry.type
class OpportunitySplitPayload:
    opportunity: Opportunity | None
    user_errors: list[UserError]


def _draw(d: DrawInput | None) -> rules.Draw | None:
    return rules.Draw(d.minimum, d.recoverable, d.recovery_share) if d is not None else None


def _components(items: list[CompComponentInput]) -> list[rules.Component]:
    out = []
    for i, c in enumerate(items):
        out.append(rules.Component(
            name=c.name, metric=c.metric, quota=c.quota, weight=c.weight, threshold=c.threshold,
            accelerator=c.accelerator, cap=c.cap,
            tiers=tuple(rules.Tier(t.from_attainment, t.rate) for t in (c.tiers or [])),
            key_result_id=decode_id(c.key_result_id, "KeyResult", "components", str(i), "keyResultId")
            if c.key_result_id else None,
            gate=rules.Gate(decode_id(c.gate.key_result_id, "KeyResult", "components", str(i), "gate", "keyResultId"),
                            Decimal(str(c.gate.min_progress))) if c.gate else None))
    return out




@strawberry.input
class CompClawbackWaiveInput:
    id: strawberry.ID
    reason: str


@strawberry.type
class CompClawbackPayload:
    comp_clawback: CompClawback | None
    user_errors: list[UserError]


@strawberry.type
class CompMutation:
    @strawberry.mutation(permission_classes=[SetsPay], description="A person's plan for a period.")
    async def comp_plan_create(self, info: Info, input: CompPlanCreateInput) -> CompPlanPayload | None:
        async def use_case():
            fields = service.PlanFields(decode_id(input.person_id, "Person", "personId"), input.period,
                                        input.target_variable, _components(input.components),
                                        _draw(input.draw) or rules.Draw(), input.clawback_days)
            return await service.create_plan(info.context.viewer, fields)
        return await payload(CompPlanPayload, "comp_plan", use_case, CompPlan.from_model)

    @strawberry.mutation(permission_classes=[SetsPay], description="Change a plan of an open period.")
    async def comp_plan_update(self, info: Info, input: CompPlanUpdateInput) -> CompPlanPayload | None:
        return await payload(CompPlanPayload, "comp_plan", lambda: service.update_plan(
            info.context.viewer, decode_id(input.id, "CompPlan", "id"), input.expected_version, input.target_variable,
            _components(input.components) if input.components is not None else None, _draw(input.draw),
            **({} if input.clawback_days is strawberry.UNSET else {"clawback_days": input.clawback_days})),
            CompPlan.from_model)

    @strawberry.mutation(permission_classes=[SetsPay], description=(
        "Set how a deal's credit for pay is split among people (own- and team-bookings components read the shares; "
        "the attribution models' team credit does not). FINANCE and admins."))
    async def opportunity_split_set(self, info: Info, input: OpportunitySplitSetInput) -> OpportunitySplitPayload | None:
        async def use_case():
            splits = [(decode_id(s.person_id, "Person", "splits", str(i), "personId"), s.percent)
                      for i, s in enumerate(input.splits)]
            return await service.set_splits(info.context.viewer,
                                            decode_id(input.opportunity_id, "Opportunity", "opportunityId"), splits)
        return await payload(OpportunitySplitPayload, "opportunity", use_case, Opportunity.from_model)

    @strawberry.mutation(permission_classes=[SetsPay], description=(
        "Waive a clawback of an open statement, with a reason (FINANCE and admins; audited): it stays listed on the "
        "statement, no longer counted."))
    async def comp_clawback_waive(self, info: Info, input: CompClawbackWaiveInput) -> CompClawbackPayload | None:
        return await payload(CompClawbackPayload, "comp_clawback", lambda: service.waive_clawback(
            info.context.viewer, decode_id(input.id, "CompClawback", "id"), input.reason), CompClawback.from_model)

    @strawberry.mutation(permission_classes=[ManagesPay],
                         description="Change a locked statement, with a reason (finance, admins, the team's leaders).")
    async def comp_adjustment_create(self, info: Info, input: CompAdjustmentCreateInput) -> CompAdjustmentPayload | None:
        return await payload(CompAdjustmentPayload, "comp_adjustment", lambda: service.create_adjustment(
            info.context.viewer, decode_id(input.person_id, "Person", "personId"), input.period, input.component,
            input.amount, input.reason), CompAdjustment.from_model)

    @strawberry.mutation(description="Dispute a line of your own statement.")
    async def comp_dispute_create(self, info: Info, input: CompDisputeCreateInput) -> CompDisputePayload | None:
        return await payload(CompDisputePayload, "comp_dispute", lambda: service.create_dispute(
            info.context.viewer, input.period, input.component, input.reason), CompDispute.from_model)

    @strawberry.mutation(permission_classes=[ManagesPay],
                         description="Resolve a dispute, optionally with an adjustment.")
    async def comp_dispute_resolve(self, info: Info, input: CompDisputeResolveInput) -> CompDisputePayload | None:
        return await payload(CompDisputePayload, "comp_dispute", lambda: service.resolve_dispute(
            info.context.viewer, decode_id(input.id, "CompDispute", "id"), input.resolution, input.adjustment_amount),
            CompDispute.from_model)
