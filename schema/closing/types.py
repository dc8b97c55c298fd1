"""GraphQL types of a period's close preview: what a close would freeze, and what is still open."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain import closing
from domain.access.rules import can_see_pay
from domain.org.rules import Principal
from schema.attribution.types import AttributionModel, ModelOfRecord
from schema.comp.types import CompDispute
from schema.core.context import Info
from schema.core.permissions import CanSeePay
from schema.goals.types import KeyResult, Objective
from schema.leads.types import LeadDefinition
from schema.org.types import Period, Person, load_person


@strawberry.type(description="An objective whose score a close would freeze, with its progress now.")
class PeriodClosePreviewObjective:
    objective: Objective
    progress: float
    score: float


@strawberry.type(description="A pay statement a close would lock. Its total is private, like annualCost.")
class PeriodClosePreviewStatement:
    locked: bool
    line_count: int
    person_id: strawberry.Private[int]
    person_team_id: strawberry.Private[int]
    total: strawberry.Private[Decimal]

    @classmethod
    def of(cls, s: closing.LockedStatement) -> "PeriodClosePreviewStatement":
        return cls(locked=s.statement.locked, line_count=len(s.statement.lines), person_id=s.statement.person_id,
                   person_team_id=s.person_team_id, total=s.statement.total)

    def can_see_pay(self, principal: Principal) -> bool:
        return can_see_pay(principal, self.person_id, self.person_team_id)

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)

    @strawberry.field(permission_classes=[CanSeePay],
                      description="Lines plus adjustments. Private: the person, their team's leaders, FINANCE, ADMIN.")
    def total_payout(self) -> Decimal | None:
        return self.total


@strawberry.type(description="What closing the period would freeze, and what is still open. Closing with open "
                             "disputes needs force: true and a reason.")
class PeriodClosePreview:
    period: Period
    model_of_record: AttributionModel = strawberry.field(description="The model of record the close freezes.")
    objectives: list[PeriodClosePreviewObjective] = strawberry.field(
        description="Live objectives whose scores the close freezes.")
    key_results_frozen: int
    statements: list[PeriodClosePreviewStatement] = strawberry.field(description="Every statement the close locks.")
    open_dispute_count: int = strawberry.field(description="Pay disputes of the period not resolved.")
    open_disputes: list[CompDispute] = strawberry.field(
        description="The open disputes whose person's pay you may see.")
    stale_key_results: list[KeyResult] = strawberry.field(
        description="Live MANUAL key results with no check-in in the last 14 days.")
    pending_lead_definitions: list[LeadDefinition] = strawberry.field(
        description="Lead definitions still waiting for their approvals.")
    pending_models_of_record: list[ModelOfRecord] = strawberry.field(
        description="Model-of-record proposals of the period still waiting for their approvals.")
    needs_force: bool = strawberry.field(description="True while disputes are open.")

    @classmethod
    def of(cls, p: closing.ClosePreview) -> "PeriodClosePreview":
        return cls(
            period=Period.from_view(p.period), model_of_record=p.model_of_record.model,
            objectives=[PeriodClosePreviewObjective(objective=Objective.from_model(o.objective),
                                                    progress=float(o.progress), score=float(o.score))
                        for o in p.objectives],
            key_results_frozen=p.key_results_frozen,
            statements=[PeriodClosePreviewStatement.of(s) for s in p.statements],
            open_dispute_count=p.open_dispute_count,
            open_disputes=[CompDispute.from_model(d) for d in p.open_disputes],
            stale_key_results=[KeyResult.from_model(k) for k in p.stale_key_results],
            pending_lead_definitions=[LeadDefinition.from_model(d) for d in p.pending_definitions],
            pending_models_of_record=[ModelOfRecord.from_model(m) for m in p.pending_models],
            needs_force=p.needs_force)
