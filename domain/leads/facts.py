"""Keeping each lead's derived rows current: scoring (MQL events from behaviours) and the SLA facts row.
Call `refresh_leads` inside the transaction that changed a lead's events or touchpoints. A lead with no events and
no touches has no facts row: its facts are the empty facts (stage LEAD, no owner), which is what readers assume
when the row is missing. An import of new leads so writes only the leads."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone

from domain.attribution.models import TouchKind, Touchpoint
from domain.attribution.stored import refresh_for_leads as credit_rows_for_leads
from domain.leads import rules, sla_store
from domain.leads.definitions import definitions_in_force
from domain.leads.models import Lead, LeadEvent, LeadFact
from domain.org.models import Person
from domain.org.rules import TeamFunction

SALES_FUNCTIONS = (TeamFunction.SALES, TeamFunction.SDR)
SCORING_ACTOR = "lead scoring"
BATCH = 500


async def sales_people() -> frozenset[int]:
    """People who count as sales owners for hand-over: members of SALES and SDR teams."""
    return frozenset(await Person.filter(team__function__in=list(SALES_FUNCTIONS)).values_list("id", flat=True))


def _events(rows) -> list[rules.Event]:
    return [rules.Event(at=r["at"], id=r["id"], type=r["type"], stage=rules.Stage(r["stage"]) if r["stage"] else None,
                        owner_person_id=r["owner_person_id"]) for r in rows]


async def _score(leads: dict[int, Lead], events: dict[int, list[rules.Event]]) -> list[LeadEvent]:
    """MQL events for leads that the definition in force at a behaviour's time qualifies, as of that behaviour.
    A lead qualifies from LEAD, or again after a recycle; history before a definition's activation is not rescored."""
    definitions = await definitions_in_force()
    if not definitions:
        return []
    created = []
    for lead_id, lead in leads.items():
        evs = sorted(events.get(lead_id, []), key=lambda e: (e.at, e.id))
        stage_evs = [e for e in evs if e.type == rules.STAGE_EVENT]
        stage = stage_evs[-1].stage if stage_evs else rules.Stage.LEAD
        if stage not in (rules.Stage.LEAD, rules.Stage.RECYCLED):
            continue
        since = stage_evs[-1].at if stage_evs else datetime.min.replace(tzinfo=timezone.utc)
        behaviours = [(e.at, e.type) for e in evs if e.type not in (rules.STAGE_EVENT, rules.ASSIGNED_EVENT)]
        if not behaviours:
            continue
        profile_of_lead = rules.LeadProfile(lead.industry, lead.employees, lead.region, lead.title)
        for activated_at, until, profile in definitions:
            not_before = max(since, activated_at)
            at = rules.first_qualifying_time(profile, profile_of_lead, behaviours, not_before)
            if at is not None and (until is None or at < until):
                created.append(LeadEvent(lead_id=lead_id, at=at, type=rules.STAGE_EVENT, stage=rules.Stage.MQL,
                                         actor_name=SCORING_ACTOR))
                events.setdefault(lead_id, []).append(rules.Event(at=at, id=2**62, type=rules.STAGE_EVENT,
                                                                  stage=rules.Stage.MQL))
                break
    if created:
        await LeadEvent.bulk_create(created, batch_size=BATCH)
    return created


async def refresh_leads(lead_ids: Iterable[int]) -> None:
    """Re-score and recompute the facts of these leads (set-based: a few queries per batch of leads)."""
    ids = sorted(set(lead_ids))
    if not ids:
        return
    sellers = await sales_people()
    team_of = dict(await Person.all().values_list("id", "team_id"))
    agreements = await sla_store.terms()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        leads = {lead.id: lead for lead in await Lead.filter(id__in=chunk)}
        rows = await LeadEvent.filter(lead_id__in=chunk).values("id", "lead_id", "at", "type", "stage",
                                                                 "owner_person_id")
        events: dict[int, list[rules.Event]] = defaultdict(list)
        for r in rows:
            events[r["lead_id"]].append(_events([r])[0])
        await _score(leads, events)
        touches: dict[int, list[rules.SalesTouch]] = defaultdict(list)
        first_touch_team: dict[int, tuple] = {}
        first_marketing: dict[int, tuple] = {}  # the SLA's marketing person: of the first MARKETING touch
        for t in await Touchpoint.filter(lead_id__in=chunk).values("id", "lead_id", "at", "kind", "team_id",
                                                                     "person_id"):
            key, lead_id = (t["at"], t["id"]), t["lead_id"]
            if lead_id not in first_touch_team or key < first_touch_team[lead_id][0]:
                first_touch_team[lead_id] = (key, t["team_id"])
            kind = TouchKind(t["kind"])
            if kind is TouchKind.SALES:
                touches[lead_id].append(rules.SalesTouch(at=t["at"], id=t["id"], person_id=t["person_id"]))
            elif kind is TouchKind.MARKETING and (lead_id not in first_marketing
                                                  or key < first_marketing[lead_id][0]):
                first_marketing[lead_id] = (key, t["person_id"])
        facts = []
        for lead_id in leads:
            if lead_id not in events and lead_id not in first_touch_team:
                continue  # no events, no touches: the empty facts (stage LEAD), stored as no row
            f = rules.lead_facts(events.get(lead_id, []), touches.get(lead_id, []), sellers)
            facts.append(LeadFact(
                lead_id=lead_id, stage=f.stage, owner_person_id=f.owner_person_id,
                owner_team_id=team_of.get(f.owner_person_id), first_touch_team_id=first_touch_team.get(lead_id, (0, None))[1],
                mql_at=f.mql_at, handover_at=f.handover_at, handover_owner_id=f.handover_owner_id,
                first_follow_up_at=f.first_follow_up_at, attempts=f.attempts, decision=f.decision,
                decision_at=f.decision_at, sal_at=f.sal_at, sql_at=f.sql_at))
        await LeadFact.filter(lead_id__in=list(leads)).delete()
        await LeadFact.bulk_create(facts, batch_size=BATCH)
        await sla_store.refresh_for_leads(agreements, list(leads), facts,
                                          {lead_id: person for lead_id, (_, person) in first_marketing.items()})
    await credit_rows_for_leads(ids)  # a lead's touches and MQL time shape its deals' credit


async def rebuild_all_facts() -> None:
    """Recompute every lead's facts from the raw rows (a test compares this with the kept-current rows)."""
    ids = await Lead.all().values_list("id", flat=True)
    await refresh_leads(ids)
