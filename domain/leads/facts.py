"""Keeping each lead's derived rows current: scoring (MQL events from behaviours) and the SLA facts row.
Call `refresh_leads` inside the transaction that changed a lead's events or touchpoints. A lead with no events and
no touches has no facts row: its facts are the empty facts (stage LEAD, no owner), which is what readers assume
when the row is missing. An import of new leads so writes only the leads."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from decimal import Decimal

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
    fit: dict[tuple[int, rules.LeadProfile], Decimal] = {}  # (definition, lead profile) -> fit score: profiles repeat
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
        for k, (activated_at, until, profile) in enumerate(definitions):
            not_before = max(since, activated_at)
            score = fit.get((k, profile_of_lead))
            if score is None:
                score = fit[(k, profile_of_lead)] = rules.fit_score(profile, profile_of_lead)
            at = rules.first_qualifying_time(profile, profile_of_lead, behaviours, not_before, score)
            if at is not None and (until is None or at < until):
                created.append((lead_id, utc(at), rules.STAGE_EVENT, rules.Stage.MQL.value, SCORING_ACTOR, ""))
                events[lead_id].append(rules.Event(at=at, id=2**62, type=rules.STAGE_EVENT, stage=rules.Stage.MQL))
                break
    return created


def _first_stage(stage: rules.Stage) -> str:
    return f"MIN(CASE WHEN e.type = '{rules.STAGE_EVENT}' AND e.stage = '{stage.value}' THEN e.at END)"


_DECISIONS = ", ".join(f"'{s.value}'" for s in sorted(rules.DECISIONS, key=lambda s: s.value))
_SELLERS = ("SELECT p.id FROM person p JOIN team t ON t.id = p.team_id WHERE t.function IN ("
            + ", ".join(f"'{f.value}'" for f in sorted(SALES_SIDE, key=lambda f: f.value)) + ")")
_AFTER_HANDOVER = (f"t.lead_id = f.lead_id AND t.kind = '{TouchKind.SALES.value}' AND f.handover_at IS NOT NULL "
                   "AND t.at >= f.handover_at")

# The SQL twin of rules.lead_facts (with the owner's team and the first touch's team), for every lead of a chunk at
# once: one INSERT ... SELECT of the facts rows of the leads that have events or touches (a lead with neither has
# no row). `{leads}` is the chunk's condition on a `lead_id` column. The first MQL, SAL and SQL come from one
# grouped pass over the chunk's events (materialized, so each is worked out once a lead), which counts a lead's stage
# events and assignments too; each "first" or "last" event or touch is one index look-up (lead, time), ties in time
# going by id as the rule orders them, made only for the leads that have such events (a look-up that finds none
# reads all of a lead's events: a first import of behaviours has mostly no stage events, no assignments);
# `sales_people()` is _SELLERS. Times are compared as stored (SQLite's text of UTC times orders as the times do,
# with or without microseconds). tests/api/test_fact_twins.py runs both on random events and touches and compares
# every column.
FACTS_SQL = f"""
WITH ev AS MATERIALIZED (
  SELECT e.lead_id, {_first_stage(rules.Stage.MQL)} AS mql_at, {_first_stage(rules.Stage.SAL)} AS sal_at,
         {_first_stage(rules.Stage.SQL)} AS sql_at,
         COUNT(CASE WHEN e.type = '{rules.STAGE_EVENT}' AND e.stage IS NOT NULL THEN 1 END) AS stages,
         COUNT(CASE WHEN e.type = '{rules.ASSIGNED_EVENT}' THEN 1 END) AS assignments
  FROM lead_event e WHERE e.{{leads}} GROUP BY e.lead_id),
