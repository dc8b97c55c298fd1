"""Stored credit rows (DealCredit): each deal's credit per touch under the default model and under every active
model of record, kept current in the transaction that changes their inputs, so that reports sum rows in SQL
instead of rebuilding journeys.

A deal's rows are worked out as of the end of time (every touch up to the close, or all of them while open) and
carry the deal's `horizon`: the latest moment among its inputs (touches used, MQL, creation, close). As of any
`now` at or after the horizon the live journey is the same journey, so the rows hold; a deal whose horizon is
still ahead (a future-dated touch or close), or that has no rows for the model (TIME_DECAY while open, whose
weights move with the clock, or a model nobody stored), is computed live by the caller, with the same rules.
`rebuild_all()` recomputes every row from the raw ones (a test compares it with the kept-current rows)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from decimal import Decimal


from domain.attribution import rules
from domain import bulk, rawsql
from domain.bulk import utc
from domain.attribution.models import DealCredit, ModelOfRecord, Opportunity, OpportunityStatus, ProposalStatus

BATCH = 500
DEAL_CHUNK = 2000  # deals whose journeys are read at once
END_OF_TIME = datetime(9999, 12, 31, tzinfo=timezone.utc)
UTC = timezone.utc


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


def _key_of(choice) -> str:
    return model_key(choice.model, choice.half_life_days, choice.custom)


async def stored_choices() -> dict[str, object]:
    """{model key: ModelChoice} of the models kept stored: the default (W_SHAPED) and each active model of record."""
    from domain.attribution.queries import DEFAULT_MODEL, ModelChoice
    choices = {_key_of(DEFAULT_MODEL): DEFAULT_MODEL}
    for model, half_life, custom in await ModelOfRecord.filter(status=ProposalStatus.ACTIVE).values_list(
            "model", "half_life_days", "custom_weights"):
        weights = rules.CustomWeights(**{k: Decimal(str(v)) for k, v in custom.items()}) if custom else None
        choice = ModelChoice(rules.Model(model), Decimal(str(half_life)), weights)
        choices.setdefault(_key_of(choice), choice)
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


def credit_rows_of(deal, choices: dict[str, object]) -> list[tuple]:
    """The stored rows (tuples of CREDIT_COLUMNS) of one deal (its journey as of the end of time) under each of
    `choices`."""
    o, j = deal.opportunity, deal.journey
    won_at = utc(o.closed_at) if o.status is OpportunityStatus.WON else None
    horizon = utc(_horizon(o, j))
    created_at = utc(o.created_at)
    oc = rules.milestones(j)[rules.Milestone.OC] if j.touches else None
    from domain.attribution.queries import credit_rows  # the same split as every live report
    rows = []
    for key, choice in choices.items():
        if j.touches and rules.Model(choice.model) is rules.Model.TIME_DECAY and o.status is OpportunityStatus.OPEN:
            continue  # weighed against the clock while open: computed live
        influencers: set[int] = set()
        for position, row in enumerate(credit_rows([deal], choice, horizon)):
            touch = row.touch
            if touch is None:  # no touches: the whole amount on UNATTRIBUTED
                rows.append((o.id, key, -1, None, None, None, None, None, None, "1", row.cents, o.amount_cents,
                             created_at, won_at, horizon, False))
                continue
            # influencing: the team's first touch at or before OC (each influencing team once a deal)
            influencing = oc is not None and position <= oc and touch.team_id is not None \
                and touch.team_id not in influencers
            if influencing:
                influencers.add(touch.team_id)
            rows.append((o.id, key, position, touch.id, utc(touch.at), touch.team_id, touch.person_id, touch.channel,
                         touch.campaign, str(row.weight), row.cents, o.amount_cents, created_at, won_at, horizon,
                         influencing))
    return rows


async def refresh_deals(opportunity_ids: Iterable[int]) -> None:
    """Recompute the stored rows of these deals under every stored model (call in the changing transaction):
    per chunk of deals their journeys read at once, their rows deleted and written in bulk."""
    from domain.attribution.queries import _opportunities, _with_journeys
    ids = sorted(set(opportunity_ids))
    if not ids:
        return
    db = bulk.db_of()
    choices = await stored_choices()
    for chunk in bulk.chunks(ids, DEAL_CHUNK):
        deals = await _with_journeys(await _opportunities(Opportunity.filter(id__in=list(chunk))), None,
                                     as_of=END_OF_TIME)
        rows = [row for deal in deals for row in credit_rows_of(deal, choices)]
        await bulk.delete_where(db, "deal_credit", "opportunity_id", chunk)
        await bulk.insert(db, "deal_credit", CREDIT_COLUMNS, rows)


async def refresh_for_leads(lead_ids: Iterable[int]) -> None:
    """After a lead's touches or events (its MQL time) changed: its deals' rows."""
    ids = sorted(set(lead_ids))
    db = bulk.db_of()
    deal_ids: list[int] = []
    for chunk in bulk.chunks(ids):
        condition, params = bulk.ids_condition(db, "lead_id", chunk)
        deal_ids += [r[0] for r in await bulk.select(db, f'SELECT "id" FROM "opportunity" WHERE {condition}', params)]
    await refresh_deals(deal_ids)


async def refresh_model(choice) -> None:
    """After a model of record became active: every deal's rows under it (the others are unchanged)."""
    from domain.attribution.queries import _opportunities, _with_journeys
    key = _key_of(choice)
    await DealCredit.filter(model_key=key).delete()
    last = 0
    while True:
        batch = await _opportunities(Opportunity.filter(id__gt=last).order_by("id").limit(BATCH))
        if not batch:
            return
        last = batch[-1].id
        deals = await _with_journeys(batch, None, as_of=END_OF_TIME)
        await bulk.insert(bulk.db_of(), "deal_credit", CREDIT_COLUMNS,
                          [row for deal in deals for row in credit_rows_of(deal, {key: choice})])


