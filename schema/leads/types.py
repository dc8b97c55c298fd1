"""GraphQL types of leads: the joint definition, leads with their timeline, facts and score explanation."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain import numbers
from domain.access import rules as access
from domain.leads import models as m
from domain.leads import queries, rules
from domain.org import queries as org_queries
from domain.errors import ErrorCode
from schema.core.context import Info
from schema.leads import loaders
from schema.core.errors import ClientError
from schema.org.types import Person, Team, load_nodes, load_person, load_team_row

MAX_TIMELINE = 500  # events of one lead's timeline in one answer

Stage = strawberry.enum(rules.Stage, name="LeadStage", description="Where a lead is in the shared funnel.")
RecycleReason = strawberry.enum(rules.RecycleReason, description="Why sales handed a lead back to marketing.")
DisqualifyReason = strawberry.enum(rules.DisqualifyReason, description="Why a lead was disqualified.")
Behaviour = strawberry.enum(rules.Behaviour, description="Engagement behaviours the scoring model can weigh.")
DefinitionStatus = strawberry.enum(m.DefinitionStatus, name="LeadDefinitionStatus")
ApprovalSide = strawberry.enum(m.ApprovalSide, description="Which side of the agreement approved.")


@strawberry.type(description="What the viewer may do to a lead now: a front end hides what the API would refuse.")
class LeadViewerCan:
    assign: bool = strawberry.field(description="Assign it (the hand-over, or a re-assignment).")
    recycle: bool = strawberry.field(description="Hand it back to marketing.")
    transition_to: list[Stage] = strawberry.field(
        description="The stages the viewer may move it to now (the lifecycle allows them too).")


@strawberry.type(description="A leader's approval of a lead definition.")
class LeadDefinitionApproval:
    side: ApprovalSide
    at: datetime
    person_id: strawberry.Private[int]

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A version of the agreed ideal customer profile and scoring model.")
class LeadDefinition(relay.Node):
    id: relay.NodeID[int]
    version: int
    name: str
    industries: list[str]
    employees_min: int | None
    employees_max: int | None
    regions: list[str]
    titles: list[str]
    fit_points: JSON
    behaviour_points: JSON
    half_life_days: Decimal
    fit_threshold: Decimal
    engagement_threshold: Decimal
    status: DefinitionStatus
    created_at: datetime
    activated_at: datetime | None

    @classmethod
    def from_model(cls, d: m.LeadDefinition) -> "LeadDefinition":
        return cls(id=d.id, version=d.version, name=d.name, industries=d.industries, employees_min=d.employees_min,
                   employees_max=d.employees_max, regions=d.regions, titles=d.titles, fit_points=d.fit_points,
                   behaviour_points=d.behaviour_points, half_life_days=numbers.setting(d.half_life_days),
                   fit_threshold=numbers.setting(d.fit_threshold),
                   engagement_threshold=numbers.setting(d.engagement_threshold),
                   status=d.status, created_at=d.created_at, activated_at=d.activated_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.definitions_by_ids, node_ids, cls.from_model)

    @strawberry.field
    async def approvals(self, info: Info) -> list[LeadDefinitionApproval]:
        rows = await info.context.loaders(queries.approvals_by_definition).load(self.id)
        return [LeadDefinitionApproval(side=a.side, at=a.at, person_id=a.person_id) for a in rows]


@strawberry.type(description="One entry of a lead's timeline: a behaviour, a stage change or an assignment.")
class LeadEvent:
    at: datetime
    type: str
    stage: Stage | None
    reason_code: str | None
    reason_text: str
    actor_name: str
    owner_id: strawberry.Private[int | None]

    @strawberry.field
    async def owner(self, info: Info) -> Person | None:
        return await load_person(info, self.owner_id)


@strawberry.type(description="The SLA facts of a lead's first MQL, derived from its events and touches.")
class LeadFacts:
    mql_at: datetime | None
    handover_at: datetime | None
    first_follow_up_at: datetime | None
    attempts: int
    decision: Stage | None
    decision_at: datetime | None
    sal_at: datetime | None
    sql_at: datetime | None

    @strawberry.field(description="Hours from hand-over to the first sales touch.")
    def response_hours(self) -> float | None:
        return numbers.hours(rules.lead_response_hours(self.handover_at, self.first_follow_up_at))


@strawberry.type(description="A rule of the scoring model that gave the lead points.")
class ScoreLine:
    rule: str
    points: Decimal


@strawberry.type(description="Why a lead scores what it scores under the active definition.")
class LeadScore:
    definition_version: int
    fit: Decimal
    engagement: Decimal
    qualifies: bool
    as_of: datetime
    fit_lines: list[ScoreLine]
    engagement_lines: list[ScoreLine]

    @classmethod
    def from_explanation(cls, e: queries.ScoreExplanation) -> "LeadScore":
        lines = lambda items: [ScoreLine(rule=x.rule, points=numbers.points(x.points)) for x in items]
        return cls(definition_version=e.definition_version, fit=numbers.points(e.fit), engagement=numbers.points(e.engagement),
                   qualifies=e.qualifies, as_of=e.as_of, fit_lines=lines(e.fit_lines),
                   engagement_lines=lines(e.engagement_lines))


@strawberry.type(description="A prospect, imported from the CRM or marketing automation by external id.")
class Lead(relay.Node):
    id: relay.NodeID[int]
    external_id: str
    company: str
    contact_name: str
    email: str
    industry: str | None
    employees: int | None
    region: str | None
    title: str | None
    source: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, x: m.Lead) -> "Lead":
        return cls(id=x.id, external_id=x.external_id, company=x.company, contact_name=x.contact_name, email=x.email,
                   industry=x.industry, employees=x.employees, region=x.region, title=x.title, source=x.source,
                   created_at=x.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.leads_by_ids, node_ids, cls.from_model)

    async def _facts(self, info: Info) -> m.LeadFact | None:
        return await info.context.loaders(queries.facts_by_lead).load(self.id)

    @strawberry.field
    async def stage(self, info: Info) -> Stage:
        facts = await self._facts(info)
        return facts.stage if facts else rules.Stage.LEAD

    @strawberry.field
    async def owner(self, info: Info) -> Person | None:
        facts = await self._facts(info)
        return await load_person(info, facts.owner_person_id if facts else None)

    @strawberry.field(description="What the viewer may do to this lead now (the rules the API applies).")
    async def viewer_can(self, info: Info) -> LeadViewerCan:
        facts = await self._facts(info)
        stage = facts.stage if facts else rules.Stage.LEAD
        owner_id = facts.owner_person_id if facts else None
        owner = await info.context.loaders(org_queries.people_by_ids).load(owner_id) if owner_id else None
        can = access.lead_abilities(
            info.context.viewer,
            access.LeadOwnership.at_stage(owner_id, owner.team_id if owner else None, stage),
            [s.value for s in rules.next_stages(stage)])
        return LeadViewerCan(assign=can.assign, recycle=can.recycle, transition_to=[rules.Stage(s) for s in can.stages])

    @strawberry.field(description="The team of the lead's first touch (it is credited with the MQL).")
    async def first_touch_team(self, info: Info) -> Team | None:
        facts = await self._facts(info)
        if facts is None or facts.first_touch_team_id is None:
            return None
        row = await load_team_row(info, facts.first_touch_team_id)
        return Team.from_model(row) if row else None

    @strawberry.field
    async def facts(self, info: Info) -> LeadFacts | None:
        f = await self._facts(info)
        if f is None:  # no events and no touches yet: the empty facts
            return LeadFacts(mql_at=None, handover_at=None, first_follow_up_at=None, attempts=0, decision=None,
                             decision_at=None, sal_at=None, sql_at=None)
        return LeadFacts(mql_at=f.mql_at, handover_at=f.handover_at, first_follow_up_at=f.first_follow_up_at,
                         attempts=f.attempts, decision=f.decision, decision_at=f.decision_at, sal_at=f.sal_at,
                         sql_at=f.sql_at)

    @strawberry.field(description=f"Behaviours, stage changes and assignments, oldest first: the last `last` "
                                  f"(1 to {MAX_TIMELINE}).")
    async def timeline(self, info: Info, last: int = 50) -> list[LeadEvent]:
        if not 1 <= last <= MAX_TIMELINE:  # refused like a page size, not quietly clamped
            raise ClientError(f"last must be between 1 and {MAX_TIMELINE}", ErrorCode.INVALID.value)
        rows = await info.context.loaders(queries.events_by_lead).load(self.id)
        return [LeadEvent(at=e.at, type=e.type, stage=e.stage, reason_code=e.reason_code, reason_text=e.reason_text,
                          actor_name=e.actor_name, owner_id=e.owner_person_id) for e in rows[-last:]]

    @strawberry.field(description="The score under the active definition now, rule by rule (null without one).")
    async def score(self, info: Info) -> LeadScore | None:
        definition = await info.context.loaders(loaders.active_definition).load(0)
        if definition is None:
            return None
        events = await info.context.loaders(queries.events_by_lead).load(self.id)
        lead = await info.context.loaders(queries.leads_by_ids).load(self.id)
        return LeadScore.from_explanation(queries.explain_score(definition, lead, events))
