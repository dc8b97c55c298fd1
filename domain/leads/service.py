"""Lead use cases: the joint definition and its two approvals, stage changes, assignment, hand-back, SLAs."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from domain import clock
from domain.access.rules import (
    SALES_SIDE, LeadOwnership, enforce, joint_draft_refusal, lead_assign_refusal, lead_stage_refusal, owner_problem,
    sla_agreement_refusal,
)
from domain.audit.service import record
from domain import texts
from domain.errors import DomainError, ErrorCode, Problems, invalid, not_found
from domain.leads import rules, sla_store
from domain.leads.facts import refresh_leads
from domain.leads.models import (
    ApprovalSide, DefinitionStatus, Lead, LeadDefinition, LeadDefinitionApproval, LeadEvent, LeadFact, SlaAgreement,
)
from domain.locks import bulk_lead_transaction, lock_leads
from domain.org.models import Person, Team
from domain.org.rules import PeriodStatus, Principal, TeamFunction
from domain.org.service import approval_side, ensure_period, parse_key

DEFAULT_FIT_POINTS = {"industry": 25, "employees": 25, "region": 25, "title": 25}


# --- the joint definition ----------------------------------------------------------------

@dataclass
class DefinitionFields:
    name: str
    industries: list[str] = field(default_factory=list)
    employees_min: int | None = None
    employees_max: int | None = None
    regions: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    behaviour_points: dict[str, Decimal] = field(default_factory=dict)
    fit_points: dict[str, Decimal] | None = None
    half_life_days: Decimal = Decimal(30)
    fit_threshold: Decimal = Decimal(50)
    engagement_threshold: Decimal = Decimal(40)


MAX_DAYS_OR_HOURS = 1_000_000   # half-lives, SLA hours and days are stored with 6 digits before the point
MAX_THRESHOLD = 1_000_000_000   # score thresholds with 9


def _check_definition(f: DefinitionFields, problems: Problems) -> None:
    if not f.name.strip():
        problems.add(ErrorCode.INVALID, "a definition needs a name", "name")
    if f.employees_min is not None and f.employees_min < 0:
        problems.add(ErrorCode.INVALID, "employee counts cannot be negative", "employeesMin")
    if f.employees_min is not None and f.employees_max is not None and f.employees_max < f.employees_min:
        problems.add(ErrorCode.INVALID, "the employee range ends before it starts", "employeesMax")
    unknown = sorted(set(f.behaviour_points) - set(rules.Behaviour.__members__))
    if unknown:
        problems.add(ErrorCode.INVALID, f"unknown behaviours: {', '.join(unknown)}", "behaviourPoints")
    if not f.behaviour_points:
        problems.add(ErrorCode.INVALID, "the scoring model gives points to at least one behaviour", "behaviourPoints")
    if any(p < 0 for p in f.behaviour_points.values()):
        problems.add(ErrorCode.INVALID, "behaviour points cannot be negative", "behaviourPoints")
    if f.fit_points is not None:
        unknown_fit = sorted(set(f.fit_points) - set(DEFAULT_FIT_POINTS))
        if unknown_fit or any(p < 0 for p in f.fit_points.values()):
            problems.add(ErrorCode.INVALID, "fit points are for industry, employees, region and title, each ≥ 0",
                         "fitPoints")
    if f.half_life_days <= 0:
        problems.add(ErrorCode.INVALID, "the half-life must be above 0 days", "halfLifeDays")
    elif f.half_life_days >= MAX_DAYS_OR_HOURS:
        problems.add(ErrorCode.INVALID, f"the half-life is under {MAX_DAYS_OR_HOURS:,} days", "halfLifeDays")
    for name, value in (("fitThreshold", f.fit_threshold), ("engagementThreshold", f.engagement_threshold)):
        if value < 0:
            problems.add(ErrorCode.INVALID, "a threshold cannot be negative", name)
        elif value >= MAX_THRESHOLD:
            problems.add(ErrorCode.INVALID, f"a threshold is under {MAX_THRESHOLD:,} points", name)


def _numbers(points: dict[str, Decimal]) -> dict[str, str]:
    return {k: str(v) for k, v in points.items()}


async def create_definition(actor: Principal, f: DefinitionFields) -> LeadDefinition:
    """A draft: it becomes active only when a sales leader and a marketing leader have both approved it."""
    enforce(joint_draft_refusal(actor, "a lead definition"), "name")
    problems = Problems()
    _check_definition(f, problems)
    problems.raise_if_any()
    async with in_transaction():
        latest = await LeadDefinition.all().annotate(v=Max("version")).values_list("v", flat=True)
        version = (latest[0] or 0) + 1 if latest else 1
        definition = await LeadDefinition.create(
            version=version, name=f.name.strip(), industries=f.industries, employees_min=f.employees_min,
            employees_max=f.employees_max, regions=f.regions, titles=f.titles,
            fit_points=_numbers(f.fit_points or {k: Decimal(v) for k, v in DEFAULT_FIT_POINTS.items()}),
            behaviour_points=_numbers(f.behaviour_points), half_life_days=f.half_life_days,
            fit_threshold=f.fit_threshold, engagement_threshold=f.engagement_threshold,
            created_at=clock.now(), created_by=actor.name)
        await record(actor, "leadDefinitionCreate", "LeadDefinition", definition.id, None,
                     {"version": version, "name": definition.name})
    return definition


async def approve_definition(actor: Principal, definition_id: int) -> LeadDefinition:
    side = ApprovalSide(approval_side(actor, "a lead definition", "id"))
    try:
        async with in_transaction():
            definition = await LeadDefinition.get_or_none(id=definition_id)
            if definition is None:
                raise not_found("no lead definition has this id", "id")
            if definition.status is not DefinitionStatus.DRAFT:
                raise invalid(f"version {definition.version} is {definition.status.value}, not a draft", "id")
            if await LeadDefinitionApproval.filter(definition_id=definition.id, side=side).exists():
                raise DomainError.one(ErrorCode.DUPLICATE, f"{side.value.lower()} has already approved this version",
                                      "id")
            await LeadDefinitionApproval.create(definition_id=definition.id, side=side, person_id=actor.person_id,
                                                at=clock.now())
            sides = set(await LeadDefinitionApproval.filter(definition_id=definition.id).values_list("side", flat=True))
            after = {"approved_by": sorted(str(getattr(s, "value", s)) for s in sides)}
            if len(sides) == len(ApprovalSide):
                now = clock.now()
                await LeadDefinition.filter(status=DefinitionStatus.ACTIVE).update(status=DefinitionStatus.SUPERSEDED)
                await LeadDefinition.filter(id=definition.id).update(status=DefinitionStatus.ACTIVE, activated_at=now)
                after["status"] = DefinitionStatus.ACTIVE.value
            await record(actor, "leadDefinitionApprove", "LeadDefinition", definition.id, None, after)
            definition = await LeadDefinition.get(id=definition.id)
    except IntegrityError:
        raise DomainError.one(ErrorCode.DUPLICATE, f"{side.value.lower()} has already approved this version",
                              "id") from None
    return definition


# --- the lifecycle -----------------------------------------------------------------------

async def _lead(lead_id: int) -> Lead:
    lead = await Lead.get_or_none(id=lead_id)
    if lead is None:
        raise not_found("no lead has this id", "leadId")
    return lead


async def _stage_now(lead_id: int) -> rules.Stage:
    rows = await LeadEvent.filter(lead_id=lead_id, type=rules.STAGE_EVENT).values("at", "id", "stage")
    events = [rules.Event(at=r["at"], id=r["id"], type=rules.STAGE_EVENT, stage=rules.Stage(r["stage"])) for r in rows]
    return rules.current_stage(events)


async def ownership(lead_id: int, stage: rules.Stage | None = None) -> LeadOwnership:
    """What the lead rules need of a lead: its owner now, the owner's team now, whether it was handed back."""
    fact = await LeadFact.get_or_none(lead_id=lead_id).values("owner_person_id", "stage")
    owner_id = fact["owner_person_id"] if fact else None
    owner_team_id = None
    if owner_id is not None:
        owner_team_id = (await Person.get(id=owner_id).values("team_id"))["team_id"]
    if stage is None:
        stage = rules.Stage(fact["stage"]) if fact else rules.Stage.LEAD
    return LeadOwnership.at_stage(owner_id, owner_team_id, stage)


