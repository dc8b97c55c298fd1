"""Keeping each lead's derived rows current: scoring (MQL events from behaviours) and the SLA facts row.
Call `refresh_leads` inside the transaction that changed a lead's events or touchpoints. A lead with no events and
no touches has no facts row: its facts are the empty facts (stage LEAD, no owner), which is what readers assume
when the row is missing. An import of new leads so writes only the leads."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timezone

from domain import bulk
from domain.access.rules import SALES_SIDE
from domain.attribution.models import TouchKind
from domain.attribution.stored import refresh_for_leads as credit_rows_for_leads
from domain.bulk import utc
from domain.leads import rules, sla_store
from domain.leads.definitions import definitions_in_force
from domain.leads.models import Lead
from domain.org.models import Person
from domain.rawsql import as_utc

SCORING_ACTOR = "lead scoring"


async def sales_people() -> frozenset[int]:
    """People who count as sales owners for hand-over: members of SALES and SDR teams."""
    return frozenset(await Person.filter(team__function__in=list(SALES_SIDE)).values_list("id", flat=True))


SCORED_COLUMNS = ("lead_id", "at", "type", "stage", "actor_name", "reason_text")  # an MQL event of the scoring


@dataclass(frozen=True, slots=True)
class FactRow:
    """A lead's facts as written: the columns of lead_fact but its id (FACT_COLUMNS, in this order), which the SLA
    rows read as they would a LeadFact's attributes (a test keeps the two the same)."""
    lead_id: int
    stage: str
    owner_person_id: int | None
    owner_team_id: int | None
    first_touch_team_id: int | None
    mql_at: datetime | None
    handover_at: datetime | None
    handover_owner_id: int | None
    first_follow_up_at: datetime | None
    attempts: int
    decision: str | None
    decision_at: datetime | None
    sal_at: datetime | None
    sql_at: datetime | None


FACT_COLUMNS = tuple(f.name for f in fields(FactRow))


def _score(definitions, profiles: dict[int, rules.LeadProfile],
           events: dict[int, list[rules.Event]]) -> list[tuple]:
    """MQL events (rows of SCORED_COLUMNS) for leads that the definition in force at a behaviour's time qualifies,
    as of that behaviour. A lead qualifies from LEAD, or again after a recycle; history before a definition's
    activation is not rescored. Each is added to `events` too."""
    if not definitions:
        return []
    created = []
    for lead_id, profile_of_lead in profiles.items():
        evs = events.get(lead_id)
        if not evs:
            continue
        evs = sorted(evs, key=lambda e: (e.at, e.id))
        stage_evs = [e for e in evs if e.type == rules.STAGE_EVENT]
        stage = stage_evs[-1].stage if stage_evs else rules.Stage.LEAD
        if stage not in (rules.Stage.LEAD, rules.Stage.RECYCLED):
            continue
        since = stage_evs[-1].at if stage_evs else datetime.min.replace(tzinfo=timezone.utc)
        behaviours = [(e.at, e.type) for e in evs if e.type not in (rules.STAGE_EVENT, rules.ASSIGNED_EVENT)]
        if not behaviours:
            continue
        for activated_at, until, profile in definitions:
            not_before = max(since, activated_at)
            at = rules.first_qualifying_time(profile, profile_of_lead, behaviours, not_before)
            if at is not None and (until is None or at < until):
                created.append((lead_id, utc(at), rules.STAGE_EVENT, rules.Stage.MQL.value, SCORING_ACTOR, ""))
                events[lead_id].append(rules.Event(at=at, id=2**62, type=rules.STAGE_EVENT, stage=rules.Stage.MQL))
                break
    return created


