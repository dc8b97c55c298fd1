"""MARKOV (orders 1-3) and SHAPLEY stored for a closed period (domain/attribution/driven_store.py): the stored
figures equal the live computation, every deal's stored rows sum to its amount, the report sums those rows without
reading a journey, and imports that change the period's training inputs (or a deal of it) keep it current."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from domain import rawsql
from domain.attribution import driven_store, queries, rollups, rules, stored, training
from domain.attribution.driven_state import KINDS, driven_key
from domain.attribution.models import CreditRollup, DealCredit, DrivenPeriod, Opportunity
from domain.dataset.service import Options, generate
from domain.leads.models import LeadEvent
from domain.org.service import get_period
from tests.api.fixtures import OPPORTUNITY_HEADER, TOUCH_HEADER, imported
from tests.harness import snapshot

UTC = timezone.utc
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
CLOSED, OPEN = "2026-Q3", "2026-Q4"
REPORT = """query($p: String!, $m: AttributionModel, $g: CreditGroupBy!, $o: Int! = 1) {
  attribution(period: $p, model: $m, groupBy: $g, markovOrder: $o) { key pipeline bookings } }"""


@pytest.fixture(autouse=True)
def _fresh_training_cache():
    """A restored snapshot gives the same touch ids again: the closed periods' in-memory chains (keyed by the
    newest ids) must not outlive a test (generate's pay step closes 2026-Q3, so its chain is cached)."""
    training.forget()
    yield
    training.forget()


@snapshot
def dataset(api, admin):
    """A small generated organisation as of AS_OF (2026-Q3 closed, 2026-Q4 open), the clock there."""
    api.set_now(AS_OF)
    return api.run(generate(Options(leads=1000, seed=7, quarters=2, as_of=AS_OF)))


def _agree(api, period_key: str, model: str, order: int) -> int:
    """The period's figures under the model (stored when closed) equal the live computation (the chain trained
    from the raw rows, every deal's journey rebuilt) for every grouping; returns the lines seen."""
    async def compare():
        view = await get_period(period_key)
        choice = queries.model_choice(rules.Model(model), markov_order=order)
        live_choice = replace(choice, effects=await training.period_effects(view, choice.model, order))
        kept = (await queries.with_effects(view, choice)).effects
        assert kept.by_channel == live_choice.effects.by_channel
        assert (kept.stored_key is None) == (period_key == OPEN)
        live_deals = await queries.deals(view)
        seen = 0
        for group_by in queries.GroupBy:
            fast = await queries.attribution(view, choice, group_by)
            assert fast == await queries.attribution(view, live_choice, group_by, live_deals), group_by
            seen += len(fast.lines)
        return seen
    return api.run(compare())


def _rollups(api) -> dict:
    """The stored data-driven models' rollups, {(model, kind, figure, day, group): (cents, deals)}."""
    rows = api.run(CreditRollup.filter(model_key__contains="@").values_list(
        "model_key", "kind", "figure", "day", "group_key", "cents", "deals"))
    found = {tuple(r[:5]): (r[5], r[6]) for r in rows if r[5] or r[6]}
    assert found
    return found


def _period_rows(api, key: str) -> list[tuple]:
    return sorted(api.run(DealCredit.filter(model_key=key).values_list(
        "opportunity_id", "position", "touchpoint_id", "channel", "weight", "amount_cents")))


@pytest.mark.parametrize("model,order", [(m.value, o) for m, o in KINDS], ids=lambda v: str(v))
def test_a_closed_periods_stored_figures_are_the_live_ones_and_each_deal_sums_to_its_amount(
        api, admin, dataset, model, order):
    key = driven_key(rules.Model(model), order, CLOSED)
    assert _agree(api, CLOSED, model, order) > 10
    assert api.run(DrivenPeriod.get(model_key=key)).stale is False
    sums = api.run(rawsql.rows("SELECT opportunity_id, sum(amount_cents), max(deal_amount_cents), min(deal_amount_cents)"
                               " FROM deal_credit WHERE model_key = :key GROUP BY opportunity_id", key=key))
    view = api.run(get_period(CLOSED))
    assert len(sums) == api.run(stored.period_deal_count(view.start, view.end)) > 20
    assert all(total == high == low for _, total, high, low in sums)
    # the report through GraphQL sums the stored rows' rollups: no journey (touchpoint) read, no chain trained
    api.gql(REPORT, {"p": CLOSED, "m": model, "g": "CHANNEL", "o": order}, admin)
    with api.count_queries() as counter:
        lines = api.gql(REPORT, {"p": CLOSED, "m": model, "g": "TEAM", "o": order}, admin)["attribution"]
    assert lines and not [s for s in counter.statements if "touchpoint" in s], counter.statements
    assert any("FROM credit_rollup WHERE model_key" in s for s in counter.statements)


def test_the_open_period_stays_live_and_stores_nothing(api, admin, dataset):
    assert _agree(api, OPEN, "MARKOV", 1) > 5
    assert not api.run(DrivenPeriod.filter(period_key=OPEN).exists())
    assert not api.run(DealCredit.filter(model_key__contains="@" + OPEN).exists())


def _deal_of_closed_period(api, status: str, closed_deals_of_lead: bool) -> Opportunity:
    """A deal of the closed period with a lead; whether its lead also has a deal closed in that period."""
    view = api.run(get_period(CLOSED))
    for deal in api.run(Opportunity.filter(lead_id__not_isnull=True, status=status, created_at__gte=view.start,
                                           created_at__lt=view.end).order_by("id")):
        closes = api.run(Opportunity.filter(lead_id=deal.lead_id, closed_at__gte=view.start,
                                            closed_at__lt=view.end).exists())
        disqualified = api.run(LeadEvent.filter(lead_id=deal.lead_id, stage="DISQUALIFIED").exists())
        if closes == closed_deals_of_lead and not disqualified:
            return deal
    raise AssertionError(f"no {status} deal of {CLOSED} to change")


@pytest.mark.parametrize("many", [False, True], ids=["by lead", "by time"])
def test_an_import_of_a_touch_into_a_closed_periods_journeys_recomputes_its_models(api, admin, dataset, many,
                                                                                    monkeypatch):
    """A touch before a won deal's close (a new channel) changes the chain: the import marks the period stale in
    its transaction and recomputes it once committed; the figures are the live ones, a rebuild the same rows.
    (`many`: the leads' closes read by time, as for an import of more than MANY_LEADS leads.)"""
    from domain.attribution import driven_state
    if many:
        monkeypatch.setattr(driven_state, "MANY_LEADS", 0)
    _agree(api, CLOSED, "MARKOV", 1)
    deal = _deal_of_closed_period(api, "WON", True)
    before = api.run(DrivenPeriod.get(model_key=driven_key(rules.Model.MARKOV, 1, CLOSED)))
    lead = api.run(deal.lead).external_id
    at = (deal.closed_at - timedelta(hours=1)).isoformat()
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-PODCAST,{lead},{at},MARKETING,podcast,,Demand Generation,,\n",
             admin)
    after = api.run(DrivenPeriod.get(model_key=driven_key(rules.Model.MARKOV, 1, CLOSED)))
    assert after.stale is False and after.computed_at >= before.computed_at and after.id != before.id
    lines = api.gql(REPORT, {"p": CLOSED, "m": "MARKOV", "g": "CHANNEL"}, admin)["attribution"]
    assert "podcast" in {line["key"] for line in lines}
    for model, order in KINDS:
        _agree(api, CLOSED, model.value, order)
    kept = [_period_rows(api, driven_key(m, o, CLOSED)) for m, o in KINDS]
    api.run(stored.rebuild_all())  # every deal changed: the period stale, recomputed by the next writer or read
    assert api.run(DrivenPeriod.filter(period_key=CLOSED, stale=False).count()) == 0
    assert api.run(driven_store.refresh_stale())
    assert [_period_rows(api, driven_key(m, o, CLOSED)) for m, o in KINDS] == kept


