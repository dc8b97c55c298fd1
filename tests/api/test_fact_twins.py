"""The lead-facts rule has a SQL twin: rules.lead_facts (pure Python, one lead's events and sales touches) and
domain/leads/facts.FACTS_SQL (one INSERT ... SELECT for a chunk of leads, what refresh_leads writes). Here both run
on random events and touches (hypothesis: few distinct times so that ties in time are common and go by id, times a
microsecond apart and on the whole second, stage events of every stage, assignments to sellers and to others,
sales and marketing touches before and after the hand-over) against the real database, and every column of every
lead's facts row must be equal, the owner's team and the first touch's team included; a lead with neither events
nor touches has no row. And the touch columns a touch import writes in place (facts.refresh_touched_leads) equal
the facts rewritten whole (FACTS_SQL), their SLA rows included."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings, strategies as st

from domain import bulk
from domain.attribution.models import Touchpoint
from domain.leads import rules
from domain.dataset.service import GENERATOR
from domain.leads import service, sla_store
from domain.leads.facts import FACT_COLUMNS, refresh_leads, refresh_touched_leads, sales_people
from domain.leads.models import Lead, LeadEvent, LeadFact, SlaLead
from domain.org.models import Person, Team
from domain.org.rules import Role, TeamFunction
from domain.rawsql import as_utc
from tests.harness import snapshot

UTC = timezone.utc
START = datetime(2026, 10, 1, 9, tzinfo=UTC)
LEADS = 6
US = timedelta(microseconds=1)
EXAMPLES = int(os.environ.get("FACT_TWIN_EXAMPLES", "40"))
TIMES = [START + timedelta(hours=h) + d for h in (0, 5) for d in (timedelta(0), US)]  # few: ties are common
STAGE_VALUES = [s.value for s in rules.Stage]


@snapshot
def org(api, admin):
    """A sales, an SDR and a marketing team with two people each, and LEADS leads."""
    async def build():
        teams = {f: (await Team.create(name=f"T {f.value}", function=f)).id
                 for f in (TeamFunction.SALES, TeamFunction.SDR, TeamFunction.MARKETING)}
        people = [(await Person.create(name=f"p{f.value}{i}", email=f"p{f.value.lower()}{i}@t.example", team_id=t,
                                       role=Role.MEMBER, selling_hours_per_week=Decimal(20),
                                       working_weeks_per_year=Decimal(46))).id
                  for f, t in teams.items() for i in range(2)]
        leads = [(await Lead.create(external_id=f"F{i}", company=f"Co {i}", created_at=START)).id
                 for i in range(LEADS)]
        return SimpleNamespace(teams=list(teams.values()), people=people, leads=leads)
    return api.run(build())


def events_and_touches(o):
    at = st.sampled_from(TIMES)
    event = st.one_of(
        st.tuples(at, st.just(rules.STAGE_EVENT), st.sampled_from(STAGE_VALUES), st.none()),
        st.tuples(at, st.just(rules.STAGE_EVENT), st.sampled_from(["MQL", "SAL", "RECYCLED", "DISQUALIFIED"]),
                  st.none()),
        st.tuples(at, st.just(rules.ASSIGNED_EVENT), st.none(), st.sampled_from(o.people)),
        st.tuples(at, st.sampled_from(["EMAIL_OPEN", "DEMO_REQUEST"]), st.none(), st.none()))
    touch = st.tuples(at, st.sampled_from(["SALES", "MARKETING"]), st.sampled_from(o.teams),
                      st.none() | st.sampled_from(o.people))
    lead = st.tuples(st.lists(event, max_size=8), st.lists(touch, max_size=4))
    return st.lists(lead, min_size=LEADS, max_size=LEADS)


async def _write(o, journeys) -> None:
    await LeadFact.all().delete()
    await LeadEvent.all().delete()
    await Touchpoint.all().delete()
    db = bulk.db_of()
    n = 0
    for lead_id, (events, touches) in zip(o.leads, journeys):
        for at, type_, stage, owner in events:
            n += 1
            await bulk.insert(db, "lead_event", ("external_id", "lead_id", "at", "type", "stage", "owner_person_id",
                                                 "actor_name", "reason_text"),
                              [(f"E{n}", lead_id, at, type_, stage, owner, "test", "")])
        for at, kind, team, person in touches:
            n += 1
            await bulk.insert(db, "touchpoint", ("external_id", "lead_id", "at", "kind", "channel", "team_id",
                                                 "person_id"), [(f"T{n}", lead_id, at, kind, "web", team, person)])


async def _python_facts(o) -> dict[int, tuple]:
    """Each lead's facts row by the pure rule, from the rows as stored (their ids break ties in time)."""
    sellers = await sales_people()
    team_of = dict(await Person.all().values_list("id", "team_id"))
    out = {}
    for lead_id in o.leads:
        events = [rules.Event(as_utc(at), i, t, rules.Stage(s) if s else None, owner) for i, at, t, s, owner in
                  await LeadEvent.filter(lead_id=lead_id).values_list("id", "at", "type", "stage", "owner_person_id")]
        touches = await Touchpoint.filter(lead_id=lead_id).values_list("id", "at", "kind", "team_id", "person_id")
        if not events and not touches:
            continue
        sales = [rules.SalesTouch(as_utc(at), i, p) for i, at, k, _, p in touches if k == "SALES"]
        first_team = min(((as_utc(at), i, team) for i, at, _, team, _ in touches), default=(None, None, None))[2]
        f = rules.lead_facts(events, sales, sellers)
        out[lead_id] = (lead_id, f.stage.value, f.owner_person_id, team_of.get(f.owner_person_id), first_team,
                        f.mql_at, f.handover_at, f.handover_owner_id, f.first_follow_up_at, f.attempts,
                        f.decision.value if f.decision else None, f.decision_at, f.sal_at, f.sql_at)
    return out


