"""Reads of leads: pages, batches for loaders, score explanations, the feedback loop and SLA inputs."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain import clock, config
from domain.attribution.models import TouchKind, Touchpoint
from domain.leads import rules, sla
from domain.leads.definitions import profile_of
from domain.leads.models import (
    DefinitionStatus, Lead, LeadDefinition, LeadDefinitionApproval, LeadEvent, LeadFact, SlaAgreement,
)
from domain.org.models import Person
from domain.org.service import PeriodView
from domain.paging import Page, fetch_page


def _group(rows, key) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


async def leads_page(page: Page, stage: rules.Stage | None = None, owner_team_id: int | None = None,
                     owner_id: int | None = None, mql_in: PeriodView | None = None) -> tuple[list[Lead], bool]:
    qs = Lead.all()
    if stage is not None:
        qs = qs.filter(facts__stage=stage)
    if owner_team_id is not None:
        qs = qs.filter(facts__owner_team_id=owner_team_id)
    if owner_id is not None:
        qs = qs.filter(facts__owner_person_id=owner_id)
    if mql_in is not None:
        qs = qs.filter(facts__mql_at__gte=mql_in.start, facts__mql_at__lt=mql_in.end)
    return await fetch_page(qs, page)


async def leads_by_ids(ids: Sequence[int]) -> list[Lead | None]:
    found = {x.id: x for x in await Lead.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


async def facts_by_lead(ids: Sequence[int]) -> list[LeadFact | None]:
    found = {f.lead_id: f for f in await LeadFact.filter(lead_id__in=list(ids))}
    return [found.get(i) for i in ids]


async def events_by_lead(ids: Sequence[int]) -> list[list[LeadEvent]]:
    """Each lead's timeline, in time order."""
    grouped = _group(await LeadEvent.filter(lead_id__in=list(ids)).order_by("at", "id"), lambda e: e.lead_id)
    return [grouped.get(i, []) for i in ids]


async def definitions() -> list[LeadDefinition]:
    return await LeadDefinition.all().order_by("-version")