async def transition(actor: Principal, lead_id: int, stage: rules.Stage, reason_code: str | None = None,
                     reason_text: str | None = None) -> Lead:
    """Move a lead to a stage the lifecycle allows; RECYCLED and DISQUALIFIED take a reason from their list."""
    problems = Problems()
    reason_text = (reason_text or "").strip()
    if (message := texts.too_long(reason_text, texts.REASON)) is not None:
        problems.add(ErrorCode.INVALID, message, "reasonText")
    async with in_transaction():
        await lock_leads([lead_id])  # before reading its stage: two writers of one lead go one after the other
        lead = await _lead(lead_id)
        current = await _stage_now(lead.id)
        enforce(lead_stage_refusal(actor, await ownership(lead.id, current), stage.value), "leadId")
        if (message := rules.transition_problem(current, stage)) is not None:
            problems.add(ErrorCode.INVALID, message, "stage")
        if (message := rules.reason_problem(stage, reason_code)) is not None:
            problems.add(ErrorCode.INVALID, message, "reasonCode")
        problems.raise_if_any()
        await LeadEvent.create(lead_id=lead.id, at=clock.now(), type=rules.STAGE_EVENT, stage=stage,
                               actor_person_id=actor.person_id, actor_name=actor.name, reason_code=reason_code,
                               reason_text=reason_text)
        await refresh_leads([lead.id])
        await record(actor, "leadTransition", "Lead", lead.id, {"stage": current.value},
                     {"stage": stage.value, "reason_code": reason_code, "reason_text": reason_text})
    return lead


async def recycle(actor: Principal, lead_id: int, reason: rules.RecycleReason, reason_text: str | None) -> Lead:
    """Hand a lead back to marketing for nurture, with a reason from the fixed list and free text."""
    return await transition(actor, lead_id, rules.Stage.RECYCLED, reason.value, reason_text)