def test_a_touch_on_an_open_deal_of_a_closed_period_rewrites_its_rows_in_the_transaction(api, admin, dataset):
    """An open deal created in the closed period trains nothing: a new touch moves its own rows (weighed by the
    stored chain, in the import's transaction) and leaves the period's chain as it was."""
    _agree(api, CLOSED, "SHAPLEY", 1)
    deal = _deal_of_closed_period(api, "OPEN", False)
    key = driven_key(rules.Model.SHAPLEY, 1, CLOSED)
    before = api.run(DrivenPeriod.get(model_key=key))
    rows = lambda: api.run(DealCredit.filter(opportunity_id=deal.id, model_key=key).count())  # noqa: E731
    touches = rows()
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-OPEN-1,{api.run(deal.lead).external_id},"
                                                f"2026-11-19T10:00:00Z,SALES,call,,Field Sales,,\n", admin)
    assert rows() == touches + 1
    after = api.run(DrivenPeriod.get(model_key=key))
    assert (after.id, after.stale, after.computed_at) == (before.id, False, before.computed_at)  # not recomputed
    _agree(api, CLOSED, "SHAPLEY", 1)
    kept = _period_rows(api, key)  # the deal's rows written alone are those the whole period's computation writes
    rolled = _rollups(api)
    api.run(DrivenPeriod.filter(period_key=CLOSED).update(stale=True))
    assert key in api.run(driven_store.refresh_stale())
    assert _period_rows(api, key) == kept
    assert _rollups(api) == rolled  # (and so are their rollups)
    api.run(rollups.rebuild())
    assert _rollups(api) == rolled


