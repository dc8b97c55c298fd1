"""The scoring's narrowed read (domain/leads/facts._score_chunk reads only the events of leads that fit some
definition and whose last stage event, if any, is LEAD or RECYCLED, and of those only stage events and behaviours
some definition gives points) gives the MQL events the scoring gives over every event of every lead (facts._score
over all of them), on a generated organisation: leads that fit and leads that do not, behaviours with points and
without, assignments, recycles, leads past LEAD and RECYCLED."""
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from domain import bulk
from domain.dataset.service import Options, generate
from domain.leads import facts, rules
from domain.leads.definitions import definitions_in_force
from domain.leads.models import Lead, LeadEvent
from domain.rawsql import as_utc
from tests.harness import snapshot

UTC = timezone.utc
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


@snapshot
def dataset(api, admin):
    api.set_now(AS_OF)
    return api.run(generate(Options(leads=600, seed=5, quarters=2, as_of=AS_OF)))


def _scored(rows) -> set[tuple]:
    return {(lead_id, as_utc(at)) for lead_id, at in rows}


def test_the_narrowed_scoring_read_gives_the_mqls_of_every_event(api, admin, dataset):
    async def both():
        db = bulk.db_of()
        await LeadEvent.filter(actor_name=facts.SCORING_ACTOR).delete()  # the scoring's MQLs, given again below
        definitions = [(as_utc(a), as_utc(u), p) for a, u, p in await definitions_in_force()]
        profiles = {i: rules.LeadProfile(ind, emp, reg, title) for i, ind, emp, reg, title in
                    await Lead.all().values_list("id", "industry", "employees", "region", "title")}
        # behaviours after the recycle of recycled leads that fit, enough to qualify them again
        recycled_at = {lead_id: as_utc(at) for lead_id, at, stage in await bulk.select(
            db, f'SELECT e.lead_id, e.at, e.stage FROM lead_event e WHERE e.type = \'{rules.STAGE_EVENT}\' AND e.id = '
                f'(SELECT l.id FROM lead_event l WHERE l.lead_id = e.lead_id AND l.type = \'{rules.STAGE_EVENT}\' '
                'ORDER BY l.at DESC, l.id DESC LIMIT 1)') if stage == rules.Stage.RECYCLED.value}
        again = [i for i in sorted(recycled_at) if any(rules.fits(d, profiles[i]) for _, _, d in definitions)][:5]
        await bulk.insert(db, "lead_event", ("external_id", "lead_id", "at", "type", "actor_name", "reason_text"),
                          [(f"AGAIN{n}-{i}", i, recycled_at[i] + timedelta(days=1, minutes=n), kind, "test", "")
                           for i in again for n, kind in enumerate(("DEMO_REQUEST", "PRICING_PAGE_VISIT"))])
        events: dict[int, list] = {}
        for event_id, lead_id, at, type_, stage in await bulk.select(
                db, 'SELECT "id", "lead_id", "at", "type", "stage" FROM "lead_event"'):
            events.setdefault(lead_id, []).append(
                rules.Event(as_utc(at), event_id, type_, rules.Stage(stage) if stage else None))
        expected = facts._score(definitions, profiles, defaultdict(list, events))
        await facts.refresh_leads(sorted(profiles))
        written = await LeadEvent.filter(actor_name=facts.SCORING_ACTOR).values_list("lead_id", "at")
        fitting = sum(1 for p in profiles.values() if any(rules.fits(d, p) for _, _, d in definitions))
        kinds = rules.scored_behaviours(d for _, _, d in definitions)
        unscored = sum(1 for evs in events.values() for e in evs if e.type not in kinds | {rules.STAGE_EVENT})
        last_stages = [max(stages)[2] for evs in events.values()
                       if (stages := [(e.at, e.id, e.stage) for e in evs if e.type == rules.STAGE_EVENT])]
        recycled = last_stages.count(rules.Stage.RECYCLED)
        moved_on = sum(1 for s in last_stages if s not in (rules.Stage.LEAD, rules.Stage.RECYCLED))
        requalified = sum(1 for r in expected if r[0] in again)
        return (_scored((r[0], r[1]) for r in expected), _scored(written), fitting, len(profiles), unscored,
                recycled, moved_on, requalified)
    expected, written, fitting, leads, unscored, recycled, moved_on, requalified = api.run(both())
    assert 0 < fitting < leads  # some leads do not fit: their events are not read
    assert moved_on > 20  # leads past LEAD and RECYCLED, whose profiles are not read (all have facts rows here)
    assert recycled > 3  # recycled leads, which the scoring may qualify again
    assert requalified >= 3
    assert unscored > 100  # events the narrowed read leaves out
    assert len(expected) > 20
    assert written == expected
