"""GraphQL types of compensation: plans, statements with their lines, adjustments, disputes."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain import numbers
from domain.attribution import queries as attribution_queries
from domain.comp import models as m
from domain.comp import queries, rules
from domain.leads import queries as lead_queries
from domain.money import from_cents
from domain.goals import queries as goal_queries
from schema.attribution.types import Opportunity
from schema.comp.permissions import disputes_visible_to, plans_visible_to
from schema.core.context import Info
from schema.core.ids import encode_id, node_pk
from schema.leads.types import Lead
from schema.org.types import Period, Person, load_person

CompMetric = strawberry.enum(rules.CompMetric, description="What a plan component measures.")
DisputeStatus = strawberry.enum(m.DisputeStatus, name="CompDisputeStatus")


@strawberry.type(description="One component of a statement: metric, attainment, curve point, gate, payout, and the "
                             "deals or leads behind the metric.")
class CompStatementLine:
    component: str
    metric: CompMetric
    metric_value: Decimal = strawberry.field(description="At the scale of what the metric measures: bookings as "
                                                         "money (2 places), MQLs as a count (at most 2), progress and "
                                                         "compliance as fractions (6 places).")
    quota: Decimal = strawberry.field(description="At the metric's scale, like metricValue.")
    attainment: float
    curve_value: float
    gate_open: bool
    payout: Decimal
    locked_payout: Decimal | None = strawberry.field(description=(
        "On a recomputation of a closed period (asOf): the payout of this component in the locked statement (null "
        "when the locked statement has no such line)."))
    difference_from_locked: Decimal | None = strawberry.field(description=(
        "payout − lockedPayout on a recomputation of a closed period (the locked line counting 0 when absent)."))
    opportunity_ids: strawberry.Private[list[int]]
    evidence: strawberry.Private[queries.Evidence]

    @classmethod
    def of(cls, x: queries.StatementLine, locked: queries.StatementLine | None = None,
           compared: bool = False) -> "CompStatementLine":
        """A line; `compared` (a recomputation beside a locked record) gives its locked payout and difference."""
        line = x.line
        before = locked.line.payout if locked is not None else Decimal(0)
        return cls(component=line.component, metric=line.metric, metric_value=numbers.comp_metric_value(line.metric_value, line.metric),
                   quota=numbers.comp_metric_value(line.quota, line.metric), attainment=numbers.ratio(line.attainment),
                   curve_value=numbers.ratio(line.curve_value), gate_open=line.gate_open,
                   payout=numbers.money(line.payout),
                   locked_payout=numbers.money(locked.line.payout) if locked is not None else None,
                   difference_from_locked=numbers.money(line.payout - before) if compared else None,
                   opportunity_ids=x.evidence.opportunity_ids,
                   evidence=x.evidence)

    @strawberry.field(description="The won deals behind a bookings metric.")
    async def deals(self, info: Info) -> list[Opportunity]:
        rows = await info.context.loaders(attribution_queries.opportunities_by_ids).load_many(self.opportunity_ids)
        return [Opportunity.from_model(o) for o in rows if o]

    @strawberry.field(description="The MQLs behind an MQLS_DELIVERED metric.")
    async def leads(self, info: Info) -> list[Lead]:
        mqls = self.evidence.mqls
        ids = await info.context.loaders(lead_queries.mql_lead_ids_by_team).load(mqls) if mqls else []
        rows = await info.context.loaders(lead_queries.leads_by_ids).load_many(ids)
        return [Lead.from_model(x) for x in rows if x]


@strawberry.type(description="A change to a locked statement, with its reason and author.")
class CompAdjustment:
    component: str | None
    amount: Decimal
    reason: str
    author_name: str
    at: datetime

    @classmethod
    def from_model(cls, a: m.CompAdjustment) -> "CompAdjustment":
        return cls(component=a.component, amount=numbers.money(from_cents(a.amount_cents)), reason=a.reason,
                   author_name=a.author_name, at=a.at)


@strawberry.type(description="What comes back of a payout locked in an earlier statement: a deal behind it turned "
                             "LOST or dropped in amount within the plan's clawback window, and the component's "
                             "payout was recomputed with only that deal changed.")
class CompClawback:
    id: strawberry.ID = strawberry.field(description="What compClawbackWaive names.")
    component: str
    amount: Decimal = strawberry.field(description="Negative: what comes back (part of totalPayout unless waived).")
    detected_at: datetime
    waived: bool
    waived_reason: str | None
    waived_by: str | None
    opportunity_pk: strawberry.Private[int]
    source_period_pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, c: m.Clawback) -> "CompClawback":
        return cls(id=strawberry.ID(encode_id("CompClawback", c.id)), component=c.component,
                   amount=numbers.money(from_cents(c.amount_cents)),
                   detected_at=c.detected_at, waived=c.waived_at is not None, waived_reason=c.waived_reason,
                   waived_by=c.waived_by, opportunity_pk=c.opportunity_id, source_period_pk=c.source_period_id)

    @strawberry.field(description="The deal that changed.")
    async def opportunity(self, info: Info) -> Opportunity | None:
        row = await info.context.loaders(attribution_queries.opportunities_by_ids).load(self.opportunity_pk)
        return Opportunity.from_model(row) if row else None

    @strawberry.field(description="The period whose locked statement paid the deal.")
    async def paid_in(self, info: Info) -> Period:
        return Period.from_view(await info.context.loaders(goal_queries.periods_by_ids).load(self.source_period_pk))


@strawberry.type(description="A person's pay statement for a period: accruals to date, or locked once closed.")
class CompStatement:
    period: Period
    target_variable: Decimal
    total_payout: Decimal
    locked: bool
    lines: list[CompStatementLine]
    adjustments: list[CompAdjustment]
    draw: Decimal = strawberry.field(description=(
        "The draw line: the top-up to the plan's minimum (positive), the repayment of an earlier recoverable draw "
        "from this period's earnings (negative), or 0. Part of totalPayout."))
    draw_balance: Decimal = strawberry.field(description=(
        "What is still owed of recoverable draws once this statement is paid (derived from the locked statements "
        "before it, across plans)."))
    clawbacks: list[CompClawback] = strawberry.field(description=(
        "Clawbacks charged to this statement (waived ones listed, not counted)."))
    as_of: date | None = strawberry.field(description=(
        "The day these figures stand as of (asOf), null for the live or locked statement."))
    locked_total_payout: Decimal | None = strawberry.field(description=(
        "On a recomputation of a closed period: the locked statement's totalPayout (the record, unchanged)."))
    difference_from_locked: Decimal | None = strawberry.field(description=(
        "On a recomputation of a closed period: what the plan computes now (lines and draw) less what the locked "
        "statement computed; 0.00 when nothing dated in the period has changed since the close. Adjustments and "
        "clawbacks are records, not recomputed, so they are not part of it."))
    differs_from_locked: bool | None = strawberry.field(description=(
        "differenceFromLocked ≠ 0 or a line differs (null without a locked record beside it)."))
    person_id: strawberry.Private[int]

    @classmethod
    def of(cls, s: queries.Statement) -> "CompStatement":
        record = s.locked_record
        by_position = {x.position: x for x in record.lines} if record is not None else {}
        lines = [CompStatementLine.of(x, by_position.get(x.position), record is not None) for x in s.lines]
        return cls(period=Period.from_view(s.period), target_variable=numbers.money(s.target_variable),
                   total_payout=numbers.money(s.total),
                   as_of=s.as_of.day if s.as_of is not None else None,
                   locked_total_payout=numbers.money(record.total) if record is not None else None,
                   difference_from_locked=numbers.money(s.difference_from_locked) if record is not None else None,
                   differs_from_locked=(s.difference_from_locked != 0 or
                                        any(x.difference_from_locked != 0 for x in lines)
                                        if record is not None else None),
                   locked=s.locked, lines=lines,
                   adjustments=[CompAdjustment.from_model(a) for a in s.adjustments],
                   draw=numbers.money(s.draw.amount), draw_balance=numbers.money(s.draw.balance_after),
                   clawbacks=[CompClawback.from_model(c) for c in s.clawbacks], person_id=s.person_id)

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A person's variable-pay plan for a period.")
class CompPlan(relay.Node):
    id: relay.NodeID[int]
    target_variable: Decimal
    version: int
    draw_minimum: Decimal | None = strawberry.field(description="The guaranteed minimum (null: no draw).")
    draw_recoverable: bool
    draw_recovery_share: float = strawberry.field(description="Rounded to 6 places.")
    clawback_days: int | None = strawberry.field(description=(
        "A deal that paid out and turns LOST or drops in amount within this many days of its close is clawed back."))
    person_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, p: m.CompPlan) -> "CompPlan":
        return cls(id=p.id, target_variable=numbers.money(from_cents(p.target_variable_cents)),
                   version=p.version, draw_minimum=numbers.money(from_cents(p.draw_minimum_cents)),
                   draw_recoverable=p.draw_recoverable, draw_recovery_share=numbers.ratio(p.draw_recovery_share), clawback_days=p.clawback_days,
                   person_id=p.person_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await plans_visible_to(info, [node_pk(i) for i in node_ids], cls.from_model)

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A person's objection to a line of their statement.")
class CompDispute(relay.Node):
    id: relay.NodeID[int]
    component: str
    reason: str
    status: DisputeStatus
    resolution: str | None
    resolved_by: str | None
    created_at: datetime
    person_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, d: m.CompDispute) -> "CompDispute":
        return cls(id=d.id, component=d.component, reason=d.reason, status=d.status, resolution=d.resolution,
                   resolved_by=d.resolved_by, created_at=d.created_at, person_id=d.person_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await disputes_visible_to(info, [node_pk(i) for i in node_ids], cls.from_model)