def test_a_deal_whose_close_leaves_the_closed_period_is_seen_on_the_next_read(api, admin, dataset):
    """A lost deal's close moved from the closed period into the open one: its journey leaves the period's
    training set; the next read finds the closed deals changed and recomputes before answering."""
    _agree(api, CLOSED, "MARKOV", 2)
    view = api.run(get_period(CLOSED))
    deal = api.run(Opportunity.filter(status="LOST", lead_id__not_isnull=True, closed_at__gte=view.start,
                                      closed_at__lt=view.end).order_by("id").first())
    journeys = api.run(DrivenPeriod.get(model_key=driven_key(rules.Model.MARKOV, 2, CLOSED))).journeys
    lead = api.run(deal.lead).external_id
    imported(api, "opportunities", OPPORTUNITY_HEADER + f"\n{deal.external_id},{lead},{deal.name},"
                                                        f"{deal.amount_cents / 100:.2f},{deal.created_at.isoformat()},"
                                                        f"LOST,2026-11-19T12:00:00Z,\n", admin)
    _agree(api, CLOSED, "MARKOV", 2)
    assert api.run(DrivenPeriod.get(model_key=driven_key(rules.Model.MARKOV, 2, CLOSED))).journeys < journeys


def test_the_backfill_stores_every_closed_quarter_once(api, admin, dataset):
    written = api.run(driven_store.backfill())
    assert sorted(written) == sorted(driven_key(m, o, CLOSED) for m, o in KINDS)
    assert api.run(driven_store.backfill()) == []
    _agree(api, CLOSED, "MARKOV", 3)


def test_a_touch_after_a_closed_deals_close_leaves_the_period_fresh(api, admin, dataset):
    """A won deal's journey ends at its close: a later touch on its lead trains nothing, so the period is not marked
    stale nor recomputed, and its figures stay the live ones."""
    _agree(api, CLOSED, "MARKOV", 1)
    deal = _deal_of_closed_period(api, "WON", True)
    key = driven_key(rules.Model.MARKOV, 1, CLOSED)
    before = api.run(DrivenPeriod.get(model_key=key))
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-AFTER-1,{api.run(deal.lead).external_id},"
                                                f"2026-11-19T10:00:00Z,SALES,call,,Field Sales,,\n", admin)
    after = api.run(DrivenPeriod.get(model_key=key))
    assert (after.id, after.stale, after.computed_at) == (before.id, False, before.computed_at)
    _agree(api, CLOSED, "MARKOV", 1)