async def models_changed() -> None:
    """After the active models of record changed: rows under each stored model (computed for a model that has none
    yet), none under a model no longer stored."""
    choices = await stored_choices()
    await DealCredit.exclude(model_key__in=list(choices)).delete()
    present = set(await DealCredit.all().distinct().values_list("model_key", flat=True))
    for key, choice in choices.items():
        if key not in present:
            await refresh_model(choice)


async def rebuild_all() -> None:
    """Every stored row recomputed from the raw rows."""
    await DealCredit.all().delete()
    ids = await Opportunity.all().order_by("id").values_list("id", flat=True)
    await refresh_deals(ids)


# --- reads ---------------------------------------------------------------------------------------

_GROUP_COLUMN = {"TEAM": "team_id", "PERSON": "person_id", "CHANNEL": "channel", "CAMPAIGN": "campaign"}


async def is_stored(choice) -> bool:
    return _key_of(choice) in await stored_choices()


_CREATED = "(created_at >= :start AND created_at < :end)"
_WON = "(won_at >= :start AND won_at < :end)"
_DEAL_CREATED = "(o.created_at >= :start AND o.created_at < :end)"
_DEAL_WON = "(o.status = 'WON' AND o.closed_at >= :start AND o.closed_at < :end)"


def _either(pipeline: bool, bookings: bool, created: str, won: str) -> str:
    """The condition of a period's rows: created in it (pipeline), won in it (bookings), or either."""
    if not (pipeline or bookings):
        raise ValueError("a period's credit needs its pipeline, its bookings or both")
    return f"({created} OR {won})" if pipeline and bookings else created if pipeline else won


def _side_sum(side: bool, other: bool, condition: str, amount: str) -> str:
    """The SQL sum of one side's amounts (0 when that side is not read); rows of the other side too are read only
    when both are."""
    if not side:
        return "0"
    return f"SUM(CASE WHEN {condition} THEN {amount} ELSE 0 END)" if other else f"SUM({amount})"


