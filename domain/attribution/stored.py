"""Stored credit rows (DealCredit): each deal's credit per touch under every built-in model (STORED_MODELS, TIME_DECAY
at its default half-life) and under every active model of record, kept current in the transaction that changes
their inputs, so that reports sum rows in SQL instead of rebuilding journeys.

A deal's rows are worked out as of the end of time (every touch up to the close, or all of them while open) and
carry the deal's `horizon`: the latest moment among its inputs (touches used, MQL, creation, close). As of any
`now` at or after the horizon the live journey is the same journey, so the rows hold; a deal whose horizon is
still ahead (a future-dated touch or close), or that has no rows for the model (a CUSTOM weighting or a half-life
nobody stored), is computed live by the caller, with the same rules. TIME_DECAY measures touch ages to the close,
or to the last touch while open, never to the clock, so every deal's TIME_DECAY rows hold like any other model's.
The per-day rollups of these rows (rollups.py) are kept current by the same functions, in the same transaction.
`rebuild_all()` recomputes every row from the raw rows (a test compares it with the kept-current rows);
`backfill()` writes the rows of a stored model that has none yet, of the deals a stored model does not cover yet,
and the rollups of rows that have none (an upgrade: `migrate` runs it)."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain import bulk, rawsql
from domain.attribution import driven_state, rollups, rules
from domain.attribution.credit import DEFAULT_MODEL, Deal, ModelChoice, deal_split, weights_of
from domain.attribution.journeys import read_opportunities, with_journeys
from domain.bulk import utc
from domain.attribution.models import DealCredit, ModelOfRecord, Opportunity, OpportunityStatus, ProposalStatus
from domain.locks import bulk_lead_transaction

BATCH = 500
DEAL_CHUNK = 2000  # deals whose journeys are read at once
END_OF_TIME = datetime(9999, 12, 31, tzinfo=timezone.utc)
UTC = timezone.utc

# The built-in models kept in stored rows: every model whose credit of a deal depends on that deal alone (not
# CUSTOM, whose weights are the client's), TIME_DECAY at its default half-life.
STORED_MODELS = (rules.Model.FIRST_TOUCH, rules.Model.LAST_TOUCH, rules.Model.LINEAR, rules.Model.U_SHAPED,
                 rules.Model.W_SHAPED, rules.Model.FULL_PATH, rules.Model.TIME_DECAY, rules.Model.J_SHAPED,
                 rules.Model.INVERSE_J)


def model_key(model: rules.Model, half_life_days: Decimal, custom: rules.CustomWeights | None) -> str:
    """The stored name of a model with its parameters: only TIME_DECAY depends on the half-life, only CUSTOM on
    its weights."""
    model = rules.Model(model)
    if model is rules.Model.TIME_DECAY:
        return f"TIME_DECAY:{Decimal(half_life_days).normalize()}"
    if model is rules.Model.CUSTOM:
        c = custom
        return "CUSTOM:" + ",".join(str(Decimal(v).normalize()) for v in (c.ft, c.lc, c.oc, c.cw, c.others))
    return model.value


def key_of(choice: ModelChoice) -> str:
    return model_key(choice.model, choice.half_life_days, choice.custom)


BUILT_IN: dict[str, ModelChoice] = {key_of(c): c for c in [DEFAULT_MODEL] + [ModelChoice(m) for m in STORED_MODELS]}


def is_built_in(choice: ModelChoice) -> bool:
    """Whether a model's rows are always stored (whatever the models of record)."""
    return key_of(choice) in BUILT_IN


async def stored_choices() -> dict[str, ModelChoice]:
    """{model key: ModelChoice} of the models kept stored: the built-in ones (the default, W_SHAPED, first) and each
    active model of record."""
    choices = dict(BUILT_IN)
    for model, half_life, custom in await ModelOfRecord.filter(status=ProposalStatus.ACTIVE).values_list(
            "model", "half_life_days", "custom_weights"):
        if model in ("MARKOV", "SHAPLEY"):
            continue  # weighed by its period's chain: computed live (training.py caches a closed period's chain)
        weights = rules.CustomWeights(**{k: Decimal(str(v)) for k, v in custom.items()}) if custom else None
        choice = ModelChoice(rules.Model(model), Decimal(str(half_life)), weights)
        choices.setdefault(key_of(choice), choice)
    return choices