async def _sql_facts(o) -> dict[int, tuple]:
    await refresh_leads(o.leads)
    times = {"mql_at", "handover_at", "first_follow_up_at", "decision_at", "sal_at", "sql_at"}
    rows = await LeadFact.all().values_list(*FACT_COLUMNS)
    return {r[0]: tuple(as_utc(v) if c in times else getattr(v, "value", v) for c, v in zip(FACT_COLUMNS, r))
            for r in rows}


def test_the_sql_twin_of_the_lead_facts_rule_gives_its_facts_on_random_journeys(api, admin, org):
    seen = {"mql": 0, "handover": 0, "follow_up": 0, "decision": 0}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(journeys=events_and_touches(org))
    def check(journeys):
        api.run(_write(org, journeys))
        expected = api.run(_python_facts(org))
        assert api.run(_sql_facts(org)) == expected
        for row in expected.values():
            seen["mql"] += row[5] is not None
            seen["handover"] += row[6] is not None
            seen["follow_up"] += row[8] is not None
            seen["decision"] += row[10] is not None

    check()
    assert all(count >= 3 for count in seen.values()), seen  # the examples reached every part of the rule


async def _add_touches(o, added) -> list[int]:
    """The added touches (after those `_write` wrote, so with higher ids); the leads they name."""
    db = bulk.db_of()
    n = 10_000
    touched = []
    for lead_id, touches in zip(o.leads, added):
        for at, kind, team, person in touches:
            n += 1
            await bulk.insert(db, "touchpoint", ("external_id", "lead_id", "at", "kind", "channel", "team_id",
                                                 "person_id"), [(f"T{n}", lead_id, at, kind, "web", team, person)])
            touched.append(lead_id)
    return touched


async def _facts_and_sla() -> tuple[dict[int, tuple], list[tuple]]:
    facts = {r[0]: r for r in await LeadFact.all().values_list(*FACT_COLUMNS)}
    sla = sorted(await SlaLead.all().values_list(*sla_store.SLA_COLUMNS))
    return facts, sla


def test_the_touch_columns_written_in_place_equal_the_facts_rewritten_on_random_journeys(api, admin, org):
    async def agree():
        await service.create_sla_agreement(GENERATOR, service.SlaFields(
            period="2026-Q4", marketing_team_id=org.teams[2], sales_team_id=org.teams[0], mql_volume=5,
            acceptance_rate_target=Decimal("0.5"), handover_hours=Decimal(4), follow_up_hours=Decimal(2),
            follow_up_rate_target=Decimal("0.8"), minimum_attempts=2, decision_days=Decimal(1)))
    api.run(agree())
    seen = {"new_row": 0, "first_team": 0, "attempts": 0, "follow_up": 0, "sla": 0}
    touch = st.tuples(st.sampled_from(TIMES), st.sampled_from(["SALES", "SALES", "MARKETING"]),
                      st.sampled_from(org.teams), st.none() | st.sampled_from(org.people))

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(journeys=events_and_touches(org), added=st.lists(st.lists(touch, max_size=3), min_size=LEADS,
                                                              max_size=LEADS))
    def check(journeys, added):
        journeys[0] = ([], [])  # a lead with no facts row before its first touch
        events, touches = journeys[1]  # a lead handed over to a seller at START at the latest
        journeys[1] = (events + [(START, rules.STAGE_EVENT, "MQL", None), (START, rules.ASSIGNED_EVENT, None,
                                                                           org.people[0])], touches)
        api.run(_write(org, journeys))
        api.run(refresh_leads(org.leads))
        before, _ = api.run(_facts_and_sla())
        touched = api.run(_add_touches(org, added))
        api.run(refresh_touched_leads(touched))
        kept, kept_sla = api.run(_facts_and_sla())
        api.run(refresh_leads(org.leads))  # every facts row (and SLA row) rewritten from the raw rows
        rewritten, rewritten_sla = api.run(_facts_and_sla())
        assert kept == rewritten
        assert kept_sla == rewritten_sla
        for lead_id, row in kept.items():
            old = before.get(lead_id)
            seen["new_row"] += old is None
            if old is not None:
                seen["first_team"] += old[4] != row[4]
                seen["follow_up"] += old[8] != row[8]
                seen["attempts"] += old[9] != row[9]
        seen["sla"] += len(kept_sla)

    check()
    assert all(count >= 3 for count in seen.values()), str(seen)  # the examples reached every column, the SLA rows
