"""MARKOV (orders 1-3) and SHAPLEY stored for closed periods, as the position models are (docs/rules.md,
"Data-driven models: stored for closed periods").

A closed period (one whose end is past) has, per data-driven model (driven_state.KINDS), a DrivenPeriod row, its
channels' effects (DrivenEffect) and the credit rows of the deals created or won in it (DealCredit under
driven_state.driven_key), weighed by that period's chain: reports sum those rows in SQL (stored.credit_totals) as
for the position models. An open period (the current quarter) is trained on a moving set of journeys and stays
live (training.py, driven_totals.py).

Computing a period (refresh_period) reads its training journeys in one statement, solves its chains and Shapley
values once, and re-weighs the default model's stored rows of its deals (every touch in journey order with its
channel, team, person and campaign) by each model's effects, each deal split to the cent by rules.split (largest
remainder), in one transaction with the lead writers' lock.

Fresh: a changed deal's own rows are rewritten with the period's stored effects in the changing transaction
(stored.refresh_deals); a change to the period's training inputs marks the period stale in that transaction
(driven_state.mark_stale), and a stale period is recomputed by the import once it has committed, or else by the
first read that finds it stale, before it answers: a stale figure is never served."""
from __future__ import annotations

from datetime import datetime

from domain import bulk, clock, config, rawsql
from domain.attribution import driven, markov, rollups, rules, shapley, stored, training
from domain.attribution.credit import DEFAULT_MODEL
from domain.attribution.driven_state import KINDS, driven_key, stored_effects
from domain.attribution.models import DealCredit, DrivenEffect, DrivenPeriod, Opportunity
from domain.bulk import utc
from domain.locks import bulk_lead_transaction
from domain.org.rules import period_bounds, quarter_of
from domain.org.service import get_period

_FINGERPRINT = """
    SELECT count(*), sum(amount_cents), sum(id), sum(CASE WHEN status = 'WON' THEN id ELSE 0 END)
    FROM opportunity WHERE closed_at >= :start AND closed_at < :end AND status IN ('WON', 'LOST')"""

_DEFAULT_ROWS = """
    SELECT opportunity_id, position, touchpoint_id, at, team_id, person_id, channel, campaign, deal_amount_cents,
           created_at, won_at, horizon, influencing
    FROM deal_credit
    WHERE model_key = :key AND ((created_at >= :start AND created_at < :end) OR (won_at >= :start AND won_at < :end))
    ORDER BY opportunity_id, position"""


def is_stored_period(period, now: datetime | None = None) -> bool:
    """Whether a period's data-driven models are stored: its end is past (its journeys are all in)."""
    return utc(period.end) <= utc(clock.now() if now is None else now)


async def _fingerprint(start: datetime, end: datetime) -> tuple[int, int, int, int]:
    (count, cents, ids, won), = await rawsql.rows(_FINGERPRINT, start=start, end=end)
    return int(count or 0), int(cents or 0), int(ids or 0), int(won or 0)


def _as_trained(row: DrivenPeriod) -> tuple[int, int, int, int]:
    return row.closed_deals, row.closed_cents, row.closed_ids, row.won_ids


async def fresh_key(period, model: rules.Model, order: int = 1) -> str | None:
    """The model key of a closed period's stored rows under `model`, recomputed first when stale; None for an open
    period, or when the model cannot be stored for it (SHAPLEY above its channel limit: computed live, refused)."""
    if not is_stored_period(period):
        return None
    key = driven_key(model, order, period.key)
    row = await DrivenPeriod.get_or_none(model_key=key)
    if row is None or row.stale or _as_trained(row) != await _fingerprint(period.start, period.end):
        await refresh_period(period)
        if not await DrivenPeriod.exists(model_key=key):
            return None
    return key


async def period_effects(period, model: rules.Model, order: int = 1) -> training.Effects:
    """The period's per-channel effects: stored for a closed period (fresh_key), else trained live."""
    key = await fresh_key(period, model, order)
    if key is None:
        return await training.period_effects(period, model, order)
    return training.Effects(rules.Model(model), order, await stored_effects(key), key)


def _figures(journeys, model: rules.Model, order: int) -> list[tuple] | None:
    """[(channel, effect, removal effect, share, value share, journeys)] of a period's model, or None (SHAPLEY over
    its channel limit)."""
    if model is rules.Model.MARKOV:
        return [(d.channel, driven.as_effect(d.effect), d.removal_effect, d.share, d.value_share, d.journeys)
                for d in markov.chain(journeys, order).drivers]
    try:
        values = shapley.shapley_values(journeys)
    except shapley.TooManyChannels:
        return None
    appears: dict[str, int] = {}
    for j in journeys:
        for c in set(j.channels):
            appears[c] = appears.get(c, 0) + 1
    total = sum(values.values())
    return [(c, driven.as_effect(v), float(v), float(v / total) if total else 0.0,
             float(v / total) if total else 0.0, appears.get(c, 0)) for c, v in sorted(values.items())]