def _horizon(o, j: rules.Journey) -> datetime:
    moments = [o.created_at, *(t.at for t in j.touches)]
    if j.mql_at is not None:
        moments.append(j.mql_at)
    if o.status is not OpportunityStatus.OPEN and o.closed_at is not None:
        moments.append(o.closed_at)
    return max(moments)


CREDIT_COLUMNS = ("opportunity_id", "model_key", "position", "touchpoint_id", "at", "team_id", "person_id", "channel",
                  "campaign", "weight", "amount_cents", "deal_amount_cents", "created_at", "won_at", "horizon",
                  "influencing")


def credit_rows_of(deals: Sequence[Deal], choices: dict[str, ModelChoice], stamp=utc) -> list[tuple]:
    """The stored rows (tuples of CREDIT_COLUMNS, written in bulk) of deals (their journeys as of the end of time)
    under each of `choices`, split by credit.deal_split (the same split as every live report). `stamp` gives a
    time as written (bulk.time_as_written: SQLite's text, worked out once a deal or touch, not once a row)."""
    # per deal, once for all the models: each touch's columns (position to campaign) and the deal's columns after
    # the cents (amount to influencing: a touch influences when it is its team's first at or before OC, each
    # influencing team once a deal); a touch's own columns are worked out once for all its deals
    touch_columns: dict[int, tuple] = {}
    shapes: list[tuple[int, tuple, list[tuple], list[tuple]]] = []
    for deal in deals:
        o, j = deal.opportunity, deal.journey
        amount = o.amount_cents
        won_at = stamp(o.closed_at) if o.status is OpportunityStatus.WON else None
        after = (amount, stamp(o.created_at), won_at, stamp(_horizon(o, j)))
        if not j.touches:  # no touches: the whole amount on UNATTRIBUTED (credit.deal_credit's row)
            shapes.append((o.id, (-1, None, None, None, None, None, None, "1", amount) + after + (False,), [], []))
            continue
        oc = rules.milestones(j)[rules.Milestone.OC]
        heads, tails = [], []
        influencers: set[int] = set()
        for position, touch in enumerate(j.touches):
            team = touch.team_id
            influencing = oc is not None and position <= oc and team is not None and team not in influencers
            if influencing:
                influencers.add(team)
            columns = touch_columns.get(touch.id)
            if columns is None:
                columns = touch_columns[touch.id] = (touch.id, stamp(touch.at), team, touch.person_id,
                                                     touch.channel, touch.campaign)
            heads.append((position, *columns))
            tails.append((*after, influencing))
        shapes.append((o.id, (), heads, tails))
    rows: list[tuple] = []
    append = rows.append
    for key, choice in choices.items():
        # no weights depend on `now` (TIME_DECAY's are measured to the close, or to the last touch while open)
        weigh = weights_of(choice, END_OF_TIME)
        for deal, (oid, untouched, heads, tails) in zip(deals, shapes):
            if untouched:
                append((oid, key, *untouched))
                continue
            weights, cents = deal_split(deal, weigh)
            for head, weight, share, tail in zip(heads, weights, cents, tails):
                append((oid, key, *head, str(weight), share, *tail))
    return rows


async def _deals_as_of_the_end(query) -> list[Deal]:
    return await with_journeys(await read_opportunities(query), None, as_of=END_OF_TIME)


