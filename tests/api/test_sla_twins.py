"""The SLA rules have a SQL twin: the pure rules of domain/leads/sla.py (what LiveSla computes from the lead facts)
and the statements of domain/leads/sla_store.py (StoredSla, over the rows the writer derives from the same facts).
Here both run on random facts (hypothesis: times on and a microsecond either side of every due time, hand-overs to
the agreement's sales team and elsewhere, every kind of decision, any moment as "now") against the real database,
and every group of figures must be equal. Then: which agreement `slaReport` reads."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings, strategies as st

from domain import config as domain_config
from domain.attribution.models import TouchKind, Touchpoint
from domain.dataset.service import GENERATOR
from domain.leads import queries, service, sla, sla_store
from domain.leads.models import Lead, LeadFact, SlaAgreement, SlaLead
from domain.leads.rules import Stage
from domain.org.models import Period, Person, Team
from domain.org.rules import Role, TeamFunction
from domain.org.service import get_period
from schema.core.ids import encode_id
from tests.api.support import codes
from tests.harness import snapshot

UTC = timezone.utc
NOW = datetime(2026, 11, 20, tzinfo=UTC)
START = datetime(2026, 10, 1, tzinfo=UTC)  # 2026-Q4
LEADS = 16
US = timedelta(microseconds=1)
EXAMPLES = int(os.environ.get("SLA_TWIN_EXAMPLES", "30"))


@snapshot
def org(api, admin):
    """A marketing team, a sales and an SDR team, their people, LEADS leads and two SLAs of 2026-Q4: marketing with
    sales in calendar hours, marketing with the SDR team in business hours (a hand-over counts for one of them)."""
    api.set_now(NOW)

    async def build():
        marketing = await Team.create(name="Demand", function=TeamFunction.MARKETING)
        sales = await Team.create(name="Field", function=TeamFunction.SALES)
        other = await Team.create(name="Inside", function=TeamFunction.SDR)

        async def person(name, team, role=Role.MEMBER):
            return (await Person.create(name=name, email=f"{name}@t.example", team_id=team.id, role=role,
                                        selling_hours_per_week=Decimal(20), working_weeks_per_year=Decimal(46))).id
        sellers = [await person(f"seller{i}", sales) for i in range(3)]
        outsider = await person("outsider", other)
        marketers = [await person(f"marketer{i}", marketing) for i in range(2)]
        leads = [(await Lead.create(external_id=f"L{i}", company=f"Co {i}", created_at=START)).id
                 for i in range(LEADS)]
        agreements = []
        for seller_team, business_hours in ((sales, False), (other, True)):
            agreements.append((await service.create_sla_agreement(GENERATOR, service.SlaFields(
                period="2026-Q4", marketing_team_id=marketing.id, sales_team_id=seller_team.id, mql_volume=5,
                acceptance_rate_target=Decimal("0.5"), handover_hours=Decimal(4), follow_up_hours=Decimal(2),
                follow_up_rate_target=Decimal("0.8"), minimum_attempts=2, decision_days=Decimal(1),
                business_hours_only=business_hours))).id)
        return SimpleNamespace(marketing=marketing.id, sales=sales.id, other=other.id, sellers=sellers,
                               outsider=outsider, marketers=marketers, leads=leads, agreements=agreements)
    return api.run(build())


def _near(hours: int):
    """An offset of about `hours`: exactly, a microsecond either side, or well before or after."""
    return st.sampled_from([-US, timedelta(0), US, -timedelta(hours=1), timedelta(hours=3)]).map(
        lambda d: timedelta(hours=hours) + d)


@st.composite
def lead_facts(draw, o):
    """One lead's facts: an MQL (mostly in the period, sometimes at or beside its bounds), maybe a hand-over to a
    seller of the agreement's team or elsewhere, a follow-up, attempts and a decision around their due times."""
    mql_at = draw(st.one_of(
        st.integers(0, 50 * 24).map(lambda h: START + timedelta(hours=h, minutes=17)),
        st.sampled_from([START, START - US, datetime(2027, 1, 1, tzinfo=UTC) - US])))
    first_touch = draw(st.sampled_from([o.marketing, o.marketing, o.marketing, o.other]))
    handover_at = draw(st.none() | _near(4).map(lambda d: mql_at + d))
    owner = draw(st.sampled_from(o.sellers + [o.outsider])) if handover_at else None
    follow_up = draw(st.none() | _near(2).map(lambda d: handover_at + d)) if handover_at else None
    decision = draw(st.sampled_from([None, "SAL", "RECYCLED", "DISQUALIFIED"]))
    decision_at = draw(_near(24).map(lambda d: (handover_at or mql_at) + d)) if decision else None
    return dict(mql_at=mql_at, first_touch_team_id=first_touch, handover_at=handover_at, handover_owner_id=owner,
                first_follow_up_at=follow_up, attempts=draw(st.integers(0, 3)), decision=decision,
                decision_at=decision_at, marketer=draw(st.sampled_from(o.marketers + [None])))


