"""Stored per-lead SLA rows (domain/leads/sla_store.py): kept current by imports, written for an agreement created
after its leads, equal to a rebuild, and giving exactly the figures of the pure rules (domain/leads/sla.py) over
the live facts, as of any moment, boundaries included (a due time itself, one microsecond either side)."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from domain import clock
from domain import config as domain_config
from domain.dataset.service import GENERATOR, Options, generate
from domain.leads import queries, service, sla, sla_store
from domain.leads.facts import FACT_COLUMNS
from domain.leads.models import LeadFact, SlaAgreement, SlaLead
from domain.org.models import Period, Person, Team
from domain.org.service import get_period
from tests.harness import snapshot

UTC = timezone.utc
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
COLUMNS = ("agreement_id", "lead_id", "mql_us", "marketing_person_id", "handover_due_us", "handover_month",
           "handover_us", "handover_owner_id", "follow_up_due_us", "follow_up_month", "decision_due_us",
           "decision_month", "follow_up_us", "decision", "decision_us", "attempts_ok", "tz")


@snapshot
def dataset(api, admin):
    """A small generated organisation (through the import path) as of AS_OF, the clock there; without its pay step,
    so the past quarter stays open for the SLAs these tests add."""
    api.set_now(AS_OF)
    return api.run(generate(Options(leads=400, seed=11, quarters=2, as_of=AS_OF, pay=False)))


def _rows(api) -> list[tuple]:
    return sorted(tuple(bool(v) if c == "attempts_ok" else v for c, v in zip(COLUMNS, row))
                  for row in api.run(SlaLead.all().values_list(*COLUMNS)))


async def _both(agreement: SlaAgreement, now: datetime) -> tuple[sla_store.StoredSla, queries.LiveSla]:
    period = await Period.get(id=agreement.period_id)
    view = await get_period(period.key)
    terms = queries.agreement_terms(agreement, domain_config.current().timezone)
    return sla_store.StoredSla(agreement, terms, now), queries.LiveSla(agreement, terms, view, now)


async def _same_report(agreement: SlaAgreement, now: datetime) -> sla.Headline:
    """Every group of the stored report equals the live one worked out by the pure rules; returns the headline."""
    stored, live = await _both(agreement, now)
    assert not await stored.stale()
    head = await stored.headline()
    assert head == await live.headline(), now
    assert await stored.sides() == await live.sides()
    assert await stored.follow_up() == await live.follow_up()
    assert await stored.people() == await live.people(), now
    assert await stored.awards() == await live.awards(), now
    every = await live.breaches(0, 10**9)
    assert await stored.breaches(0, 10**9) == every, now
    assert await stored.breaches(3, 5) == every[3:8]
    assert sorted(await stored.response_micros()) == sorted(await live.response_micros())
    stored_leads, stored_items = await stored.leads_and_items()
    live_leads, live_items = await live.leads_and_items()
    key = lambda i: (i.lead_id, list(sla.ItemKind).index(i.kind))
    assert sorted(stored_items, key=key) == sorted(live_items, key=key)
    enough = lambda lead: replace(lead, attempts=lead.attempts >= stored.terms.minimum_attempts)  # all it keeps
    assert sorted(map(enough, stored_leads), key=lambda lead: lead.lead_id) == sorted(
        (enough(lead) for lead in live_leads if lead.mql_at <= now), key=lambda lead: lead.lead_id)
    return head


def _moments(api, agreement_id: int) -> list[datetime]:
    """Moments around which states change: each kind of stored time, exactly and a microsecond either side."""
    rows = api.run(SlaLead.filter(agreement_id=agreement_id).order_by("lead_id").limit(12).values_list(
        "handover_due_us", "handover_us", "follow_up_due_us", "follow_up_us", "decision_due_us", "decision_us",
        "mql_us"))
    found = sorted({us for row in rows for us in row if us is not None})
    picked = found[:: max(1, len(found) // 8)]
    return [sla_store.moment(us + d) for us in picked for d in (-1, 0, 1)]


def test_imports_keep_the_rows_current_and_a_rebuild_gives_the_same_rows(api, admin, dataset):
    kept = _rows(api)
    agreements = api.run(SlaAgreement.all().count())
    assert agreements >= 2 and len(kept) > 50
    assert {r[-1] for r in kept} == {""}  # the generated SLAs count calendar hours
    api.run(sla_store.rebuild_all())
    assert _rows(api) == kept


def test_the_stored_report_equals_the_pure_rules_at_every_boundary(api, admin, dataset):
    seen = 0
    for agreement in api.run(SlaAgreement.all().order_by("id")):
        moments = [AS_OF, AS_OF + timedelta(days=200), *_moments(api, agreement.id)]
        for now in moments:
            head = api.run(_same_report(agreement, now))
            seen += head.marketing.counted + head.sales.counted
    assert seen > 1000


def test_an_agreement_created_after_its_leads_gets_their_rows_in_business_hours(api, admin, dataset):
    """A second SLA of the same marketing team, counted in business hours (Berlin's wall clock), created when its
    leads already exist: its rows are written at creation, with the zone, and equal the pure rules. When the
    service's zone changes, the rows no longer apply: the report is worked out live, with the same figures."""
    domain_config.configure(**{**domain_config.current().__dict__, "timezone": "Europe/Berlin"})
    first = api.run(SlaAgreement.all().order_by("id").first())
    period = api.run(Period.get(id=first.period_id))
    other = api.run(Team.create(name="Inside Sales", function="SDR"))
    owners = api.run(SlaLead.filter(agreement_id=first.id, handover_owner_id__not_isnull=True).values_list(
        "handover_owner_id", flat=True))
    moved = api.run(Person.get(id=max(set(owners), key=owners.count)))  # the seller who received the most
    agreement = api.run(service.create_sla_agreement(GENERATOR, service.SlaFields(
        period=period.key, marketing_team_id=first.marketing_team_id, sales_team_id=other.id, mql_volume=10,
        acceptance_rate_target=Decimal("0.5"), handover_hours=Decimal("3.5"), follow_up_hours=Decimal(6),
        follow_up_rate_target=Decimal("0.8"), minimum_attempts=2, decision_days=Decimal(2),
        business_hours_only=True)))
    written = api.run(SlaLead.filter(agreement_id=agreement.id).count())
    assert written == api.run(SlaLead.filter(agreement_id=first.id).count()) > 20
    assert set(api.run(SlaLead.filter(agreement_id=agreement.id).values_list("tz", flat=True))) == {"Europe/Berlin"}
    before = api.run(_same_report(agreement, AS_OF))
    assert before.sales.counted == 0  # nobody of the new team received a lead yet

    # a seller moves to the new team: their hand-overs now count for it, without rewriting a row
    api.run(Person.filter(id=moved.id).update(team_id=other.id))
    after = api.run(_same_report(agreement, AS_OF))
    assert after.sales.counted > 0
    for now in _moments(api, agreement.id):
        api.run(_same_report(agreement, now))

    # the service's zone changes: the stored business hours are stale, and the report is computed live
    domain_config.configure(**{**domain_config.current().__dict__, "timezone": "America/New_York"})
    report = api.run(_report_of(agreement, period.key))
    assert isinstance(report, queries.LiveSla)
    assert api.run(report.headline()) != after  # New York's business hours give other due times here
    first_report = api.run(_report_of(first, period.key))
    assert isinstance(first_report, sla_store.StoredSla)  # calendar hours do not depend on the zone

    # `sharedgoals rebuild-sla` works the rows out in the new zone: stored again, the same figures as live
    live_head = api.run(report.headline())
    api.run(sla_store.rebuild_all())
    assert isinstance(api.run(_report_of(agreement, period.key)), sla_store.StoredSla)
    assert api.run(_same_report(agreement, AS_OF)) == live_head


async def _report_of(agreement, key):
    return await queries.sla_report(agreement, await get_period(key))


def test_slaReport_over_graphql_pages_its_breaches_from_the_stored_rows(api, admin, dataset):
    key = dataset.periods[-1]
    every = []
    after = None
    while True:
        data = api.gql("""query($p: String!, $after: String) { slaReport(period: $p) {
            marketing { met counted } sales { met counted }
            breaches(first: 7, after: $after) { edges { cursor node { side item state due lead { id } } }
                                               pageInfo { hasNextPage endCursor } } } }""",
                       {"p": key, "after": after}, admin)["slaReport"]
        every += [e["node"] for e in data["breaches"]["edges"]]
        if not data["breaches"]["pageInfo"]["hasNextPage"]:
            break
        after = data["breaches"]["pageInfo"]["endCursor"]
    agreement = api.run(SlaAgreement.filter(period__key=key).first())
    live = api.run(_both(agreement, AS_OF))[1]
    expected = api.run(live.breaches(0, 10**9))
    assert len(every) == len(expected) > 7
    assert [(b["side"], b["item"], b["state"]) for b in every] == [
        (b.side.value, b.item.value, b.state.value) for b in expected]
    missed = sum(1 for b in expected if b.side is sla.Side.MARKETING)
    head = api.run(live.headline())
    assert data["marketing"] == {"met": head.marketing.met, "counted": head.marketing.counted}
    assert head.marketing.counted - head.marketing.met == missed


def test_a_due_time_past_the_last_datetime_saturates():
    terms = sla.Agreement(mql_volume=1, acceptance_rate_target=Decimal("0.5"), handover_hours=Decimal(999_999),
                          follow_up_hours=Decimal(1), follow_up_rate_target=Decimal("0.5"), minimum_attempts=1,
                          decision_days=Decimal(1))
    late = datetime(9999, 6, 1, tzinfo=UTC)
    lead = sla.LeadSla(1, late, None, None, None, None, 0, None, None)
    (item,) = sla.lead_items(terms, lead, late)
    assert item.due == sla.LAST_MOMENT and item.state is sla.ItemState.PENDING
    assert sla_store.micros(sla.LAST_MOMENT) < 2**63
    assert replace(terms, business_hours_only=True) and sla.lead_items(
        replace(terms, business_hours_only=True), lead, late)[0].due == sla.LAST_MOMENT


def test_the_lead_and_deal_metrics_equal_a_count_over_the_raw_rows(api, admin, dataset):
    """The figures key results follow (SQL counts and sums, the stored SLA rows) against Python over the facts,
    the deals and the pure SLA rules."""
    from domain.attribution.models import Opportunity, OpportunityStatus
    from domain.goals import metrics
    from domain.leads.models import LeadFact
    from domain.leads.rules import Stage

    agreement = api.run(SlaAgreement.all().order_by("-id").first())
    period = api.run(Period.get(id=agreement.period_id))
    teams = [agreement.marketing_team_id]
    sellers = [agreement.sales_team_id]

    def value(name, team_ids):
        return api.run(metrics.get(metrics.MetricName(name)).compute(team_ids, period, clock.now()))

    facts = [f for f in api.run(LeadFact.filter(first_touch_team_id__in=teams))
             if f.mql_at is not None and period.start <= f.mql_at < period.end]
    decided = [f for f in facts if f.decision is not None]
    assert value("MQL_COUNT", teams) == len(facts) > 20
    assert value("ACCEPTANCE_RATE", teams) == Decimal(sum(f.decision is Stage.SAL for f in decided)) / len(decided)
    assert value("MQL_TO_SQL_RATE", teams) == Decimal(sum(f.sql_at is not None for f in facts)) / len(facts)
    assert value("MQL_COUNT", [999_999]) == 0 and value("ACCEPTANCE_RATE", []) == 0

    people = set(api.run(Person.filter(team_id__in=sellers).values_list("id", flat=True)))
    deals = api.run(Opportunity.filter(owner_id__in=people))
    won = sum(d.amount_cents for d in deals if d.status is OpportunityStatus.WON
              and period.start <= d.closed_at < period.end)
    created = sum(d.amount_cents for d in deals if period.start <= d.created_at < period.end)
    assert value("BOOKINGS", sellers) == Decimal(won) / 100 and won > 0
    assert value("PIPELINE_CREATED", sellers) == Decimal(created) / 100 and created > 0

    live = api.run(_both(agreement, AS_OF))[1]
    leads = api.run(sla_store_leads(agreement, period))
    follow_up = api.run(live.follow_up())
    assert value("SLA_FOLLOW_UP_RATE", teams) == Decimal(follow_up.met) / follow_up.counted
    assert value("MEDIAN_RESPONSE_HOURS", sellers) == sla.median(sla.response_hours(leads, AS_OF)) > 0


async def sla_store_leads(agreement, period):
    return await queries.sla_leads(agreement, await get_period(period.key))


def test_key_results_following_the_same_leads_count_them_once(api, admin, dataset):
    """The generated objectives follow MQL_COUNT and ACCEPTANCE_RATE of the same team: one count of the facts per
    request serves both, and each still shows its own figure."""
    key = dataset.periods[-1]
    query = """query($p: String!) { objectives(period: $p, first: 10) { edges { node { keyResults {
        metric { name } current } } } } }"""
    with api.count_queries() as counter:
        data = api.gql(query, {"p": key}, admin)
    followed = [kr["metric"]["name"] for e in data["objectives"]["edges"] for kr in e["node"]["keyResults"]
                if kr["metric"]]
    assert {"MQL_COUNT", "ACCEPTANCE_RATE"} <= set(followed)
    assert sum("lead_fact" in s for s in counter.statements) == 1


def test_the_written_fact_rows_have_the_columns_of_lead_fact(api):
    """facts.FactRow (what a refresh writes and the SLA rows read) and the LeadFact model name the same columns."""
    assert set(FACT_COLUMNS) == set(LeadFact._meta.fields_db_projection.values()) - {"id"}