async def refresh_deals(opportunity_ids: Iterable[int], *, deals_changed: bool = True) -> None:
    """Recompute the stored rows of these deals under every stored model (call in the changing transaction):
    per chunk of deals their journeys read at once, their rows deleted and written in bulk; then their rollups
    (in a rollups.deferring() block, when they are many, marked pending for fold_pending instead)."""
    ids = sorted(set(opportunity_ids))
    if not ids:
        return
    db = bulk.db_of()
    choices = await stored_choices()
    if deals_changed:  # (not when only their leads' touches or events did: refresh_for_leads marked those)
        await driven_state.mark_stale(deal_ids=ids)  # the stored data-driven periods they train
    pending = await rollups.pending_among(ids)
    await rollups.leaving([i for i in ids if i not in pending])
    defer = rollups.defers(len(ids))
    # SQLite: the rollups summed in Python from the rows in hand (its twelve grouped scans of the rows just written
    # took ten times as long); PostgreSQL sums them faster itself, from the rows written (rollups.entering)
    sqlite = bulk.dialect_of(db) == "sqlite"
    sums: dict | None = {} if sqlite and not defer else None
    in_hand: list[tuple] | None = [] if sqlite and defer else None  # for the fold (rollups.Deferral)
    stamp = bulk.time_as_written(db)
    for chunk in bulk.chunks(ids, DEAL_CHUNK):
        deals = await _deals_as_of_the_end(Opportunity.filter(id__in=list(chunk)))
        rows = credit_rows_of(deals, choices, stamp)
        for key, choice, weighed in await driven_state.deal_choices(deals):  # in the fresh data-driven periods
            rows += credit_rows_of(weighed, {key: choice}, stamp)
        await bulk.delete_where(db, "deal_credit", "opportunity_id", chunk)
        await bulk.insert(db, "deal_credit", CREDIT_COLUMNS, rows)
        if sums is not None:
            rollups.row_sums(rows, CREDIT_COLUMNS, into=sums)  # what rollups.entering(chunk) would read back
        if in_hand is not None:
            in_hand += rows
    if defer:
        await rollups.mark_pending(ids, in_hand)
        return
    await _sum_in(ids, sums)
    await rollups.unmark_pending(sorted(pending))


async def _sum_in(ids: list[int], sums: dict | None) -> None:
    """These deals' rows added to the rollups: `sums` of them when in hand (SQLite), else summed by the database."""
    if sums is None:
        await rollups.entering(ids)
    else:
        await rollups.add_sums(sums)


FOLD_CHUNK = DEAL_CHUNK  # pending deals summed a transaction (other writers get their turn between two; smaller
# chunks cost more in all: the buckets they share are upserted once a chunk)
FOLD_TASK = "rollup-fold"  # the name of fold_later's task (a statement count may leave it out)
_folding: set[asyncio.Task] = set()
log = logging.getLogger("sharedgoals.rollups")


async def fold_pending(deferral: rollups.Deferral | None = None) -> int:
    """Every pending deal's rows summed into the rollups (rollups.py, "Pending deals"), FOLD_CHUNK deals a
    transaction with the lead writers' lock (so no writer changes their rows meanwhile, and other writers get their
    turn between two); returns the deals folded. A deal whose rows `deferral` holds (the import that left it
    pending, on SQLite) and whose stored rows are still those (as many, none written since) is summed from them in
    Python (rollups.row_sums, as an import sums the rows it writes); every other by the database
    (rollups.entering: on SQLite too, faster there than reading the rows back to sum them)."""
    in_hand: dict[int, list[tuple]] = {}
    if deferral is not None and deferral.rows:
        for row in deferral.rows:  # CREDIT_COLUMNS[0] is the deal
            in_hand.setdefault(row[0], []).append(row)
    folded = 0
    while True:
        async with bulk_lead_transaction(on_wait=lambda: None), bulk.fewer_collections():
            ids = await rollups.pending_batch(FOLD_CHUNK)
            if not ids:
                return folded
            held = await _unchanged([i for i in ids if i in in_hand], in_hand, deferral)
            if held:
                await rollups.add_sums(rollups.row_sums((r for i in held for r in in_hand[i]), CREDIT_COLUMNS))
            if rest := [i for i in ids if i not in held]:
                await rollups.entering(rest)
            await rollups.unmark_pending(ids)
        folded += len(ids)


async def _unchanged(ids: list[int], in_hand: dict[int, list[tuple]], deferral) -> set[int]:
    """Those of `ids` whose stored rows are the rows in hand: as many, and none written after them."""
    if not ids:
        return set()
    db = bulk.db_of()
    condition, params = bulk.ids_condition(db, "opportunity_id", ids)
    return {int(oid) for oid, count, last in await bulk.select(
        db, f'SELECT opportunity_id, COUNT(*), MAX(id) FROM deal_credit WHERE {condition} GROUP BY opportunity_id',
        params) if count == len(in_hand[int(oid)]) and last <= deferral.written_up_to}


