"""The data-driven models' reads: a period's training journeys (one statement), its Markov chain and Shapley values,
and the per-channel effects a deal's touches are weighed by; cached for a closed period (its journeys are
fixed), computed live for an open one.

Training journeys of a period (docs/rules.md, "Data-driven models"):
- one per deal closed in the period (closed_at in [start, end), at or before now): its lead's touches at or before
  the close, in (time, id) order; converting when WON, with the amount as its value; not converting when LOST;
- one non-converting journey per lead DISQUALIFIED in the period (its first such stage event in the period, at or
  before now) that has no deal at all: its touches at or before that disqualification;
- a channel is the touchpoint's `channel` (the key of `attribution(groupBy: CHANNEL)`); a journey without touches
  (a deal without a lead) has no channel and trains nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain import clock, rawsql
from domain.attribution import driven, markov, rules, shapley
from domain.errors import invalid

# Touches after a journey's end are left out in the join (times compare as stored: timestamptz on PostgreSQL, UTC
# ISO text in one format on SQLite, whose order is the times' order, as every range read here relies on), so no
# time crosses into Python: at the reference scale a quarter is 30,000 journeys and 230,000 rows.
# "without a deal" is NOT IN a list read once (SQLite builds it as one ephemeral index, PostgreSQL as a hashed
# subplan): opportunity.lead_id has no index, so a correlated NOT EXISTS scanned the deals once per disqualified lead
# (0.95 s against 0.13 s for a quarter of the 100k dataset).
_JOURNEYS = """
    SELECT j.kind, j.jid, j.converted, j.value, t.channel
    FROM (SELECT 'D' AS kind, o.id AS jid, o.lead_id AS lead_id, o.closed_at AS until,
                 CASE WHEN o.status = 'WON' THEN 1 ELSE 0 END AS converted, o.amount_cents AS value
          FROM opportunity o
          WHERE o.status IN ('WON', 'LOST') AND o.closed_at >= :start AND o.closed_at < :end
            AND o.closed_at <= :now
          UNION ALL
          SELECT 'Q', e.lead_id, e.lead_id, MIN(e.at), 0, 0
          FROM lead_event e
          WHERE e.stage = 'DISQUALIFIED' AND e.type = 'STAGE' AND e.at >= :start AND e.at < :end AND e.at <= :now
            AND e.lead_id NOT IN (SELECT d.lead_id FROM opportunity d WHERE d.lead_id IS NOT NULL)
          GROUP BY e.lead_id) j
    LEFT JOIN touchpoint t ON t.lead_id = j.lead_id AND t.at <= j.until
    ORDER BY j.kind, j.jid, t.at, t.id"""


async def training_journeys(start: datetime, end: datetime, now: datetime | None = None
                            ) -> list[markov.TrainingJourney]:
    """The period's training journeys (module docstring), in one statement."""
    now = clock.now() if now is None else now
    out: list[markov.TrainingJourney] = []
    current, channels, meta = None, [], None
    for kind, jid, converted, value, channel in await rawsql.rows(_JOURNEYS, start=start, end=end, now=now):
        if (kind, jid) != current:
            if current is not None:
                out.append(markov.TrainingJourney(tuple(channels), bool(meta[0]), int(meta[1] or 0)))
            current, channels, meta = (kind, jid), [], (converted, value)
        if channel is not None:
            channels.append(channel)
    if current is not None:
        out.append(markov.TrainingJourney(tuple(channels), bool(meta[0]), int(meta[1] or 0)))
    return out


# --- a closed period's results, kept per process --------------------------------------------------------------

_cache: dict[tuple, object] = {}
_CACHE_SIZE = 256


async def _fingerprint(period) -> tuple | None:
    """What a closed period's cached results are valid for: its close, its closed deals (count, amounts, ids) and
    the newest touch and event (both are facts, only ever added). None for an open period (computed live)."""
    if getattr(period, "closed_at", None) is None or getattr(period.status, "value", period.status) != "CLOSED":
        return None
    (deals, amount, last_deal), = await rawsql.rows(
        "SELECT count(*), sum(amount_cents), max(id) FROM opportunity WHERE closed_at >= :start AND closed_at < :end",
        start=period.start, end=period.end)
    (touch, event), = await rawsql.rows(
        "SELECT (SELECT max(id) FROM touchpoint), (SELECT max(id) FROM lead_event)")
    return (period.key, period.start, period.closed_at, deals, int(amount or 0), last_deal, touch, event)


def forget() -> None:
    """Every cached result dropped (tests that restore a database snapshot: their touch and event ids come again,
    so a fingerprint can match another state of the data)."""
    _cache.clear()


async def _cached(period, what: tuple, compute):
    stamp = await _fingerprint(period)
    if stamp is None:
        return await compute()
    key = (stamp, what)
    if key in _cache:
        return _cache[key]
    found = await compute()
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[key] = found
    return found


async def period_journeys(period) -> list[markov.TrainingJourney]:
    return await _cached(period, ("journeys",), lambda: training_journeys(period.start, period.end))


async def period_chain(period, order: int = 1) -> markov.Chain:
    """The period's Markov chain of `order` (INVALID on `markovOrder` outside 1-3)."""
    problem = markov.order_problem(order)
    if problem:
        raise invalid(problem, "markovOrder")

    async def compute():
        return markov.chain(await period_journeys(period), order)
    return await _cached(period, ("markov", order), compute)


async def period_shapley(period) -> dict:
    """The period's exact Shapley values; INVALID (naming the count) above 12 channels."""
    async def compute():
        try:
            return shapley.shapley_values(await period_journeys(period))
        except shapley.TooManyChannels as e:
            raise invalid(str(e), "model") from None
    return await _cached(period, ("shapley",), compute)


@dataclass(frozen=True)
class Effects:
    """A period's per-channel effects under one data-driven model: what driven.weights weighs touches by."""
    model: rules.Model
    order: int
    by_channel: Mapping[str, Decimal]
    stored_key: str | None = None   # the DealCredit model key of a closed period's stored rows (driven_store.py)


async def period_effects(period, model: rules.Model, order: int = 1) -> Effects:
    model = rules.Model(model)
    if model is rules.Model.MARKOV:
        effects = {c: driven.as_effect(e) for c, e in (await period_chain(period, order)).effects().items()}
    elif model is rules.Model.SHAPLEY:
        effects = {c: driven.as_effect(v) for c, v in (await period_shapley(period)).items()}
    else:
        raise ValueError(f"{model.value} is not a data-driven model")
    return Effects(model, order, effects)
