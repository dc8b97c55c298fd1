"""Per-day credit rollups (domain/attribution/rollups.py): the figures read from them equal the same figures summed
from the stored rows (any model, grouping, period and bounds off UTC midnight), and they stay current through
imports, an opportunity's change and a model of record approved, in the same transaction (a refused import leaves
them as they were)."""
from datetime import datetime, timedelta, timezone

import pytest

from domain import clock
from domain.attribution import rollup_reads, rollups, stored
from domain.attribution.models import CreditRollup, Opportunity
from domain.dataset.service import Options, generate
from domain.org.service import get_period
from tests.api.fixtures import APPROVE, OPPORTUNITY_HEADER, PROPOSE, TOUCH_HEADER, imported, post_import
from tests.harness import snapshot

UTC = timezone.utc
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


@snapshot
def random_org(api, admin):
    """A generated organisation (random journeys, seed 11, through the import path) as of AS_OF."""
    api.set_now(AS_OF)
    return api.run(generate(Options(leads=500, seed=11, quarters=2, as_of=AS_OF)))


def _rollups(api) -> dict:
    """The rollup table as {(model, kind, figure, day, group): (cents, deals)}, empty sums left out."""
    rows = api.run(CreditRollup.all().values_list("model_key", "kind", "figure", "day", "group_key", "cents",
                                                  "deals"))
    return {tuple(r[:5]): (r[5], r[6]) for r in rows if r[5] or r[6]}


def _bounds(api, key: str) -> list[tuple[datetime, datetime]]:
    period = api.run(get_period(key))
    hours = timedelta(hours=7)
    # the quarter, and the same quarter cut 7 hours off UTC midnight at both ends (a zone other than UTC)
    return [(period.start, period.end), (period.start + hours, period.end + hours),
            (period.start - hours, period.start + timedelta(days=40, hours=3))]


def _nonzero(totals: dict) -> dict:
    return {k: list(v) for k, v in totals.items() if any(v)}


def _agree(api, periods) -> int:
    """Every stored model and grouping (one side alone too, by team), for the quarter and bounds off UTC midnight:
    rollup_reads gives stored.credit_totals' figures and live deals, and the team figures stored.team_pipeline's.
    Returns the groups compared."""
    now = clock.now()

    async def compare(start, end):
        seen = 0
        for choice in stored.BUILT_IN.values():
            for group_by, sides in [(g, {}) for g in ("TEAM", "PERSON", "CHANNEL", "CAMPAIGN")] + [
                    ("TEAM", {"pipeline": False}), ("TEAM", {"bookings": False})]:
                by_rows = await stored.credit_totals(start, end, choice, group_by, now, **sides)
                rolled = await rollup_reads.credit_totals(start, end, choice, group_by, now, **sides)
                assert (_nonzero(rolled[0]), rolled[1]) == (_nonzero(by_rows[0]), by_rows[1]), \
                    (start, end, choice, group_by, sides)
                seen += len(_nonzero(by_rows[0]))
        for bookings in (True, False):
            by_rows = await stored.team_pipeline(start, end, now, bookings=bookings)
            rolled = await rollup_reads.team_pipeline(start, end, now, bookings=bookings)
            assert (_nonzero(rolled[0]), rolled[1]) == (_nonzero(by_rows[0]), by_rows[1]), (start, end)
        return seen
    return sum(api.run(compare(start, end)) for key in periods for start, end in _bounds(api, key))


def _rebuilt_equals_kept(api) -> None:
    kept = _rollups(api)
    api.run(rollups.rebuild())
    assert _rollups(api) == kept


def test_rollup_figures_equal_the_rows_sql_on_random_data(api, admin, random_org):
    assert api.run(CreditRollup.all().count()) > 100
    assert _agree(api, random_org.periods) > 200
    _rebuilt_equals_kept(api)