async def credit_totals(start: datetime, end: datetime, choice, group_by: str, now: datetime, *,
                        pipeline: bool = True, bookings: bool = True) -> tuple[dict[str, list[int]], set[int]]:
    """({group key: [pipeline cents, bookings cents]} from the fresh stored rows of the deals created or won in
    [start, end), UNATTRIBUTED for deals without touches; and the ids of the period's deals without fresh rows
    (the caller computes those live). Without `pipeline` only the deals won in the period are read (every pipeline
    figure 0), without `bookings` only those created in it (every bookings figure 0)."""
    key = _key_of(choice)
    column = _GROUP_COLUMN[group_by]
    rows = await rawsql.rows(f"""
        SELECT {column}, position < 0, {_side_sum(pipeline, bookings, _CREATED, "amount_cents")},
               {_side_sum(bookings, pipeline, _WON, "amount_cents")}, SUM(CASE WHEN position <= 0 THEN 1 ELSE 0 END)
        FROM deal_credit WHERE model_key = :key AND horizon <= :now AND {_either(pipeline, bookings, _CREATED, _WON)}
        GROUP BY 1, 2""", start=start, end=end, key=key, now=now)
    totals: dict[str, list[int]] = {}
    fresh = 0
    for group, unattributed, pipeline_cents, bookings_cents, deals in rows:
        name = "UNATTRIBUTED" if unattributed else ("NONE" if group is None else str(group))
        line = totals.setdefault(name, [0, 0])
        line[0] += int(pipeline_cents or 0)
        line[1] += int(bookings_cents or 0)
        fresh += int(deals or 0)
    return totals, await _live_deals(start, end, key, now, fresh, pipeline, bookings)


async def _live_deals(start: datetime, end: datetime, key: str, now: datetime, fresh: int, pipeline: bool,
                      bookings: bool) -> set[int]:
    """The deals created (`pipeline`) or won (`bookings`) in [start, end) without fresh rows under `key`, given how
    many have them (each deal has one row at position 0, or -1 without touches): none to look for when that is
    all of them."""
    if pipeline and bookings:  # created in the period, plus won in it but created at another time
        count_sql = f"""SELECT (SELECT count(*) FROM opportunity o WHERE {_DEAL_CREATED})
                             + (SELECT count(*) FROM opportunity o WHERE {_DEAL_WON} AND NOT {_DEAL_CREATED})"""
    else:
        count_sql = f"SELECT count(*) FROM opportunity o WHERE {_DEAL_CREATED if pipeline else _DEAL_WON}"
    (count,), = await rawsql.rows(count_sql, start=start, end=end)
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
    from domain.attribution.queries import DEFAULT_MODEL
    key = _key_of(DEFAULT_MODEL)
    pipeline = f"CASE WHEN {_CREATED} THEN deal_amount_cents ELSE 0 END" if bookings else "deal_amount_cents"
    booked = f"CASE WHEN {_WON} THEN deal_amount_cents ELSE 0 END"
    sourced = "position = 0 AND team_id IS NOT NULL"
    sums = [f"SUM(CASE WHEN {sourced} THEN {pipeline} ELSE 0 END)",
            f"SUM(CASE WHEN {sourced} THEN {booked} ELSE 0 END)" if bookings else "0",
            f"SUM(CASE WHEN influencing THEN {pipeline} ELSE 0 END)",
            f"SUM(CASE WHEN influencing THEN {booked} ELSE 0 END)" if bookings else "0"]
    rows = await rawsql.rows(f"""
        SELECT team_id, {", ".join(sums)}, SUM(CASE WHEN position <= 0 THEN 1 ELSE 0 END)
        FROM deal_credit WHERE model_key = :key AND horizon <= :now AND {_either(True, bookings, _CREATED, _WON)}
          AND (position <= 0 OR influencing)
        GROUP BY team_id""", start=start, end=end, key=key, now=now)
    teams: dict[int, list[int]] = {}
    fresh = 0
    for team_id, *cents, deals in rows:
        fresh += int(deals or 0)
        if team_id is not None:
            teams[team_id] = [int(c or 0) for c in cents]
    return teams, await _live_deals(start, end, key, now, fresh, True, bookings)