async def _write(o, facts: list[dict]) -> None:
    """The facts as stored rows, each lead's first marketing touch by its marketer, and the SLA rows the writer
    derives from them (sla_store.write_agreement, as when an agreement is created)."""
    await SlaLead.all().delete()
    await Touchpoint.all().delete()
    await LeadFact.all().delete()
    pairs = list(zip(o.leads, facts))
    await LeadFact.bulk_create([LeadFact(
        lead_id=lead_id, stage=Stage(f["decision"] or "MQL"), owner_person_id=f["handover_owner_id"],
        first_touch_team_id=f["first_touch_team_id"], mql_at=f["mql_at"], handover_at=f["handover_at"],
        handover_owner_id=f["handover_owner_id"], first_follow_up_at=f["first_follow_up_at"], attempts=f["attempts"],
        decision=Stage(f["decision"]) if f["decision"] else None, decision_at=f["decision_at"]) for lead_id, f in pairs])
    await Touchpoint.bulk_create([Touchpoint(
        external_id=f"T{lead_id}", lead_id=lead_id, at=f["mql_at"] - timedelta(days=1), kind=TouchKind.MARKETING,
        channel="email", team_id=o.marketing, person_id=f["marketer"]) for lead_id, f in pairs if f["marketer"]])
    for agreement in await SlaAgreement.filter(id__in=o.agreements).order_by("id"):
        await sla_store.write_agreement(agreement)


async def _compare(agreement_id: int, now: datetime) -> int:
    """Every group of the report, from the SQL (StoredSla) and from the pure rules (LiveSla); the items counted."""
    agreement = await SlaAgreement.get(id=agreement_id)
    view = await get_period((await Period.get(id=agreement.period_id)).key)
    terms = sla_store.agreement_terms(agreement, domain_config.current().timezone)
    stored, live = sla_store.StoredSla(agreement, terms, now), queries.LiveSla(agreement, terms, view, now)
    assert not await stored.stale()
    head = await stored.headline()
    assert head == await live.headline()
    assert await stored.sides() == await live.sides()
    assert await stored.follow_up() == await live.follow_up()
    assert await stored.people() == await live.people()
    assert await stored.awards() == await live.awards()
    assert await stored.breach_count() == await live.breach_count()
    assert await stored.breaches(0, 10**6) == await live.breaches(0, 10**6)
    assert await stored.breaches(2, 3) == await live.breaches(2, 3)
    assert sorted(await stored.response_micros()) == sorted(await live.response_micros())
    key = lambda i: (i.lead_id, list(sla.ItemKind).index(i.kind))
    assert sorted((await stored.leads_and_items())[1], key=key) == sorted((await live.leads_and_items())[1], key=key)
    return head.marketing.counted + head.sales.counted


def test_the_sql_twin_of_the_sla_rules_gives_their_figures_on_random_facts(api, admin, org):
    counted = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def check(data):
        facts = data.draw(st.lists(lead_facts(org), min_size=1, max_size=LEADS))
        api.run(_write(org, facts))
        moments = sorted({m + d for f in facts for m in (
            f["mql_at"], f["mql_at"] + timedelta(hours=4), f["handover_at"], f["first_follow_up_at"], f["decision_at"])
            if m is not None for d in (-US, timedelta(0))})
        for agreement_id in org.agreements:
            now = data.draw(st.sampled_from(moments + [NOW, datetime(2027, 3, 1, tzinfo=UTC)]))
            counted.append(api.run(_compare(agreement_id, now)))

    check()
    assert sum(counted) >= EXAMPLES  # the examples exercised the rules (items were counted), not empty reports


REPORT = """query($p: String!, $m: ID, $s: ID) {
  slaReport(period: $p, marketingTeamId: $m, salesTeamId: $s) { agreement { salesTeam { name } } mqlVolume } }"""


def test_slareport_reads_the_one_agreement_the_teams_name(api, admin, org):
    """Two SLAs of the marketing team in 2026-Q4 (domain/leads/queries.agreement_between): the sales team picks
    one; leaving it out is INVALID, naming a pair without an SLA NOT_FOUND."""
    team = lambda pk: encode_id("Team", pk)
    ask = lambda **teams: api.post(REPORT, {"p": "2026-Q4", **teams}, admin)
    assert codes(ask()["errors"]) == ["INVALID"]
    assert codes(ask(m=team(org.marketing))["errors"]) == ["INVALID"]
    assert ask(s=team(org.sales))["data"]["slaReport"]["agreement"]["salesTeam"]["name"] == "Field"
    assert ask(m=team(org.marketing), s=team(org.other))["data"]["slaReport"]["agreement"]["salesTeam"]["name"] == \
        "Inside"
    assert codes(ask(m=team(org.sales), s=team(org.other))["errors"]) == ["NOT_FOUND"]
    assert codes(api.post(REPORT, {"p": "2027-Q1", "s": team(org.sales)}, admin)["errors"]) == ["NOT_FOUND"]