def test_rollups_stay_current_through_imports_a_deal_change_and_a_model_of_record(api, admin, random_org):
    from domain.org.models import Person
    period = random_org.periods[-1]
    deal = api.run(Opportunity.filter(lead_id__not_isnull=True, status="OPEN").order_by("id").first())
    lead = api.run(deal.lead).external_id
    before = _rollups(api)
    # a touch imported on the deal's lead: its rows move, and so do the rollups
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-ROLL-1,{lead},2026-11-18T10:00:00Z,MARKETING,webinar,"
                                                f"Late push,Demand Generation,,\n", admin)
    touched = _rollups(api)
    assert touched != before
    _rebuilt_equals_kept(api)
    # the deal won (an opportunity re-imported with its new status): its bookings appear on its win day
    imported(api, "opportunities", OPPORTUNITY_HEADER + f"\n{deal.external_id},{lead},{deal.name},"
                                                        f"{deal.amount_cents / 100:.2f},{deal.created_at.isoformat()},"
                                                        f"WON,2026-11-19T12:00:00Z,\n", admin)
    won = _rollups(api)
    assert sum(cents for (m, kind, figure, day, _), (cents, _) in won.items()
               if (m, kind, figure, day) == ("W_SHAPED", "TEAM", "B", "2026-11-19")) >= deal.amount_cents
    _rebuilt_equals_kept(api)
    # a refused import (one bad line beside a good one) changes nothing
    response = post_import(api, "opportunities", OPPORTUNITY_HEADER + f"\n{deal.external_id},{lead},{deal.name},"
                                                                      f"{deal.amount_cents / 100 + 5:.2f},"
                                                                      f"{deal.created_at.isoformat()},OPEN,,\n"
                                                                      f"BAD-1,{lead},Bad,not money,2026-11-01,OPEN,,\n",
                           admin)
    assert response.status_code in (200, 422) and response.json()["imported"] is False, response.text
    assert _rollups(api) == won
    # a model of record approved by both sides: its rollups appear with its rows
    leader = lambda function: api.token(person=api.run(  # noqa: E731
        Person.filter(role="LEADER", team__function=function).order_by("id").first().values_list("email", flat=True)))
    marketing, sales = leader("MARKETING"), leader("SALES")
    proposal = api.gql(PROPOSE, {"input": {"period": period, "model": "TIME_DECAY", "halfLifeDays": "3"}},
                       marketing)["attributionModelOfRecordPropose"]["modelOfRecord"]
    api.gql(APPROVE, {"id": proposal["id"]}, marketing)
    api.gql(APPROVE, {"id": proposal["id"]}, sales)
    assert {k[0] for k in _rollups(api)} == set(stored.BUILT_IN) | {"TIME_DECAY:3"}
    _rebuilt_equals_kept(api)
    assert _agree(api, [period]) > 0


def test_a_day_with_rows_ahead_of_the_clock_is_read_from_the_rows(api, admin, random_org):
    """A future-dated touch puts a horizon after `now` on its deal's days: those days come from the rows (which
    leave that deal to the live computation), the figures still equal the rows'."""
    deal = api.run(Opportunity.filter(lead_id__not_isnull=True, status="OPEN").order_by("id").first())
    lead = api.run(deal.lead).external_id
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-AHEAD,{lead},2026-12-15T10:00:00Z,SALES,call,,Field Sales,,\n",
             admin)
    period = api.run(get_period(random_org.periods[-1]))
    day = deal.created_at.astimezone(UTC).date().isoformat()
    stale = api.run(rollups.stale_days(["W_SHAPED"], "TEAM", period.start.date().isoformat(),
                                       period.end.date().isoformat(), clock.now()))
    assert day in stale
    _, live = api.run(rollup_reads.credit_totals(period.start, period.end, stored.DEFAULT_MODEL, "TEAM", clock.now()))
    assert deal.id in live
    assert _agree(api, random_org.periods) > 0


@pytest.mark.parametrize("missing", ["rollups", "rows"])
def test_the_backfill_writes_missing_rollups(api, admin, random_org, missing):
    """A database whose rows predate the rollups gets them from `migrate`'s backfill (the same as kept current);
    one whose open deals had no TIME_DECAY rows gets those rows and their rollups."""
    kept = _rollups(api)
    if missing == "rollups":
        api.run(CreditRollup.all().delete())
    else:
        from domain.attribution.models import DealCredit
        open_ids = list(api.run(Opportunity.filter(status="OPEN").values_list("id", flat=True)))
        api.run(rollups.leaving(open_ids))
        api.run(DealCredit.filter(model_key="TIME_DECAY:7", opportunity_id__in=open_ids).delete())
        api.run(rollups.entering(open_ids))
        assert _rollups(api) != kept
    api.run(stored.backfill())
    assert _rollups(api) == kept
    assert api.run(stored.backfill()) == []


def test_shared_wins_from_the_rows_are_the_live_rules(api, admin, random_org):
    """sharedWins reads the wins' influencing teams from the stored rows (a win with a touch ahead of the clock
    computed live): the same deals as rules.is_shared_win over every won deal's journey."""
    from domain.attribution import queries, rules
    lead = api.run(Opportunity.filter(lead_id__not_isnull=True, status="WON").order_by("-closed_at").first()
                   .values_list("lead__external_id", flat=True))
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-AHEAD-W,{lead},2026-12-15T10:00:00Z,SALES,call,,Field Sales,,\n",
             admin)

    async def both(key):
        view = await get_period(key)
        functions = await queries.team_functions()
        live = sorted(d.opportunity.id for d in await queries.deals(view) if d.in_bookings and rules.is_shared_win(
            {functions.get(t) for t in rules.influencing_teams(d.journey)}))
        return [o.id for o in await queries.shared_wins(view)], live
    seen = 0
    for key in random_org.periods:
        ours, live = api.run(both(key))
        assert ours == live, key
        seen += len(live)
    assert seen > 0