async def _default_rows(period) -> list[tuple[tuple, list[tuple]]]:
    """[(deal facts, [touch rows])] of the deals created or won in the period, from the default model's rows."""
    deals: list[tuple[tuple, list[tuple]]] = []
    current = None
    for (oid, position, touch, at, team, person, channel, campaign, amount, created, won, horizon,
         influencing) in await rawsql.rows(_DEFAULT_ROWS, key=stored.key_of(DEFAULT_MODEL), start=period.start,
                                           end=period.end):
        if oid != current:
            current = oid
            deals.append(((oid, int(amount), created, won, horizon), []))
        deals[-1][1].append((position, touch, at, team, person, channel, campaign, influencing))
    return deals


def _credit_rows(key: str, effects, deals) -> list[tuple]:
    """The stored rows (stored.CREDIT_COLUMNS) of the deals under a model's effects: each deal's touches weighed
    (driven.channel_weights) and split to the cent (rules.split); a deal without touches is its one UNATTRIBUTED
    row."""
    weights_of = driven.memoised_channels(effects)
    out = []
    for (oid, amount, created, won, horizon), touches in deals:
        if touches[0][0] < 0:
            out.append((oid, key, -1, None, None, None, None, None, None, "1", amount, amount, created, won, horizon,
                        False))
            continue
        weights = weights_of(tuple(t[5] for t in touches))
        for (position, touch, at, team, person, channel, campaign, influencing), weight, cents in zip(
                touches, weights, rules.split(amount, weights)):
            out.append((oid, key, position, touch, at, team, person, channel, campaign, str(weight), cents, amount,
                        created, won, horizon, bool(influencing)))
    return out


async def refresh_period(period) -> list[str]:
    """Compute and store every data-driven model of a closed period (module docstring), unless another writer
    did it meanwhile. Returns the keys written."""
    async with bulk_lead_transaction(what="A data-driven model's refresh"):
        trained = await _fingerprint(period.start, period.end)
        rows = await DrivenPeriod.filter(period_key=period.key).all()
        if len(rows) == len(KINDS) and not any(r.stale or _as_trained(r) != trained for r in rows):
            return []
        now = clock.now()
        (touch_max, event_max), = await rawsql.rows(
            "SELECT (SELECT max(id) FROM touchpoint), (SELECT max(id) FROM lead_event)")
        journeys = [j for j in await training.training_journeys(period.start, period.end, now) if j.channels]
        deals = await _default_rows(period)
        db = bulk.db_of()
        keys = [driven_key(m, o, period.key) for m, o in KINDS]
        await DrivenPeriod.filter(period_key=period.key).delete()
        await DrivenEffect.filter(model_key__in=keys).delete()
        await rollups.clear(keys)
        await DealCredit.filter(model_key__in=keys).delete()
        written = []
        for (model, order), key in zip(KINDS, keys):
            figures = _figures(journeys, model, order)
            if figures is None:
                continue
            await DrivenEffect.bulk_create([
                DrivenEffect(model_key=key, channel=c, effect=str(e), removal_effect=r, share=s, value_share=v,
                             journeys=n) for c, e, r, s, v, n in figures])
            await bulk.insert(db, "deal_credit", stored.CREDIT_COLUMNS,
                              _credit_rows(key, {c: e for c, e, *_ in figures}, deals))
            count, cents, ids, won = trained
            await DrivenPeriod.create(model_key=key, period_key=period.key, model=model.value, markov_order=order,
                                      start=period.start, end=period.end, stale=False, closed_deals=count,
                                      closed_cents=cents, closed_ids=ids, won_ids=won, journeys=len(journeys),
                                      touch_max_id=int(touch_max or 0), event_max_id=int(event_max or 0),
                                      computed_at=now)
            written.append(key)
        await rollups.summed(written)
        return written


async def refresh_stale() -> list[str]:
    """Recompute every stale stored period (after a change committed: the import calls it). Returns the keys."""
    written = []
    for key in sorted(set(await DrivenPeriod.filter(stale=True).values_list("period_key", flat=True))):
        written += await refresh_period(await get_period(key))
    return written


async def backfill(progress=None) -> list[str]:
    """Store every closed quarter holding a deal's creation or close that is not stored yet (or stale): `migrate`
    runs it. One look-up a quarter on a database that has them. Returns the keys written."""
    first = await Opportunity.all().order_by("created_at").limit(1).values_list("created_at", flat=True)
    if not first:
        return []
    cfg = config.current()
    quarter = quarter_of(utc(first[0]), cfg.fiscal_year_start_month, cfg.timezone)
    now = clock.now()
    written = []
    while True:
        _, end = period_bounds(quarter, cfg.fiscal_year_start_month, cfg.timezone)
        if end > now:
            return written
        written += await refresh_period(await get_period(quarter.key))
        if progress is not None:
            progress(quarter.key)
        quarter = quarter.next()