async def assign(actor: Principal, lead_id: int, owner_id: int) -> Lead:
    """Give a lead its owner; the first assignment to a sales owner after MQL is the hand-over."""
    async with in_transaction():
        await lock_leads([lead_id])
        lead = await _lead(lead_id)
        enforce(lead_assign_refusal(actor, await ownership(lead.id)), "leadId")
        owner = await Person.get_or_none(id=owner_id)
        if owner is None:
            raise not_found("no person has this id", "ownerId")
        if not owner.active:
            raise invalid(f"{owner.name} is deactivated", "ownerId")
        if (problem := owner_problem((await Team.get(id=owner.team_id)).function)) is not None:
            raise invalid(f"{owner.name} cannot own a lead: {problem}", "ownerId")
        await LeadEvent.create(lead_id=lead.id, at=clock.now(), type=rules.ASSIGNED_EVENT, owner_person_id=owner.id,
                               actor_person_id=actor.person_id, actor_name=actor.name)
        await refresh_leads([lead.id])
        await record(actor, "leadAssign", "Lead", lead.id, None, {"owner_person_id": owner.id})
    return lead


# --- the SLA -----------------------------------------------------------------------------

@dataclass
class SlaFields:
    period: str
    marketing_team_id: int
    sales_team_id: int
    mql_volume: int
    acceptance_rate_target: Decimal
    handover_hours: Decimal
    follow_up_hours: Decimal
    follow_up_rate_target: Decimal
    minimum_attempts: int = 1
    decision_days: Decimal = Decimal(5)
    business_hours_only: bool = False


async def create_sla_agreement(actor: Principal, f: SlaFields) -> SlaAgreement:
    problems = Problems()
    parse_key(f.period, "period")
    for name, value in (("acceptanceRateTarget", f.acceptance_rate_target),
                        ("followUpRateTarget", f.follow_up_rate_target)):
        if not Decimal(0) <= value <= Decimal(1):
            problems.add(ErrorCode.INVALID, "a rate is between 0 and 1", name)
    for name, value in (("handoverHours", f.handover_hours), ("followUpHours", f.follow_up_hours),
                        ("decisionDays", f.decision_days)):
        if value <= 0:
            problems.add(ErrorCode.INVALID, "must be above 0", name)
        elif value >= MAX_DAYS_OR_HOURS:
            problems.add(ErrorCode.INVALID, f"must be under {MAX_DAYS_OR_HOURS:,}", name)
    if f.mql_volume < 0:
        problems.add(ErrorCode.INVALID, "a volume cannot be negative", "mqlVolume")
    if f.minimum_attempts < 1:
        problems.add(ErrorCode.INVALID, "at least one attempt", "minimumAttempts")
    enforce(sla_agreement_refusal(actor, f.marketing_team_id, f.sales_team_id), "marketingTeamId")
    async with bulk_lead_transaction(what="An import or bulk change of leads"):  # it writes every MQL's SLA rows
        teams = {t.id: t for t in await Team.filter(id__in=[f.marketing_team_id, f.sales_team_id])}
        marketing, sales = teams.get(f.marketing_team_id), teams.get(f.sales_team_id)
        if marketing is None:
            problems.add(ErrorCode.NOT_FOUND, "no team has this id", "marketingTeamId")
        elif marketing.function is not TeamFunction.MARKETING:
            problems.add(ErrorCode.INVALID, f"{marketing.name} is not a marketing team", "marketingTeamId")
        if sales is None:
            problems.add(ErrorCode.NOT_FOUND, "no team has this id", "salesTeamId")
        elif sales.function not in SALES_SIDE:
            problems.add(ErrorCode.INVALID, f"{sales.name} is not a sales team", "salesTeamId")
        problems.raise_if_any()
        period = await ensure_period(f.period)
        if period.status is PeriodStatus.CLOSED:
            raise DomainError.one(ErrorCode.PERIOD_CLOSED, f"{period.key} is closed", "period")
        if await SlaAgreement.filter(period_id=period.id, marketing_team_id=f.marketing_team_id,
                                     sales_team_id=f.sales_team_id).exists():
            raise DomainError.one(ErrorCode.DUPLICATE, "these teams already have an SLA for this period", "period")
        agreement = await SlaAgreement.create(
            period_id=period.id, marketing_team_id=f.marketing_team_id, sales_team_id=f.sales_team_id,
            mql_volume=f.mql_volume, acceptance_rate_target=f.acceptance_rate_target,
            handover_hours=f.handover_hours, follow_up_hours=f.follow_up_hours,
            follow_up_rate_target=f.follow_up_rate_target, minimum_attempts=f.minimum_attempts,
            decision_days=f.decision_days, business_hours_only=f.business_hours_only, created_at=clock.now())
        await sla_store.write_agreement(agreement)
        await record(actor, "slaAgreementCreate", "SlaAgreement", agreement.id, None, {
            "period": period.key, "marketing_team_id": f.marketing_team_id, "sales_team_id": f.sales_team_id,
            "mql_volume": f.mql_volume, "follow_up_hours": str(f.follow_up_hours)})
    return agreement