def _whole_table(api) -> dict:
    """Every rollup row as written, zero sums and horizons included."""
    rows = api.run(CreditRollup.all().values_list("model_key", "kind", "figure", "day", "group_key", "cents",
                                                  "deals", "horizon"))
    return {tuple(r[:5]): (r[5], r[6], r[7]) for r in rows}


def test_the_sums_of_rows_in_hand_are_the_sql_sums_of_the_stored_rows(api, admin, random_org):
    """rollups.row_sums (what an import adds for the credit rows it just wrote, without reading them back) gives the
    buckets, cents, deals and horizons that the SQL over the stored rows gives: the rollups kept by the imports equal
    a rebuild, and row_sums over the rows as stored, written into an empty table, equal the rebuild to the last
    column (zero sums and horizons included)."""
    from domain import bulk
    from tests.api.fixtures import LEAD_HEADER
    # a won deal without touches (UNATTRIBUTED), imported after the others
    imported(api, "leads", LEAD_HEADER + "\nL-ROLL-NT,Untouched Ltd,Ann,ann@untouched.example,,,,,,"
                                         "2026-10-01T09:00:00Z\n", admin)
    imported(api, "opportunities", OPPORTUNITY_HEADER + "\nO-ROLL-NT,L-ROLL-NT,Untouched,1234.56,"
                                                        "2026-10-02T09:00:00Z,WON,2026-11-02T09:00:00.5Z,\n", admin)
    kept = _rollups(api)
    api.run(rollups.rebuild())
    rebuilt = _whole_table(api)
    assert any(k[1] == "INFLUENCED" for k in rebuilt) and any(k[2] == "B" for k in rebuilt)
    assert any(g == "UNATTRIBUTED" for *_, g in rebuilt) and any(g == "NONE" for *_, g in rebuilt)
    assert _rollups(api) == kept

    async def from_rows():
        rows = await bulk.select(bulk.db_of(), f"SELECT {', '.join(stored.CREDIT_COLUMNS)} FROM deal_credit")
        await rollups.clear()
        await rollups.add_sums(rollups.row_sums(rows, stored.CREDIT_COLUMNS))
    api.run(from_rows())
    assert _whole_table(api) == rebuilt


def _pending(api) -> int:
    from domain.attribution.models import CreditRollupPending
    return api.run(CreditRollupPending.all().count())


def test_pending_deals_are_read_from_the_rows_until_the_fold_sums_them(api, admin, random_org, monkeypatch):
    """A refresh of DEFER_AT deals or more in a deferring block (a large import's) writes their rows and marks them
    pending instead of summing them: until the fold every figure read through the rollups is still the rows' (the
    days of pending deals come from the rows). Meanwhile a small write of a pending deal sums it in its own
    transaction, a model of record approved sums only the deals not pending; the fold (here as the service's start
    finds them) leaves nothing pending and the rollups equal a rebuild."""
    from domain.locks import bulk_lead_transaction
    from domain.org.models import Person
    kept = _rollups(api)
    ids = list(api.run(Opportunity.all().order_by("id").values_list("id", flat=True)))
    monkeypatch.setattr(rollups, "DEFER_AT", 2)

    async def defer_all():
        async with bulk_lead_transaction():
            with rollups.deferring() as deferral:
                await stored.refresh_deals(ids)
        return deferral.deals
    assert api.run(defer_all()) == len(ids) > 20
    assert _pending(api) == len(ids) and _rollups(api) == {}  # their sums taken out, none put back yet
    assert _agree(api, random_org.periods) > 200
    # a touch on one pending deal's lead, imported alone: that deal is summed in the import's transaction
    monkeypatch.setattr(rollups, "DEFER_AT", 500)
    deal = api.run(Opportunity.filter(lead_id__not_isnull=True, status="OPEN").order_by("id").first())
    lead = api.run(deal.lead).external_id
    imported(api, "touchpoints", TOUCH_HEADER + f"\nT-PEND-1,{lead},2026-11-18T10:00:00Z,MARKETING,webinar,"
                                                f"Late push,Demand Generation,,\n", admin)
    assert _pending(api) == len(ids) - 1
    assert {k[0] for k in _rollups(api)} == set(stored.BUILT_IN)  # that deal's sums, under every model
    assert _agree(api, random_org.periods) > 200
    # a model of record approved meanwhile: its rollups hold the deals not pending
    leader = lambda function: api.token(person=api.run(  # noqa: E731
        Person.filter(role="LEADER", team__function=function).order_by("id").first().values_list("email", flat=True)))
    marketing, sales = leader("MARKETING"), leader("SALES")
    period = random_org.periods[-1]
    proposal = api.gql(PROPOSE, {"input": {"period": period, "model": "TIME_DECAY", "halfLifeDays": "3"}},
                       marketing)["attributionModelOfRecordPropose"]["modelOfRecord"]
    api.gql(APPROVE, {"id": proposal["id"]}, marketing)
    api.gql(APPROVE, {"id": proposal["id"]}, sales)
    assert _agree(api, [period]) > 0
    # folded: nothing pending, the rollups are a rebuild's, the figures unchanged
    api.run(stored.fold_leftovers())
    api.run(stored.settle())
    assert _pending(api) == 0
    assert _rollups(api) != kept  # (the touch and the new model moved them)
    _rebuilt_equals_kept(api)
    assert _agree(api, random_org.periods) > 200