def fold_later(deferral: rollups.Deferral | None = None) -> None:
    """fold_pending in the background (after an import that left deals pending has committed, with its Deferral):
    a failure is logged and leaves them pending (readers take their days from the rows; the next fold, or the next
    start of the service, sums them)."""
    async def fold() -> None:
        try:
            began = time.perf_counter()
            folded = await fold_pending(deferral)
            log.info("rollups: %d pending deals summed in %.2f s", folded, time.perf_counter() - began)
        except Exception:
            log.exception("rollups: pending deals could not be summed (they stay pending)")
    task = asyncio.get_running_loop().create_task(fold(), name=FOLD_TASK)
    _folding.add(task)
    task.add_done_callback(_folding.discard)


async def fold_leftovers() -> None:
    """fold_later when deals are pending (left by an import whose process ended before it summed them). A failure
    to look is logged: the service starts anyway (readers take pending days from the rows)."""
    try:
        pending = await rollups.pending_batch(1)
    except Exception:
        log.exception("rollups: could not look for pending deals")
        return
    if pending:
        fold_later()


async def settle() -> None:
    """Wait for every fold_later of this process to end (before its database closes)."""
    while _folding:
        await asyncio.gather(*list(_folding), return_exceptions=True)


async def refresh_for_leads(lead_ids: Iterable[int]) -> None:
    """After a lead's touches or events (its MQL time) changed: its deals' rows."""
    ids = sorted(set(lead_ids))
    db = bulk.db_of()
    await driven_state.mark_stale(lead_ids=ids)  # the stored data-driven periods they train
    deal_ids: list[int] = []
    for chunk in bulk.chunks(ids):
        condition, params = bulk.ids_condition(db, "lead_id", chunk)
        deal_ids += [r[0] for r in await bulk.select(db, f'SELECT "id" FROM "opportunity" WHERE {condition}', params)]
    await refresh_deals(deal_ids, deals_changed=False)


async def refresh_models(choices: dict[str, ModelChoice]) -> None:
    """Every deal's rows under these models (the others are unchanged): the deals read a batch at a time, each
    batch's journeys once for all the models."""
    if not choices:
        return
    await DealCredit.filter(model_key__in=list(choices)).delete()
    await rollups.clear(list(choices))
    last = 0
    while deals := await _deals_as_of_the_end(Opportunity.filter(id__gt=last).order_by("id").limit(BATCH)):
        last = deals[-1].opportunity.id
        await bulk.insert(bulk.db_of(), "deal_credit", CREDIT_COLUMNS, credit_rows_of(deals, choices))
    await rollups.summed(list(choices))


async def refresh_model(choice: ModelChoice) -> None:
    """After a model of record became active: every deal's rows under it."""
    await refresh_models({key_of(choice): choice})


async def _has_rows(key: str) -> bool:
    return await DealCredit.filter(model_key=key).exists()


async def models_changed() -> None:
    """After the active models of record changed: rows under each stored model (computed for a model that has none
    yet), none under a model no longer stored."""
    choices = await stored_choices()
    await DealCredit.exclude(model_key__in=list(choices)).exclude(model_key__contains="@").delete()  # not driven
    await rollups.keep_only(list(choices))
    missing = {key: choice for key, choice in choices.items() if not await _has_rows(key)}
    await refresh_models(missing)


async def backfill() -> list[str]:
    """The rows of every stored model that has none yet, and of every deal a stored model has no rows of (open
    deals under TIME_DECAY before they were stored), with the rollups of rows that have none, in one transaction
    (so a model has all its rows or none): after an upgrade. Nothing to write, and a look-up a model (and one
    anti-join of the deals a model), on a database that has them (or has no deals). Returns the keys written."""
    if not await Opportunity.exists():
        return []
    async with in_transaction():
        rolled = await rollups.backfill()
        choices = await stored_choices()
        missing = {key: choice for key, choice in choices.items() if not await _has_rows(key)}
        await refresh_models(missing)
        await refresh_deals(await _deals_without_rows(set(choices) - set(missing)))
    return sorted(set(missing) | {f"{key} (rollups)" for key in rolled})


async def _deals_without_rows(keys: Iterable[str]) -> list[int]:
    """The deals that have no rows under one of these models (written before the model covered them, as open
    deals under TIME_DECAY once were)."""
    ids: set[int] = set()
    for key in sorted(keys):
        ids |= {r[0] for r in await rawsql.rows(
            "SELECT o.id FROM opportunity o WHERE NOT EXISTS (SELECT 1 FROM deal_credit c "
            "WHERE c.opportunity_id = o.id AND c.model_key = :key)", key=key)}
    return sorted(ids)


