"""Stored credit rows (domain/attribution/stored.py): kept current by imports, mutations and model-of-record
approvals, equal to a rebuild from the raw rows, and giving the same figures as the live computation."""
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from domain.attribution import queries, rules, stored
from domain.attribution.models import DealCredit, Opportunity
from domain.attribution.stored import BUILT_IN
from domain.dataset.service import Options, generate
from domain.org.service import get_period
from tests.api.fixtures import APPROVE, OPPORTUNITY_HEADER, PROPOSE, TOUCH_HEADER, imported
from tests.harness import snapshot

UTC = timezone.utc
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
COLUMNS = ("opportunity_id", "model_key", "position", "touchpoint_id", "at", "team_id", "person_id", "channel",
           "campaign", "weight", "amount_cents", "deal_amount_cents", "created_at", "won_at", "horizon",
           "influencing")


@snapshot
def dataset(api, admin):
    """A small generated organisation (through the import path) as of AS_OF, the clock there."""
    api.set_now(AS_OF)
    summary = api.run(generate(Options(leads=400, seed=7, quarters=2, as_of=AS_OF)))
    return summary


def _rows(api) -> list[tuple]:
    return sorted(api.run(DealCredit.all().values_list(*COLUMNS)), key=lambda r: (r[0], r[1], r[2]))


def _leaders(api):
    """Tokens of a marketing leader and of a sales leader of the generated organisation."""
    from domain.org.models import Person

    def leader_of(function):
        return api.run(Person.filter(role="LEADER", team__function=function).order_by("id").first().values_list(
            "email", flat=True))
    return api.token(person=leader_of("MARKETING")), api.token(person=leader_of("SALES"))


def _figures_agree(api, period_key: str, choice) -> int:
    """attribution from the stored rows equals the live computation, for every grouping; returns the lines seen."""
    async def compare():
        view = await get_period(period_key)
        live_deals = await queries.deals(view)
        seen = 0
        for group_by in queries.GroupBy:
            fast = await queries.attribution(view, choice, group_by)
            live = await queries.attribution(view, choice, group_by, live_deals)
            assert fast == live, (period_key, choice, group_by)
            seen += len(fast.lines)
        fast_pipeline = {t: (r.sourced_pipeline_cents, r.sourced_bookings_cents, r.influenced_pipeline_cents,
                             r.influenced_bookings_cents)
                         for t, r in (await queries.pipeline_by_team(view)).items() if any(
                             (r.sourced_pipeline_cents, r.sourced_bookings_cents, r.influenced_pipeline_cents,
                              r.influenced_bookings_cents))}
        live_pipeline = {t: (r.sourced_pipeline_cents, r.sourced_bookings_cents, r.influenced_pipeline_cents,
                             r.influenced_bookings_cents)
                         for t, r in queries.sourced_and_influenced(live_deals).items() if any(
                             (r.sourced_pipeline_cents, r.sourced_bookings_cents, r.influenced_pipeline_cents,
                              r.influenced_bookings_cents))}
        assert fast_pipeline == live_pipeline
        # one side alone (the common view's figures): the same figures, the other side's 0
        pipeline_alone = {t: (r.sourced_pipeline_cents, r.sourced_bookings_cents, r.influenced_pipeline_cents,
                              r.influenced_bookings_cents)
                          for t, r in (await queries.pipeline_by_team(view, bookings=False)).items() if any(
                              (r.sourced_pipeline_cents, r.influenced_pipeline_cents))}
        assert pipeline_alone == {t: (sp, 0, ip, 0) for t, (sp, _, ip, _) in live_pipeline.items() if sp or ip}
        for group_by in queries.GroupBy:
            both = await queries.period_credit_totals(view, choice, group_by)
            nonzero = lambda totals: {k: v for k, v in totals.items() if any(v)}
            assert nonzero(await queries.period_credit_totals(view, choice, group_by, pipeline=False)) == \
                nonzero({k: [0, b] for k, (_, b) in both.items()}), (period_key, choice, group_by)
            assert nonzero(await queries.period_credit_totals(view, choice, group_by, bookings=False)) == \
                nonzero({k: [p, 0] for k, (p, _) in both.items()}), (period_key, choice, group_by)
        return seen
    return api.run(compare())


def test_imports_keep_the_rows_current_and_a_rebuild_gives_the_same_rows(api, admin, dataset):
    kept = _rows(api)
    deals = api.run(Opportunity.all().count())
    assert deals > 20 and len(kept) > deals  # every deal has rows (a row per touch, or one UNATTRIBUTED)
    assert {r[1] for r in kept} == set(BUILT_IN) == {m.value for m in stored.STORED_MODELS} - {"TIME_DECAY"} \
        | {"TIME_DECAY:7"}
    api.run(stored.rebuild_all())
    assert _rows(api) == kept