ids AS (SELECT lead_id FROM ev UNION SELECT t.lead_id FROM touchpoint t WHERE t.{{leads}}),
b AS MATERIALIZED (
  SELECT i.lead_id, ev.mql_at, ev.sal_at, ev.sql_at,
    (SELECT e.stage FROM lead_event e WHERE ev.stages > 0 AND e.lead_id = i.lead_id
       AND e.type = '{rules.STAGE_EVENT}' AND e.stage IS NOT NULL ORDER BY e.at DESC, e.id DESC LIMIT 1) AS stage,
    (SELECT e.owner_person_id FROM lead_event e WHERE ev.assignments > 0 AND e.lead_id = i.lead_id
       AND e.type = '{rules.ASSIGNED_EVENT}' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS owner,
    (SELECT t.team_id FROM touchpoint t WHERE t.lead_id = i.lead_id ORDER BY t.at, t.id LIMIT 1)
       AS first_touch_team_id,
    (SELECT e.id FROM lead_event e WHERE e.lead_id = i.lead_id AND e.type = '{rules.ASSIGNED_EVENT}'
       AND ev.mql_at IS NOT NULL AND e.at >= ev.mql_at AND e.owner_person_id IN ({_SELLERS})
       ORDER BY e.at, e.id LIMIT 1) AS handover_id,
    (SELECT e.id FROM lead_event e WHERE e.lead_id = i.lead_id AND e.type = '{rules.STAGE_EVENT}'
       AND ev.mql_at IS NOT NULL AND e.at >= ev.mql_at AND e.stage IN ({_DECISIONS})
       ORDER BY e.at, e.id LIMIT 1) AS decision_id
  FROM ids i LEFT JOIN ev ON ev.lead_id = i.lead_id),
f AS (
  SELECT b.*, he.at AS handover_at, he.owner_person_id AS handover_owner_id, de.stage AS decision,
         de.at AS decision_at
  FROM b LEFT JOIN lead_event he ON he.id = b.handover_id LEFT JOIN lead_event de ON de.id = b.decision_id)
INSERT INTO lead_fact ({", ".join(FACT_COLUMNS)})
SELECT f.lead_id, COALESCE(f.stage, '{rules.Stage.LEAD.value}'), f.owner,
       (SELECT p.team_id FROM person p WHERE p.id = f.owner), f.first_touch_team_id, f.mql_at, f.handover_at,
       f.handover_owner_id,
       (SELECT MIN(t.at) FROM touchpoint t WHERE {_AFTER_HANDOVER}),
       (SELECT COUNT(*) FROM touchpoint t WHERE {_AFTER_HANDOVER}),
       f.decision, f.decision_at, f.sal_at, f.sql_at
FROM f"""

# The facts columns a lead's touches feed (FACTS_SQL's first_touch_team_id, first_follow_up_at and attempts: the first
# touch's team, the first SALES touch at or after the hand-over and the count of those), worked out again for the
# chunk's facts rows that exist and written in place where they changed: what FACTS_SQL would write for them when
# only touches changed, its other columns coming from the events. `{distinct}` is the dialect's null-safe "differs".
# tests/api/test_fact_twins.py holds it to FACTS_SQL on random journeys.
TOUCH_FACTS_SQL = f"""
WITH n AS MATERIALIZED (
  SELECT f.lead_id,
    (SELECT t.team_id FROM touchpoint t WHERE t.lead_id = f.lead_id ORDER BY t.at, t.id LIMIT 1)
       AS first_touch_team_id,
    (SELECT MIN(t.at) FROM touchpoint t WHERE {_AFTER_HANDOVER}) AS first_follow_up_at,
    (SELECT COUNT(*) FROM touchpoint t WHERE {_AFTER_HANDOVER}) AS attempts
  FROM lead_fact f WHERE f.{{leads}})
UPDATE lead_fact SET first_touch_team_id = n.first_touch_team_id, first_follow_up_at = n.first_follow_up_at,
       attempts = n.attempts
FROM n WHERE lead_fact.lead_id = n.lead_id AND (lead_fact.first_touch_team_id {{distinct}} n.first_touch_team_id
  OR lead_fact.first_follow_up_at {{distinct}} n.first_follow_up_at OR lead_fact.attempts <> n.attempts)"""

# The SLA writer's inputs of a chunk's facts that can have SLA rows (an MQL first touched by a team), with the person
# of each one's first MARKETING touch.
_SLA_FACTS_SQL = f"""
SELECT {", ".join("f." + c for c in FACT_COLUMNS)},
       (SELECT t.person_id FROM touchpoint t WHERE t.lead_id = f.lead_id AND t.kind = '{TouchKind.MARKETING.value}'
        ORDER BY t.at, t.id LIMIT 1)
FROM lead_fact f WHERE f.{{leads}} AND f.mql_at IS NOT NULL AND f.first_touch_team_id IS NOT NULL"""


# The profiles of a chunk's leads (`{leads}`: its condition on "id") but those that the scoring cannot qualify
# because their last stage event (by time, then id) is neither LEAD nor RECYCLED (_score passes over them: the leads
# of a later import have mostly moved on). The look-up, from a lead's last event back (index lead, time), is made
# only for the leads that have a facts row (events or touches before): a lead new to events mostly has no stage
# event, and finding none would read all its events (on a first import of lead events it cost more than it saved).
_SCORABLE_SQL = f"""
SELECT l.id, l.industry, l.employees, l.region, l.title FROM lead l WHERE l.{{leads}}
  AND (NOT EXISTS (SELECT 1 FROM lead_fact f WHERE f.lead_id = l.id)
       OR COALESCE((SELECT e.stage FROM lead_event e WHERE e.lead_id = l.id AND e.type = '{rules.STAGE_EVENT}'
                    ORDER BY e.at DESC, e.id DESC LIMIT 1), '{rules.Stage.LEAD.value}')
          IN ('{rules.Stage.LEAD.value}', '{rules.Stage.RECYCLED.value}'))"""


async def _score_chunk(db, definitions, cond: str, params: list) -> None:
    """The scoring's MQL events of a chunk of leads (rules.first_qualifying_time in Python: one read each of their
    profiles and events, one bulk write). Only what can qualify a lead is read: the profiles of the leads whose
    stage the scoring starts from (_SCORABLE_SQL), the events of those that fit some definition (rules.fits: no
    behaviour qualifies another), and of those only their stage events and the behaviours some definition gives
    points (rules.scored_behaviours: the others never count, nor do assignments). _score gives the same events as
    over all of them (tests/api/test_scoring_reads.py)."""
    stage_of = {s.value: s for s in rules.Stage}
    event = rules.Event
    profiles = {lead_id: rules.LeadProfile(industry, employees, region, title)
                for lead_id, industry, employees, region, title in await bulk.select(
                    db, _SCORABLE_SQL.format(leads=cond), params)}
    fitting: dict[rules.LeadProfile, bool] = {}  # leads of the same profile fit alike (a third of them are repeats)
    for p in profiles.values():
        if p not in fitting:
            fitting[p] = any(rules.fits(d, p) for _, _, d in definitions)
    profiles = {lead_id: p for lead_id, p in profiles.items() if fitting[p]}
    if not profiles:
        return
    kinds = sorted(rules.scored_behaviours(d for _, _, d in definitions) | {rules.STAGE_EVENT})
    lead_cond, lead_params = bulk.ids_set_condition(db, "lead_id", sorted(profiles))
    types = ", ".join("'" + k.replace("'", "''") + "'" for k in kinds)
    events: dict[int, list[rules.Event]] = defaultdict(list)
    for event_id, lead_id, at, type_, stage in await bulk.select(
            db, f'SELECT "id", "lead_id", "at", "type", "stage" FROM "lead_event" WHERE {lead_cond} '
                f'AND "type" IN ({types})', lead_params):
        events[lead_id].append(event(as_utc(at), event_id, type_, stage_of[stage] if stage else None))
    await bulk.insert(db, "lead_event", SCORED_COLUMNS, _score(definitions, profiles, events))


async def refresh_leads(lead_ids: Iterable[int], *, rescore: bool = True) -> None:
    """Re-score and recompute the facts of these leads, set-based: per chunk of leads the scoring (one read of their
    profiles and events, one bulk write of the MQL events it gives), one delete and one INSERT ... SELECT of their
    facts (FACTS_SQL), one read of the facts the SLA rows follow and one bulk write of those; then their deals'
    stored credit. `rescore=False` when only the leads' touches changed: touches are no input of the scoring (its
    inputs are the profile, the behaviours and the definitions), so it would give nothing new."""
    ids = sorted(set(lead_ids))
    if not ids:
        return
    db = bulk.db_of()
    agreements = await sla_store.terms()
    definitions = [(as_utc(a), as_utc(u), p) for a, u, p in await definitions_in_force()] if rescore else []
    for chunk in bulk.chunks(ids):
        cond, params = bulk.ids_condition(db, "id", chunk)
        lead_cond, _ = bulk.ids_set_condition(db, "lead_id", chunk)
        if rescore and definitions:
            await _score_chunk(db, definitions, cond, params)
        await bulk.delete_where(db, "lead_fact", "lead_id", chunk)
        await db.execute_query(FACTS_SQL.format(leads=lead_cond), params)
        await _refresh_sla(db, agreements, chunk, lead_cond, params)
    await credit_rows_for_leads(ids)  # a lead's touches and MQL time shape its deals' credit


async def refresh_touched_leads(lead_ids: Iterable[int]) -> None:
    """What refresh_leads(rescore=False) gives, for leads of which only touches were added or changed (their events
    and profiles as they were, so their facts but the touch columns current): per chunk of leads, one UPDATE in place
    of the facts' touch columns where they changed (TOUCH_FACTS_SQL), FACTS_SQL for the leads that had no facts row
    (no events, no touches before), then their SLA rows and their deals' stored credit as refresh_leads writes them
    (both read the touches: the first MARKETING touch's person, the journeys)."""
    ids = sorted(set(lead_ids))
    if not ids:
        return
    db = bulk.db_of()
    agreements = await sla_store.terms()
    distinct = "IS NOT" if bulk.dialect_of(db) == "sqlite" else "IS DISTINCT FROM"
    for chunk in bulk.chunks(ids):
        cond, params = bulk.ids_condition(db, "lead_id", chunk)
        lead_cond, _ = bulk.ids_set_condition(db, "lead_id", chunk)
        present = {r[0] for r in await bulk.select(db, f'SELECT "lead_id" FROM "lead_fact" WHERE {cond}', params)}
        if present:
            await db.execute_query(TOUCH_FACTS_SQL.format(leads=lead_cond, distinct=distinct), params)
        if missing := [i for i in chunk if i not in present]:
            missing_cond, missing_params = bulk.ids_set_condition(db, "lead_id", missing)
            await db.execute_query(FACTS_SQL.format(leads=missing_cond), missing_params)
        await _refresh_sla(db, agreements, chunk, lead_cond, params)
    await credit_rows_for_leads(ids)


async def _refresh_sla(db, agreements, chunk: Sequence[int], lead_cond: str, params: list) -> None:
    """The SLA rows of a chunk of leads from their facts as now written (none without agreements)."""
    if not agreements:
        return
    facts, marketing = [], {}
    for *values, marketer in await bulk.select(db, _SLA_FACTS_SQL.format(leads=lead_cond), params):
        facts.append(FactRow(*values))
        marketing[values[0]] = marketer
    await sla_store.refresh_for_leads(agreements, chunk, facts, marketing, connection=db)


async def rebuild_all_facts() -> None:
    """Recompute every lead's facts from the raw rows (a test compares this with the kept-current rows)."""
    ids = await Lead.all().values_list("id", flat=True)
    await refresh_leads(ids)