async def rebuild_all() -> None:
    """Every stored row (and rollup) recomputed from the raw rows."""
    await DealCredit.all().delete()
    await rollups.clear()
    ids = await Opportunity.all().order_by("id").values_list("id", flat=True)
    await refresh_deals(ids)


# --- reads ---------------------------------------------------------------------------------------

_GROUP_COLUMN = {"TEAM": "team_id", "PERSON": "person_id", "CHANNEL": "channel", "CAMPAIGN": "campaign"}


async def is_stored(choice: ModelChoice) -> bool:
    """Whether a model's rows are stored: a built-in one always (no statement), else an active model of record."""
    return is_built_in(choice) or key_of(choice) in await stored_choices()


_CREATED = "(created_at >= :start AND created_at < :end)"
_WON = "(won_at >= :start AND won_at < :end)"
_DEAL_CREATED = "(o.created_at >= :start AND o.created_at < :end)"
_DEAL_WON = "(o.status = 'WON' AND o.closed_at >= :start AND o.closed_at < :end)"


def _either(pipeline: bool, bookings: bool, created: str, won: str) -> str:
    """The condition of a period's rows: created in it (pipeline), won in it (bookings), or either."""
    if not (pipeline or bookings):
        raise ValueError("a period's credit needs its pipeline, its bookings or both")
    return f"({created} OR {won})" if pipeline and bookings else created if pipeline else won


def _parts(pipeline: bool, bookings: bool, select: str, created: str, won: str, group: str) -> str:
    """A period's rows read as disjoint parts, each from one covering index (an OR of both sides reads every row
    from the table): the rows of the deals created in the period (`created`: their pipeline, and their bookings
    when won in it too), then those won in it but created at another time (`won`: bookings only). Without
    `pipeline` only the rows won in the period are read, without `bookings` only those created in it."""
    if not (pipeline or bookings):
        raise ValueError("a period's credit needs its pipeline, its bookings or both")
    parts = []
    if pipeline:
        parts.append(f"SELECT {created} {select} AND {_CREATED} GROUP BY {group}")
    if bookings:
        parts.append(f"SELECT {won} {select} AND {_WON}" + (f" AND NOT {_CREATED}" if pipeline else "")
                     + f" GROUP BY {group}")
    return "\nUNION ALL\n".join(parts)


async def credit_totals(start: datetime, end: datetime, choice, group_by: str, now: datetime, *,
                        pipeline: bool = True, bookings: bool = True,
                        deal_count: int | None = None, key: str | None = None
                        ) -> tuple[dict[str, list[int]], set[int]]:
    """({group key: [pipeline cents, bookings cents]} from the fresh stored rows of the deals created or won in
    [start, end), UNATTRIBUTED for deals without touches; and the ids of the period's deals without fresh rows
    (the caller computes those live). Without `pipeline` only the deals won in the period are read (every pipeline
    figure 0), without `bookings` only those created in it (every bookings figure 0). `key`: the rows' model key
    when it is not the choice's own (a stored data-driven period's, driven_state.driven_key)."""
    key = key or key_of(choice)
    column = _GROUP_COLUMN[group_by]
    deals = "SUM(CASE WHEN position <= 0 THEN 1 ELSE 0 END)"
    booked = f"SUM(CASE WHEN {_WON} THEN amount_cents ELSE 0 END)" if bookings else "0"
    rows = await rawsql.rows(_parts(
        pipeline, bookings, "FROM deal_credit WHERE model_key = :key AND horizon <= :now",
        created=f"{column}, position < 0, SUM(amount_cents), {booked}, {deals}",
        won=f"{column}, position < 0, 0, SUM(amount_cents), {deals}", group="1, 2"),
        start=start, end=end, key=key, now=now)
    totals: dict[str, list[int]] = {}
    fresh = 0
    for group, unattributed, pipeline_cents, bookings_cents, deal_rows in rows:
        name = "UNATTRIBUTED" if unattributed else ("NONE" if group is None else str(group))
        line = totals.setdefault(name, [0, 0])
        line[0] += int(pipeline_cents or 0)
        line[1] += int(bookings_cents or 0)
        fresh += int(deal_rows or 0)
    return totals, await deals_without_fresh_rows(start, end, key, now, fresh, pipeline, bookings, deal_count)