async def refresh_leads(lead_ids: Iterable[int]) -> None:
    """Re-score and recompute the facts of these leads, set-based: per chunk of leads one read each of their
    profiles, events and touches, one delete and one bulk write each of their facts and SLA rows (plain rows, no
    model instances), then their deals' stored credit."""
    ids = sorted(set(lead_ids))
    if not ids:
        return
    db = bulk.db_of()
    sellers = await sales_people()
    team_of = dict(await Person.all().values_list("id", "team_id"))
    agreements = await sla_store.terms()
    definitions = [(as_utc(a), as_utc(u), p) for a, u, p in await definitions_in_force()]
    stage_of = {s.value: s for s in rules.Stage}
    sales, marketing = TouchKind.SALES.value, TouchKind.MARKETING.value
    event = rules.Event
    for chunk in bulk.chunks(ids):
        cond, params = bulk.ids_condition(db, "id", chunk)
        lead_cond, _ = bulk.ids_condition(db, "lead_id", chunk)
        profiles = {lead_id: rules.LeadProfile(industry, employees, region, title)
                    for lead_id, industry, employees, region, title in await bulk.select(
                        db, f'SELECT "id", "industry", "employees", "region", "title" FROM "lead" WHERE {cond}',
                        params)}
        events: dict[int, list[rules.Event]] = defaultdict(list)
        for event_id, lead_id, at, type_, stage, owner in await bulk.select(
                db, f'SELECT "id", "lead_id", "at", "type", "stage", "owner_person_id" FROM "lead_event" '
                    f'WHERE {lead_cond}', params):
            events[lead_id].append(event(as_utc(at), event_id, type_, stage_of[stage] if stage else None, owner))
        scored = _score(definitions, profiles, events)
        await bulk.insert(db, "lead_event", SCORED_COLUMNS, scored)
        touches: dict[int, list[rules.SalesTouch]] = defaultdict(list)
        first_touch_team: dict[int, tuple] = {}
        first_marketing: dict[int, tuple] = {}  # the SLA's marketing person: of the first MARKETING touch
        for touch_id, lead_id, at, kind, team_id, person_id in await bulk.select(
                db, f'SELECT "id", "lead_id", "at", "kind", "team_id", "person_id" FROM "touchpoint" '
                    f'WHERE {lead_cond}', params):
            at = as_utc(at)
            key = (at, touch_id)
            if lead_id not in first_touch_team or key < first_touch_team[lead_id][0]:
                first_touch_team[lead_id] = (key, team_id)
            if kind == sales:
                touches[lead_id].append(rules.SalesTouch(at, touch_id, person_id))
            elif kind == marketing and (lead_id not in first_marketing or key < first_marketing[lead_id][0]):
                first_marketing[lead_id] = (key, person_id)
        facts = []
        for lead_id in profiles:
            if lead_id not in events and lead_id not in first_touch_team:
                continue  # no events, no touches: the empty facts (stage LEAD), stored as no row
            f = rules.lead_facts(events.get(lead_id, ()), touches.get(lead_id, ()), sellers)
            facts.append(FactRow(
                lead_id, f.stage.value, f.owner_person_id, team_of.get(f.owner_person_id),
                first_touch_team.get(lead_id, (0, None))[1], utc(f.mql_at), utc(f.handover_at), f.handover_owner_id,
                utc(f.first_follow_up_at), f.attempts, f.decision.value if f.decision else None, utc(f.decision_at),
                utc(f.sal_at), utc(f.sql_at)))
        present = list(profiles)
        await bulk.delete_where(db, "lead_fact", "lead_id", present)
        await bulk.insert(db, "lead_fact", FACT_COLUMNS, [tuple(getattr(f, c) for c in FACT_COLUMNS) for f in facts])
        await sla_store.refresh_for_leads(agreements, present, facts,
                                          {lead_id: person for lead_id, (_, person) in first_marketing.items()},
                                          connection=db)
    await credit_rows_for_leads(ids)  # a lead's touches and MQL time shape its deals' credit


async def rebuild_all_facts() -> None:
    """Recompute every lead's facts from the raw rows (a test compares this with the kept-current rows)."""
    ids = await Lead.all().values_list("id", flat=True)
    await refresh_leads(ids)
