"""Reads of leads: pages, batches for loaders, score explanations, the feedback loop and SLA inputs."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from decimal import Decimal

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from domain.batch import by_ids
from domain.errors import invalid, not_found
from domain import clock, config
from domain.attribution.models import TouchKind
from domain import rawsql
from domain.rawsql import as_utc, raw_values_list
from domain.leads import rules, sla, sla_store
from domain.leads.sla_store import agreement_terms
from domain.memo import Memo
from domain.leads.definitions import profile_of
from domain.leads.mqls import first_marketing_person, mql_facts_query
from domain.leads.models import (
    DefinitionStatus, Lead, LeadDefinition, LeadDefinitionApproval, LeadEvent, LeadFact, SlaAgreement,
)
from domain.org.models import Period, Person
from domain.org.service import PeriodView
from domain.paging import Page, Paged, fetch_page


UTC = timezone.utc


def _group(rows, key) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


async def leads_page(page: Page, stage: rules.Stage | None = None, owner_team_id: int | None = None,
                     owner_id: int | None = None, mql_in: PeriodView | None = None) -> Paged:
    qs = Lead.all()
    if stage is rules.Stage.LEAD:  # a lead without events or touches has no facts row, and is a LEAD
        qs = qs.filter(Q(facts__stage=stage) | Q(facts__id=None))
    elif stage is not None:
        qs = qs.filter(facts__stage=stage)
    if owner_team_id is not None:
        qs = qs.filter(facts__owner_team_id=owner_team_id)
    if owner_id is not None:
        qs = qs.filter(facts__owner_person_id=owner_id)
    if mql_in is not None:
        qs = qs.filter(facts__mql_at__gte=mql_in.start, facts__mql_at__lt=mql_in.end)
    return await fetch_page(qs, page)


async def leads_by_ids(ids: Sequence[int]) -> list[Lead | None]:
    return await by_ids(Lead, ids)


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
    return await by_ids(LeadDefinition, ids)


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

@dataclass(frozen=True, slots=True)
class MqlFact:
    """A LeadFact row as plain values (the fields of LeadFact but its id and relations): times aware UTC."""
    lead_id: int
    stage: rules.Stage
    owner_person_id: int | None
    owner_team_id: int | None
    first_touch_team_id: int | None
    mql_at: datetime
    handover_at: datetime | None
    handover_owner_id: int | None
    first_follow_up_at: datetime | None
    attempts: int
    decision: rules.Stage | None
    decision_at: datetime | None
    sal_at: datetime | None
    sql_at: datetime | None


_MQL_FACT_FIELDS = ("lead_id", "stage", "owner_person_id", "owner_team_id", "first_touch_team_id", "mql_at",
                    "handover_at", "handover_owner_id", "first_follow_up_at", "attempts", "decision", "decision_at",
                    "sal_at", "sql_at")


async def mql_facts(period: PeriodView, first_touch_team_ids: Sequence[int] | None = None) -> list[MqlFact]:
    """Facts of the leads whose first MQL fell in the period (optionally first touched by these teams), as plain
    values (no model instances)."""
    stage = rules.Stage
    return [MqlFact(lead_id, stage(st), owner_person_id, owner_team_id, first_touch_team_id, as_utc(mql_at),
                    as_utc(handover_at), handover_owner_id, as_utc(first_follow_up_at), attempts,
                    stage(decision) if decision is not None else None, as_utc(decision_at), as_utc(sal_at),
                    as_utc(sql_at))
            for (lead_id, st, owner_person_id, owner_team_id, first_touch_team_id, mql_at, handover_at,
                 handover_owner_id, first_follow_up_at, attempts, decision, decision_at, sal_at, sql_at)
            in await raw_values_list(mql_facts_query(period, first_touch_team_ids).values_list(*_MQL_FACT_FIELDS))]


async def mql_counts_by_first_touch_team(period: PeriodView) -> dict[int, int]:
    """{team: MQLs of the period first touched by it} (a pay plan's MQLS_DELIVERED): one grouped count on the index
    by first-touch team and MQL time."""
    return {team: n for team, n in await mql_facts_query(period).annotate(n=Count("id")).group_by(
        "first_touch_team_id").values_list("first_touch_team_id", "n") if team is not None}


async def mql_lead_ids_by_team(keys: Sequence[tuple[PeriodView, int]]) -> list[list[int]]:
    """The leads behind mql_counts_by_first_touch_team's count of each (period, team), by id: one read a period
    (a loader's batch function)."""
    found: dict[tuple[PeriodView, int], list[int]] = defaultdict(list)
    for period in dict.fromkeys(p for p, _ in keys):
        teams = sorted({t for p, t in keys if p == period})
        for lead_id, team in await mql_facts_query(period, teams).order_by("lead_id").values_list(
                "lead_id", "first_touch_team_id"):
            found[(period, team)].append(lead_id)
    return [found.get(k, []) for k in keys]


async def agreements(period_id: int) -> list[SlaAgreement]:
    return await SlaAgreement.filter(period_id=period_id).order_by("id")


async def agreement_between(period: PeriodView, marketing_team_id: int | None = None,
                            sales_team_id: int | None = None) -> SlaAgreement:
    """The period's SLA between these teams (`slaReport`): a team left out matches any, so a period with one SLA
    needs neither. NOT_FOUND when none matches, INVALID when several do."""
    stored = await Period.get_or_none(key=period.key)
    found = [a for a in (await agreements(stored.id) if stored else [])
             if marketing_team_id in (None, a.marketing_team_id) and sales_team_id in (None, a.sales_team_id)]
    if not found:
        raise not_found(f"no SLA agreement for {period.key} with these teams", "period")
    if len(found) > 1:
        raise invalid("this period has several SLAs: name marketingTeamId and salesTeamId", "period")
    return found[0]


@dataclass(frozen=True)
class SlaResult:
    agreement: SlaAgreement
    figures: "sla.SlaFigures"
    awards: list["sla.Award"]


async def sla_leads(a: SlaAgreement, period: PeriodView) -> list["sla.LeadSla"]:
    """The period's MQLs first touched by the agreement's marketing team, from their facts; sales items for those
    handed over to the sales team's people (the live inputs of the pure rules; reports read sla_store's rows)."""
    facts = mql_facts_query(period, [a.marketing_team_id])
    rows = await raw_values_list(facts.values_list(
        "lead_id", "mql_at", "handover_at", "handover_owner_id", "first_follow_up_at", "attempts", "decision",
        "decision_at"))
    sellers = set(await Person.filter(team_id=a.sales_team_id).values_list("id", flat=True))
    marketers = await first_marketing_person(Subquery(mql_facts_query(period, [a.marketing_team_id])
                                                       .values("lead_id"))) if rows else {}
    decisions = {s.value: s.value for s in rules.Stage}
    leads = []
    for lead_id, mql_at, handover_at, handover_owner_id, first_follow_up_at, attempts, decision, decision_at in rows:
        handed_here = handover_owner_id in sellers
        leads.append(sla.LeadSla(
            lead_id=lead_id, mql_at=as_utc(mql_at), handover_at=as_utc(handover_at) if handed_here else None,
            handover_owner_id=handover_owner_id if handed_here else None,
            marketing_person_id=marketers.get(lead_id),
            first_follow_up_at=as_utc(first_follow_up_at) if handed_here else None,
            attempts=attempts if handed_here else 0, decision=decisions[decision] if decision else None,
            decision_at=as_utc(decision_at)))
    return leads


class LiveSla:
    """An agreement's report as StoredSla gives it, worked out from the facts in Python (sla_leads and the pure
    rules), for when the stored rows cannot be used (their business hours were worked out in another time zone)."""

    def __init__(self, agreement: SlaAgreement, terms: "sla.Agreement", period: PeriodView, now: datetime) -> None:
        self.agreement, self.terms, self.period, self.now = agreement, terms, period, now
        self._memo = Memo()

    async def _result(self) -> tuple[list["sla.LeadSla"], list["sla.SlaItem"], "sla.SlaFigures", list["sla.Award"]]:
        async def compute():
            leads = await sla_leads(self.agreement, self.period)
            items = sla.all_items(self.terms, leads, self.now)
            return (leads, items, *sla.report_of_items(self.terms, leads, self.now, items))
        return await self._memo("result", compute)

    async def sides(self) -> dict["sla.Side", "sla.SideCompliance"]:
        f = (await self._result())[2]
        return {sla.Side.MARKETING: f.marketing, sla.Side.SALES: f.sales}

    async def follow_up(self) -> "sla.SideCompliance":
        items = (await self._result())[1]
        return sla.compliance_of(i for i in items if i.kind is sla.ItemKind.FOLLOW_UP)

    async def headline(self) -> "sla.Headline":
        f = (await self._result())[2]
        return sla.Headline(**{name: getattr(f, name) for name in sla.Headline.__dataclass_fields__})

    async def response_micros(self) -> list[int]:
        return sla.response_micros_of((await self._result())[0], self.now)

    async def people(self) -> tuple[dict[int, "sla.SideCompliance"], dict[int, "sla.SideCompliance"]]:
        f = (await self._result())[2]
        return f.marketing_by_person, f.sales_by_person

    async def awards(self) -> list["sla.Award"]:
        return (await self._result())[3]

    async def breaches(self, offset: int, limit: int) -> list["sla.Breach"]:
        return (await self._result())[2].breaches[offset:offset + limit]

    async def breach_count(self) -> int:
        return len((await self._result())[2].breaches)

    async def leads_and_items(self) -> tuple[list["sla.LeadSla"], list["sla.SlaItem"]]:
        leads, items, _, _ = await self._result()
        return leads, items

    async def weeks(self, weeks) -> list[tuple["sla.SideCompliance", "sla.SideCompliance"]]:
        leads, items, _, _ = await self._result()
        return sla.weekly_compliance(leads, items, weeks)


SlaReportGroups = sla_store.StoredSla | LiveSla


async def sla_report(a: SlaAgreement, period: PeriodView, as_of: datetime | None = None) -> SlaReportGroups:
    """An agreement's SLA report as of `as_of` (default now), each group of figures read when first asked for: from
    the stored rows (sla_store), or live from the facts when those were worked out in another time zone's business
    hours. Commitments of the period's MQLs count when they fall due, even after the period ends."""
    terms = agreement_terms(a, config.current().timezone)
    now = as_of if as_of is not None else clock.now()
    stored = sla_store.StoredSla(a, terms, now)
    return LiveSla(a, terms, period, now) if await stored.stale() else stored


async def sla_result(a: SlaAgreement, period: PeriodView, as_of: datetime | None = None) -> SlaResult:
    """Every figure of an agreement's report, with every item (for the CSV and the traces), as of `as_of` (default
    now)."""
    report = await sla_report(a, period, as_of)
    leads, items = await report.leads_and_items()
    return SlaResult(a, *sla.report_of_items(report.terms, leads, report.now, items))


async def sla_weeks(report: SlaReportGroups, period: PeriodView) -> list[tuple["sla.Week", "sla.SideCompliance",
                                                                          "sla.SideCompliance"]]:
    """An agreement's compliance of both sides by ISO week of the period (clipped to it), over the leads that
    became MQL in each week (sla.weekly_compliance), as of the report's instant."""
    tz = config.current().timezone
    last = (period.end - timedelta(microseconds=1)).astimezone(ZoneInfo(tz)).date()
    weeks = sla.iso_weeks(period.start.astimezone(ZoneInfo(tz)).date(), last, tz)
    return [(w, m, s) for w, (m, s) in zip(weeks, await report.weeks(weeks))]


@dataclass(frozen=True)
class CohortLine:
    team_id: int | None
    counts: rules.CohortCounts


async def funnel_cohort(period: PeriodView, as_of: datetime | None = None) -> list[CohortLine]:
    """rules.cohort_funnel in one statement: the leads whose first MQL fell in the period, by first-touch team
    (teams by id, then no team), as of `as_of` (default now)."""
    now = as_of if as_of is not None else clock.now()
    found = await rawsql.rows("""
        WITH cohort AS (SELECT lead_id, first_touch_team_id, sal_at, sql_at FROM lead_fact
                        WHERE mql_at >= :start AND mql_at < :end AND mql_at <= :now),
        won AS (SELECT o.lead_id, SUM(o.amount_cents) AS cents FROM opportunity o
                WHERE o.status = :won AND o.closed_at <= :now AND o.lead_id IN (SELECT lead_id FROM cohort)
                GROUP BY o.lead_id)
        SELECT c.first_touch_team_id, COUNT(*), SUM(CASE WHEN c.sal_at <= :now THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.sql_at <= :now THEN 1 ELSE 0 END), COUNT(w.lead_id), SUM(COALESCE(w.cents, 0))
        FROM cohort c LEFT JOIN won w ON w.lead_id = c.lead_id
        GROUP BY c.first_touch_team_id""", start=period.start, end=period.end, now=now, won="WON")
    lines = [CohortLine(team, rules.CohortCounts(int(m), int(a or 0), int(q or 0), int(w or 0), int(c or 0)))
             for team, m, a, q, w, c in found]
    return sorted(lines, key=lambda line: (line.team_id is None, line.team_id or 0))


def _wasted_selection(select: str, tail: str, as_of: datetime | None = None) -> str:
    """SALES touches in the period, with a person and a duration, on leads recycled or disqualified at or after the
    touch: the leads' last hand-back since the period began (an earlier one is before every touch here), joined to
    their touches by the (lead, time) index. As of an instant, a hand-back after it has not happened yet."""
    as_of = "AND at <= :as_of" if as_of is not None else ""
    return f"""
        WITH handback AS (
          SELECT lead_id, MAX(at) AS last FROM lead_event
          WHERE type = :stage_event AND stage IN (:recycled, :disqualified) AND at >= :start {as_of} GROUP BY lead_id)
        SELECT {select} FROM handback h
        JOIN touchpoint t ON t.lead_id = h.lead_id AND t.at >= :start AND t.at < :end AND t.at <= h.last
        WHERE t.kind = :kind AND t.person_id IS NOT NULL AND t.duration_minutes IS NOT NULL {tail}"""


def _wasted_params(period: PeriodView, as_of: datetime | None = None) -> dict:
    return dict(stage_event=rules.STAGE_EVENT, recycled=rules.Stage.RECYCLED.value,
                disqualified=rules.Stage.DISQUALIFIED.value, start=period.start, end=period.end,
                kind=TouchKind.SALES.value, **({"as_of": as_of} if as_of is not None else {}))


async def wasted_selling_minutes(period: PeriodView, as_of: datetime | None = None) -> dict[int, int]:
    """Per seller: minutes of the wasted selling touches (wasted_selling_touches lists them), summed in SQL; as of
    an instant (with the period's window up to it), only the hand-backs by then count."""
    found = await rawsql.rows(_wasted_selection("t.person_id, SUM(t.duration_minutes)", "GROUP BY t.person_id",
                                                as_of), **_wasted_params(period, as_of))
    return {person_id: int(minutes) for person_id, minutes in found}


# --- the leads export ----------------------------------------------------------------------

from collections.abc import AsyncIterator  # noqa: E402 - kept with the export's functions
from typing import NamedTuple  # noqa: E402


class LeadExportRow(NamedTuple):
    """A lead and its stored facts as plain values: times aware UTC, `stage` and `decision` as their stored names
    (a lead without events or touches has no stored facts: stage LEAD and 0 attempts, as GraphQL's Lead)."""
    id: int
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
    stage: str
    owner_person_id: int | None
    owner_team_id: int | None
    first_touch_team_id: int | None
    mql_at: datetime | None
    handover_at: datetime | None
    first_follow_up_at: datetime | None
    attempts: int
    decision: str | None
    decision_at: datetime | None
    sal_at: datetime | None
    sql_at: datetime | None


_LEAD_EXPORT_FIELDS = ("id", "external_id", "company", "contact_name", "email", "industry", "employees", "region",
                       "title", "source", "created_at", "facts__stage", "facts__owner_person_id",
                       "facts__owner_team_id", "facts__first_touch_team_id", "facts__mql_at", "facts__handover_at",
                       "facts__first_follow_up_at", "facts__attempts", "facts__decision", "facts__decision_at",
                       "facts__sal_at", "facts__sql_at")
EXPORT_PAGE = 5000


async def lead_export_pages(period: PeriodView, stage: rules.Stage | None = None,
                            page_size: int = EXPORT_PAGE) -> AsyncIterator[list[LeadExportRow]]:
    """The leads of a period for the export, in id order, a page at a time: the leads created in the period and
    those with a stage change (a STAGE event) in it, optionally only those now at `stage`.

    Constant memory at any size: keyset windows of `page_size` lead ids, two statements each (the window's upper
    id by the primary key, then its rows with their facts, one LEFT JOIN, the stage changes looked up within the
    window only), read as raw values (no model instances). A window may yield fewer rows than `page_size` (or
    none: then nothing is yielded for it); the number of statements is 2 x (leads // page_size + 1). The pages are
    separate statements, not one snapshot: a lead written while the export runs may or may not be in it."""
    after: int | None = None
    in_period = Q(created_at__gte=period.start, created_at__lt=period.end)
    as_stage = rules.Stage
    while True:
        window = Lead.all() if after is None else Lead.filter(id__gt=after)
        upper = await raw_values_list(window.order_by("id").offset(page_size - 1).limit(1).values_list("id"))
        last = upper[0][0] if upper else None
        changes = LeadEvent.filter(type=rules.STAGE_EVENT, at__gte=period.start, at__lt=period.end)
        if after is not None:
            changes = changes.filter(lead_id__gt=after)
        if last is not None:
            window = window.filter(id__lte=last)
            changes = changes.filter(lead_id__lte=last)
        qs = window.filter(in_period | Q(id__in=Subquery(changes.values("lead_id"))))
        if stage is not None:
            qs = qs.filter(Q(facts__stage=stage) | Q(facts__id=None)) if stage is as_stage.LEAD \
                else qs.filter(facts__stage=stage)
        rows = await raw_values_list(qs.order_by("id").values_list(*_LEAD_EXPORT_FIELDS))
        if rows:
            yield [LeadExportRow(lead_id, external_id, company, contact_name, email, industry, employees, region,
                                 title, source, as_utc(created_at), st or "LEAD", owner_person_id, owner_team_id,
                                 first_touch_team_id, as_utc(mql_at), as_utc(handover_at),
                                 as_utc(first_follow_up_at), attempts or 0, decision, as_utc(decision_at),
                                 as_utc(sal_at), as_utc(sql_at))
                   for (lead_id, external_id, company, contact_name, email, industry, employees, region, title,
                        source, created_at, st, owner_person_id, owner_team_id, first_touch_team_id, mql_at,
                        handover_at, first_follow_up_at, attempts, decision, decision_at, sal_at, sql_at) in rows]
        if last is None:
            return
        after = last


async def lead_export_scores(page: Sequence[LeadExportRow], definition: LeadDefinition,
                             as_of: datetime) -> list[tuple[Decimal, Decimal, bool]]:
    """(fit, engagement, qualifies) of each lead of an export page under a definition as of a time, as explain_score
    gives them: one statement, the behaviours of the page's id range."""
    if not page:
        return []
    profile = profile_of(definition)
    wanted = {row.id for row in page}
    behaviours: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for lead_id, at, kind in await raw_values_list(LeadEvent.filter(
            lead_id__gte=page[0].id, lead_id__lte=page[-1].id,
            type__not_in=[rules.STAGE_EVENT, rules.ASSIGNED_EVENT]).values_list("lead_id", "at", "type")):
        if lead_id in wanted:
            behaviours[lead_id].append((as_utc(at), kind))
    out = []
    for row in page:
        fit = rules.total(rules.fit_lines(profile, rules.LeadProfile(row.industry, row.employees, row.region,
                                                                     row.title)))
        engagement = rules.total(rules.engagement_lines(profile, behaviours.get(row.id, ()), as_of))
        out.append((fit, engagement, rules.qualifies(profile, fit, engagement)))
    return out


# --- the rows behind the common view's figures -------------------------------------------

@dataclass(frozen=True, slots=True)
class WastedTouch:
    """A SALES touch counted in wasted selling time (see wasted_selling_touches)."""
    touchpoint_id: int
    lead_id: int
    person_id: int
    at: datetime
    minutes: int
    channel: str
    campaign: str | None

    @classmethod
    def of(cls, *, touchpoint_id, lead_id, person_id, at, minutes, channel, campaign) -> "WastedTouch":
        return cls(touchpoint_id, lead_id, person_id, as_utc(at), minutes, channel, campaign)


async def wasted_selling_touches(period: PeriodView, as_of: datetime | None = None) -> list[WastedTouch]:
    """The touches behind wasted selling time, one row each in touchpoint id order (the selection
    wasted_selling_minutes sums per seller)."""
    return await rawsql.records(WastedTouch.of, _wasted_selection(
        "t.id AS touchpoint_id, t.lead_id, t.person_id, t.at, t.duration_minutes AS minutes, t.channel, t.campaign",
        "ORDER BY t.id", as_of), **_wasted_params(period, as_of))