async def period_deal_count(start: datetime, end: datetime, pipeline: bool = True, bookings: bool = True) -> int:
    """How many deals were created (`pipeline`) or won (`bookings`) in [start, end)."""
    if pipeline and bookings:  # created in the period, plus won in it but created at another time
        count_sql = f"""SELECT (SELECT count(*) FROM opportunity o WHERE {_DEAL_CREATED})
                             + (SELECT count(*) FROM opportunity o WHERE {_DEAL_WON} AND NOT {_DEAL_CREATED})"""
    else:
        count_sql = f"SELECT count(*) FROM opportunity o WHERE {_DEAL_CREATED if pipeline else _DEAL_WON}"
    (count,), = await rawsql.rows(count_sql, start=start, end=end)
    return int(count)


async def deals_without_fresh_rows(start: datetime, end: datetime, key: str, now: datetime, fresh: int, pipeline: bool,
                      bookings: bool, count: int | None = None) -> set[int]:
    """The deals created (`pipeline`) or won (`bookings`) in [start, end) without fresh rows under `key`, given how
    many have them (each deal has one row at position 0, or -1 without touches): none to look for when that is
    all of them (`count`: period_deal_count, when the caller has it)."""
    if count is None:
        count = await period_deal_count(start, end, pipeline, bookings)
    if count == fresh:
        return set()
    rows = await rawsql.rows(f"""
        SELECT o.id FROM opportunity o
        WHERE {_either(pipeline, bookings, _DEAL_CREATED, _DEAL_WON)}
          AND NOT EXISTS (SELECT 1 FROM deal_credit c WHERE c.opportunity_id = o.id AND c.model_key = :key
                          AND c.horizon <= :now)""", start=start, end=end, key=key, now=now)
    return {r[0] for r in rows}


async def team_pipeline(start: datetime, end: datetime, now: datetime, *,
                        bookings: bool = True) -> tuple[dict[int, list[int]], set[int]]:
    """({team: [sourced pipeline, sourced bookings, influenced pipeline, influenced bookings] in cents}, the ids of
    the deals computed live) from the default model's fresh rows: sourced by the team of position 0, influenced by
    every team with a touch at or before OC, in full (its first such row is marked `influencing`). Without
    `bookings` only the deals created in the period are read (both bookings figures 0). Only a deal's first row and
    its influencing rows count, so only those are read."""
    key = key_of(DEFAULT_MODEL)
    sourced = "position = 0 AND team_id IS NOT NULL"
    booked = f"CASE WHEN {_WON} THEN deal_amount_cents ELSE 0 END"
    deals = "SUM(CASE WHEN position <= 0 THEN 1 ELSE 0 END)"
    created = [f"SUM(CASE WHEN {sourced} THEN deal_amount_cents ELSE 0 END)",
               f"SUM(CASE WHEN {sourced} THEN {booked} ELSE 0 END)" if bookings else "0",
               "SUM(CASE WHEN influencing THEN deal_amount_cents ELSE 0 END)",
               f"SUM(CASE WHEN influencing THEN {booked} ELSE 0 END)" if bookings else "0"]
    won = ["0", f"SUM(CASE WHEN {sourced} THEN deal_amount_cents ELSE 0 END)", "0",
           "SUM(CASE WHEN influencing THEN deal_amount_cents ELSE 0 END)"]
    sql = _parts(True, bookings,
                 "FROM deal_credit WHERE model_key = :key AND horizon <= :now AND (position <= 0 OR influencing)",
                 created=f"team_id, {', '.join(created)}, {deals}", won=f"team_id, {', '.join(won)}, {deals}",
                 group="team_id")
    rows = await rawsql.rows(sql, start=start, end=end, key=key, now=now)
    teams: dict[int, list[int]] = {}
    fresh = 0
    for team_id, *cents, deal_rows in rows:
        fresh += int(deal_rows or 0)
        if team_id is not None:
            line = teams.setdefault(team_id, [0, 0, 0, 0])
            for k, c in enumerate(cents):
                line[k] += int(c or 0)
    return teams, await deals_without_fresh_rows(start, end, key, now, fresh, True, bookings)
