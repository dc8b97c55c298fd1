"""A period's credit per group under MARKOV or SHAPLEY from the stored credit rows: the default model's rows
(`deal_credit`, stored.py) hold every fresh deal's touches in journey order with their channel, team, person and
campaign, and the deal's amount and dates; the data-driven weights depend only on the touches' channels and the
period's effects, so the rows are re-weighed in Python instead of rebuilding every journey from the touchpoints.
Deals without fresh rows are computed live, as every stored report does; the figures are the live ones (a test
compares)."""
from __future__ import annotations

from domain import clock, rawsql
from domain.attribution import driven, rules, stored
from domain.attribution.credit import DEFAULT_MODEL

_COLUMN = {"TEAM": "team_id", "PERSON": "person_id", "CHANNEL": "channel", "CAMPAIGN": "campaign"}
_CREATED = "(created_at >= :start AND created_at < :end)"
_WON = "(won_at >= :start AND won_at < :end)"
UNATTRIBUTED = "UNATTRIBUTED"


async def credit_totals(period, choice, group_by) -> tuple[dict[str, list[int]], set[int]]:
    """({group key: [pipeline cents, bookings cents]}, ids of the deals without fresh rows, for the caller to weigh
    live) of the deals created or won in the period under `choice` (its effects resolved), each deal split to the
    cent over its touches (rules.split), UNATTRIBUTED without touches."""
    key = stored.model_key(DEFAULT_MODEL.model, DEFAULT_MODEL.half_life_days, None)
    column = _COLUMN[group_by.value]
    now = clock.now()
    rows = await rawsql.rows(f"""
        SELECT opportunity_id, position, channel, {column}, deal_amount_cents,
               CASE WHEN {_CREATED} THEN 1 ELSE 0 END, CASE WHEN {_WON} THEN 1 ELSE 0 END
        FROM deal_credit WHERE model_key = :key AND horizon <= :now AND ({_CREATED} OR {_WON})
        ORDER BY opportunity_id, position""", start=period.start, end=period.end, key=key, now=now)
    weights_of = driven.memoised_channels(choice.effects.by_channel)
    totals: dict[str, list[int]] = {}
    fresh = 0

    def book(deal) -> None:
        _, amount, in_pipeline, in_bookings, channels, groups = deal
        if not channels:
            parts = [(UNATTRIBUTED, amount)]
        else:
            parts = zip(groups, rules.split(amount, weights_of(tuple(channels))))
        for name, cents in parts:
            line = totals.setdefault(name, [0, 0])
            line[0] += cents if in_pipeline else 0
            line[1] += cents if in_bookings else 0

    deal = None
    for opportunity_id, position, channel, group, amount, created, won in rows:
        if deal is None or deal[0] != opportunity_id:
            if deal is not None:
                book(deal)
            fresh += 1
            deal = (opportunity_id, int(amount), bool(created), bool(won), [], [])
        if position >= 0:
            deal[4].append(channel)
            deal[5].append("NONE" if group is None else str(group))
    if deal is not None:
        book(deal)
    return totals, await stored.deals_without_fresh_rows(period.start, period.end, key, now, fresh, True, True)