def test_time_decay_rows_are_stored_for_every_deal_open_ones_included(api, admin, dataset):
    """A won or lost deal's touch ages are measured to its close, an open deal's to its last touch: neither moves
    with the clock, so every deal has TIME_DECAY rows, and an open deal's are its live credit at any `now`."""
    status = dict(api.run(Opportunity.all().values_list("id", "status")))
    by_model = lambda key: set(api.run(DealCredit.filter(model_key=key, position__gte=0)  # noqa: E731
                                      .values_list("opportunity_id", flat=True)))
    decayed, positional = by_model("TIME_DECAY:7"), by_model("W_SHAPED")
    open_deal = min(i for i in positional if status[i] == "OPEN")
    assert decayed == positional
    stored_cents = api.run(DealCredit.filter(model_key="TIME_DECAY:7", opportunity_id=open_deal).order_by(
        "position").values_list("amount_cents", flat=True))
    choice = queries.ModelChoice(rules.Model.TIME_DECAY)
    deal, = api.run(queries.deals_by_opportunity([open_deal]))
    for now in (AS_OF, datetime(2027, 6, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)):
        assert [r.cents for r in queries.credit_rows([deal], choice, now)] == stored_cents, now


MODELS = [queries.ModelChoice(m) for m in stored.STORED_MODELS]


@pytest.mark.parametrize("choice", MODELS, ids=lambda c: c.model.value)
def test_the_stored_figures_equal_the_live_computation(api, admin, dataset, choice):
    """Summed in SQL from the stored rows (open deals under TIME_DECAY computed live and added) or computed from the
    raw rows for the whole period: the same figures to the cent, for every grouping and period."""
    seen = sum(_figures_agree(api, key, choice) for key in dataset.periods)
    assert seen > 10


def test_a_deal_that_changes_updates_its_time_decay_rows(api, admin, dataset):
    """An open deal's TIME_DECAY rows are its live credits; won, they are measured to the close instead, still equal
    to its credits(model: TIME_DECAY) as GraphQL computes them live; a touch before its close moves them; each time
    the kept rows are a rebuild's."""
    deal = api.run(Opportunity.filter(lead_id__not_isnull=True, status="OPEN").order_by("id").first())
    lead = api.run(deal.lead).external_id
    rows = lambda: api.run(DealCredit.filter(opportunity_id=deal.id, model_key="TIME_DECAY:7")  # noqa: E731
                           .order_by("position").values_list("at", "amount_cents"))
    assert rows() and rows() == _live_credits(api, admin, deal.id)
    imported(api, "opportunities", OPPORTUNITY_HEADER + f"\n{deal.external_id},{lead},{deal.name},"
                                                        f"{deal.amount_cents / 100:.2f},{deal.created_at.isoformat()},"
                                                        f"WON,2026-11-19T12:00:00Z,\n", admin)
    won = rows()
    assert won and sum(c for _, c in won) == deal.amount_cents
    assert won == _live_credits(api, admin, deal.id)
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-LATE-1,{lead},2026-11-19T09:00:00Z,SALES,call,,Field Sales,,"
                                                f"\n", admin)
    moved = rows()
    assert len(moved) == len(won) + 1 and moved[-1][0] == datetime(2026, 11, 19, 9, tzinfo=UTC)
    assert moved == _live_credits(api, admin, deal.id)
    kept = _rows(api)
    api.run(stored.rebuild_all())
    assert _rows(api) == kept
    _figures_agree(api, dataset.periods[-1], queries.ModelChoice(rules.Model.TIME_DECAY))


def _live_credits(api, admin, deal_id: int) -> list[tuple]:
    """The deal's credits under TIME_DECAY through GraphQL (computed live from its journey), as (at, cents)."""
    from strawberry.relay import to_base64
    node = api.gql('query($id: ID!) { node(id: $id) { ... on Opportunity { credits(model: TIME_DECAY) '
                   '{ at amount } } } }', {"id": to_base64("Opportunity", deal_id)}, admin)["node"]
    return [(datetime.fromisoformat(c["at"]), int(Decimal(c["amount"]) * 100)) for c in node["credits"]]