async def definitions_by_ids(ids: Sequence[int]) -> list[LeadDefinition | None]:
    found = {d.id: d for d in await LeadDefinition.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


async def approvals_by_definition(ids: Sequence[int]) -> list[list[LeadDefinitionApproval]]:
    grouped = _group(await LeadDefinitionApproval.filter(definition_id__in=list(ids)).order_by("at"),
                     lambda a: a.definition_id)
    return [grouped.get(i, []) for i in ids]


async def active_definition() -> LeadDefinition | None:
    return await LeadDefinition.filter(status=DefinitionStatus.ACTIVE).first()


@dataclass(frozen=True)
class ScoreExplanation:
    definition_version: int
    fit: Decimal
    engagement: Decimal
    qualifies: bool
    fit_lines: list[rules.ScoreLine]
    engagement_lines: list[rules.ScoreLine]
    as_of: datetime


def explain_score(definition: LeadDefinition, lead: Lead, events: list[LeadEvent],
                  as_of: datetime | None = None) -> ScoreExplanation:
    """Which rules gave how many points, under a definition, as of a time (now by default)."""
    as_of = as_of or clock.now()
    profile = profile_of(definition)
    fit = rules.fit_lines(profile, rules.LeadProfile(lead.industry, lead.employees, lead.region, lead.title))
    behaviours = [(e.at, e.type) for e in events if e.type not in (rules.STAGE_EVENT, rules.ASSIGNED_EVENT)]
    engagement = rules.engagement_lines(profile, behaviours, as_of)
    fit_total, engagement_total = rules.total(fit), rules.total(engagement)
    return ScoreExplanation(definition.version, fit_total, engagement_total,
                            rules.qualifies(profile, fit_total, engagement_total), fit, engagement, as_of)


# --- the feedback loop -------------------------------------------------------------------

@dataclass(frozen=True)
class FeedbackCount:
    stage: rules.Stage
    reason_code: str
    source: str | None
    count: int


async def feedback(period: PeriodView) -> list[FeedbackCount]:
    """Recycle and disqualify reasons given in the period, per reason and lead source."""
    rows = await LeadEvent.filter(type=rules.STAGE_EVENT, stage__in=[rules.Stage.RECYCLED, rules.Stage.DISQUALIFIED],
                                  at__gte=period.start, at__lt=period.end).values("stage", "reason_code", "lead__source")
    counts = Counter((rules.Stage(r["stage"]), r["reason_code"] or "OTHER", r["lead__source"]) for r in rows)
    return [FeedbackCount(stage, code, source, n) for (stage, code, source), n in
            sorted(counts.items(), key=lambda kv: (kv[0][0].value, -kv[1], kv[0][1], kv[0][2] or ""))]


# --- inputs of the SLA and the lead metrics ----------------------------------------------

async def mql_facts(period: PeriodView, first_touch_team_ids: Sequence[int] | None = None) -> list[LeadFact]:
    """Facts of the leads whose first MQL fell in the period (optionally first touched by these teams)."""
    qs = LeadFact.filter(mql_at__gte=period.start, mql_at__lt=period.end)
    if first_touch_team_ids is not None:
        qs = qs.filter(first_touch_team_id__in=list(first_touch_team_ids))
    return await qs


async def first_marketing_person(lead_ids: Sequence[int]) -> dict[int, int | None]:
    """The person of each lead's first MARKETING touch (the marketing side's person in the SLA)."""
    rows = await Touchpoint.filter(lead_id__in=list(lead_ids), kind=TouchKind.MARKETING).order_by(
        "at", "id").values_list("lead_id", "person_id")
    first: dict[int, int | None] = {}
    for lead_id, person_id in rows:
        first.setdefault(lead_id, person_id)
    return first


async def agreements(period_id: int) -> list[SlaAgreement]:
    return await SlaAgreement.filter(period_id=period_id).order_by("id")


@dataclass(frozen=True)
class SlaResult:
    agreement: SlaAgreement
    figures: "sla.SlaFigures"
    awards: list["sla.Award"]


def agreement_terms(a: SlaAgreement, timezone: str) -> "sla.Agreement":
    return sla.Agreement(mql_volume=a.mql_volume, acceptance_rate_target=a.acceptance_rate_target,
                         handover_hours=a.handover_hours, follow_up_hours=a.follow_up_hours,
                         follow_up_rate_target=a.follow_up_rate_target, minimum_attempts=a.minimum_attempts,
                         decision_days=a.decision_days, business_hours_only=a.business_hours_only, timezone=timezone)


async def sla_leads(a: SlaAgreement, period: PeriodView) -> list["sla.LeadSla"]:
    """The period's MQLs first touched by the agreement's marketing team; sales items for those handed over to
    the sales team's people."""
    facts = await mql_facts(period, [a.marketing_team_id])
    sellers = set(await Person.filter(team_id=a.sales_team_id).values_list("id", flat=True))
    marketers = await first_marketing_person([f.lead_id for f in facts])
    leads = []
    for f in facts:
        handed_here = f.handover_owner_id in sellers
        leads.append(sla.LeadSla(
            lead_id=f.lead_id, mql_at=f.mql_at, handover_at=f.handover_at if handed_here else None,
            handover_owner_id=f.handover_owner_id if handed_here else None,
            marketing_person_id=marketers.get(f.lead_id), first_follow_up_at=f.first_follow_up_at if handed_here else None,
            attempts=f.attempts if handed_here else 0, decision=f.decision.value if f.decision else None,
            decision_at=f.decision_at))
    return leads


async def sla_result(a: SlaAgreement, period: PeriodView) -> SlaResult:
    terms = agreement_terms(a, config.current().timezone)
    leads = await sla_leads(a, period)
    as_of = clock.now()  # commitments of the period's MQLs count when they fall due, even after the period ends
    return SlaResult(a, sla.sla_report(terms, leads, as_of), sla.monthly_awards(terms, leads, as_of))


async def wasted_selling_minutes(period: PeriodView) -> dict[int, int]:
    """Per seller: minutes of SALES touches in the period on leads recycled or disqualified at or after the touch."""
    touches = await Touchpoint.filter(kind=TouchKind.SALES, at__gte=period.start, at__lt=period.end,
                                      person_id__not_isnull=True, duration_minutes__not_isnull=True).values_list(
        "lead_id", "person_id", "at", "duration_minutes")
    if not touches:
        return {}
    last_handback: dict[int, datetime] = {}
    for lead_id, at in await LeadEvent.filter(
            lead_id__in={t[0] for t in touches}, type=rules.STAGE_EVENT,
            stage__in=[rules.Stage.RECYCLED, rules.Stage.DISQUALIFIED]).values_list("lead_id", "at"):
        last_handback[lead_id] = max(at, last_handback.get(lead_id, at))
    minutes: dict[int, int] = defaultdict(int)
    for lead_id, person_id, at, duration in touches:
        if lead_id in last_handback and last_handback[lead_id] >= at:
            minutes[person_id] += duration
    return dict(minutes)