def test_a_large_import_sums_its_deals_after_its_commit(api, admin, random_org, monkeypatch, caplog):
    """Through POST /import: an import of DEFER_AT deals or more commits with its deals pending and sums them in the
    background once committed (logged); then nothing is pending and the rollups equal a rebuild. Below DEFER_AT
    the sums are written in the import's own transaction."""
    import logging
    lead = api.run(Opportunity.filter(lead_id__not_isnull=True).order_by("id").first().values_list(
        "lead__external_id", flat=True))
    monkeypatch.setattr(rollups, "DEFER_AT", 3)
    deals = "".join(f"\nO-PEND-{k},{lead},Pending {k},{1000 + k}.50,2026-11-0{k}T09:00:00Z,OPEN,,"
                    for k in range(1, 4))
    with caplog.at_level(logging.INFO, logger="sharedgoals.rollups"):
        imported(api, "opportunities", OPPORTUNITY_HEADER + deals + "\n", admin)
        api.run(stored.settle())
    assert "rollups: 3 pending deals summed" in caplog.text
    assert _pending(api) == 0
    _rebuilt_equals_kept(api)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sharedgoals.rollups"):
        imported(api, "opportunities", OPPORTUNITY_HEADER + "\nO-PEND-9,"
                 f"{lead},Small,99.00,2026-11-09T09:00:00Z,OPEN,,\n", admin)
        assert _pending(api) == 0  # summed in the import's transaction: nothing to fold
        api.run(stored.settle())
    assert "pending deals summed" not in caplog.text
    _rebuilt_equals_kept(api)
    assert _agree(api, random_org.periods[-1:]) > 0


async def _raise_amounts(ids, cents: int) -> None:
    """These deals' amounts raised by `cents` (their rows not rewritten: the caller refreshes them)."""
    for oid in ids:
        deal = await Opportunity.get(id=oid)
        deal.amount_cents += cents
        await deal.save()


@pytest.mark.parametrize("second_write", ["after the block", "in the block"])
def test_the_fold_sums_the_rows_in_hand_only_while_they_are_the_stored_ones(api, admin, random_org, monkeypatch,
                                                                            second_write):
    """The fold sums an import's rows in hand (SQLite) only for the deals whose stored rows are still those. A deal
    whose amount changed and whose rows were written again, after the deferring block (deferred once more) or in it
    (an import of several kinds: then it has more rows in hand than stored), is summed from its stored rows, so the
    rollups equal a rebuild."""
    from domain.locks import bulk_lead_transaction
    monkeypatch.setattr(rollups, "DEFER_AT", 2)
    ids = list(api.run(Opportunity.all().order_by("id").values_list("id", flat=True)))
    changed = ids[:3]

    async def scenario():
        async with bulk_lead_transaction():
            with rollups.deferring() as first:
                await stored.refresh_deals(ids)
                if second_write == "in the block":
                    await _raise_amounts(changed, 54_321)
                    await stored.refresh_deals(changed)
        if second_write == "after the block":
            async with bulk_lead_transaction():
                await _raise_amounts(changed, 12_345)
                with rollups.deferring():
                    await stored.refresh_deals(changed)
        return first, await stored.fold_pending(first)
    first, folded = api.run(scenario())
    if api.harness.url.startswith("sqlite"):  # the rows were in hand (PostgreSQL sums every fold in the database)
        assert {row[0] for row in first.rows} == set(ids) and len(first.rows) > len(ids)
    assert folded == len(ids) and _pending(api) == 0
    _rebuilt_equals_kept(api)
    assert _agree(api, random_org.periods[-1:]) > 0