def test_a_new_model_of_record_gets_its_rows_and_later_imports_keep_them_current(api, admin, dataset):
    marketing, sales = _leaders(api)
    period = dataset.periods[-1]
    proposal = api.gql(PROPOSE, {"input": {"period": period, "model": "TIME_DECAY", "halfLifeDays": "3"}},
                       marketing)["attributionModelOfRecordPropose"]["modelOfRecord"]
    api.gql(APPROVE, {"id": proposal["id"]}, marketing)
    assert api.run(DealCredit.filter(model_key="TIME_DECAY:3").count()) == 0  # one side is not enough
    api.gql(APPROVE, {"id": proposal["id"]}, sales)
    assert api.run(DealCredit.filter(model_key="TIME_DECAY:3").count()) > 0
    choice = queries.ModelChoice(rules.Model.TIME_DECAY, rules.Decimal("3"))
    assert _figures_agree(api, period, choice) > 0  # open deals (weighed against the clock) are computed live

    # a new touch on a lead with a deal, and a deal won: the rows of both models follow
    lead_id, deal_external_id = api.run(Opportunity.filter(lead_id__not_isnull=True, status="OPEN").order_by(
        "id").first().values_list("lead__external_id", "external_id"))
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-NEW-1,{lead_id},2026-11-18T10:00:00Z,MARKETING,webinar,"
                                                f"Late push,Demand Generation,,\n", admin)
    deal = api.run(Opportunity.get(external_id=deal_external_id))
    imported(api, "opportunities", OPPORTUNITY_HEADER + f"\n{deal_external_id},{lead_id},{deal.name},"
                                                        f"{deal.amount_cents / 100:.2f},"
                                                        f"{deal.created_at.isoformat()},WON,2026-11-19T12:00:00Z,\n",
             admin)
    kept = _rows(api)
    assert {r[1] for r in kept} == set(BUILT_IN) | {"TIME_DECAY:3"}
    api.run(stored.rebuild_all())
    assert _rows(api) == kept
    assert _figures_agree(api, period, choice) > 0
    assert _figures_agree(api, period, queries.DEFAULT_MODEL) > 0


def test_a_deal_whose_inputs_lie_ahead_of_the_clock_is_computed_live(api, admin, dataset):
    """Rows are worked out as of the end of time; before a deal's horizon (a future-dated touch) it is live."""
    lead_id = api.run(Opportunity.filter(lead_id__not_isnull=True, status="OPEN").order_by("id").first()
                       .values_list("lead__external_id", flat=True))
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-FUTURE,{lead_id},2026-12-15T10:00:00Z,SALES,call,,"
                                                f"Field Sales,,\n", admin)
    ahead = set(api.run(DealCredit.filter(horizon__gt=AS_OF).values_list("opportunity_id", flat=True)))
    assert len(ahead) >= 1
    for key in dataset.periods:
        _figures_agree(api, key, queries.DEFAULT_MODEL)  # the future touch is not counted yet, as live says


def test_the_attribution_report_sums_stored_rows_without_reading_touches(api, admin, dataset):
    with api.count_queries() as counter:
        api.gql('{ attribution(period: "%s", model: W_SHAPED) { key pipeline bookings } }' % dataset.periods[0],
                token=admin)
    assert not [s for s in counter.statements if '"touchpoint"' in s or "touchpoint " in s], counter.statements



def test_attribution_under_time_decay_reads_no_journey(api, admin, dataset):
    """TIME_DECAY's open deals have rows too: its report is the same statements as W_SHAPED's (the rollups), and
    reads no touch or lead fact."""
    for key in dataset.periods:
        api.gql('{ viewer { name } }', token=admin)  # (the token's first use of the day writes its last use)
        statements = {}
        for model in ("W_SHAPED", "TIME_DECAY"):
            with api.count_queries() as counter:
                api.gql('{ attribution(period: "%s", model: %s) { key pipeline bookings } }' % (key, model),
                        token=admin)
            statements[model] = counter.statements
        assert len(statements["TIME_DECAY"]) == len(statements["W_SHAPED"]), statements["TIME_DECAY"]
        assert not [s for s in statements["TIME_DECAY"] if '"touchpoint"' in s or '"lead_fact"' in s]


def test_an_older_database_gets_the_rows_of_the_newly_stored_models_from_the_backfill(api, admin, dataset):
    """A database written when only W_SHAPED was stored: `migrate`'s backfill writes every other stored model's rows
    (the same rows the refresh writes), and a second run has nothing to do."""
    kept = _rows(api)
    api.run(DealCredit.exclude(model_key="W_SHAPED").delete())
    assert set(api.run(stored.backfill())) == set(BUILT_IN) - {"W_SHAPED"}
    assert _rows(api) == kept
    assert api.run(stored.backfill()) == []
    _figures_agree(api, dataset.periods[0], queries.ModelChoice(rules.Model.TIME_DECAY))
