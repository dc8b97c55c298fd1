"""Per-day rollups of the stored credit rows (`credit_rollup`): each model's rows (`deal_credit`, stored.py) summed
per UTC day, figure and group, so that a period's credit is a sum of a few hundred rollup rows instead of a few
hundred thousand credit rows.

A rollup row is (model_key, kind, figure, day, group_key) -> cents, deals, horizon:
- figure P sums a deal's rows on the UTC day it was created (pipeline), B on the day it was won (bookings);
- kind TEAM, PERSON, CHANNEL or CAMPAIGN: each row's credit (`amount_cents`) by that column (UNATTRIBUTED for a
  deal without touches, NONE for no value), as stored.credit_totals groups it; SOURCED: each deal's whole amount
  on the team of its first touch (NONE without one); INFLUENCED: each deal's whole amount on every team marked
  `influencing`, as stored.team_pipeline sums them;
- `deals` counts the deals whose first row (position 0, or -1 without touches) is in the bucket (so a reader can
  tell whether every deal of its days has rows); `horizon` is the latest horizon of the rows ever summed into it.

Days compose into any period: a fiscal quarter whose bounds are UTC midnights is whole days; in another zone the
reader takes the whole UTC days from here and the hours at each end from the rows (stored.credit_totals). Kept
current in the transaction that writes the rows, generic over model_key (whatever model stored.py stores):
`leaving(ids)` before a deal's rows are deleted subtracts them, `entering(ids)` after they are written adds them
(on SQLite stored.refresh_deals adds `row_sums` of the rows it has just written instead: `add_sums`),
`clear(keys)` / `summed(keys)` around a model's rows rewritten, `backfill()` for a database whose rows predate
the rollups. Freshness: a day whose `horizon` is after `now` holds rows that may not count yet; the reader takes
that day from the rows (which filter `horizon <= now` row by row). A deal's rows leaving never lower a bucket's
horizon (only a rebuild does): at worst a day is read from the rows until the clock passes it.

Pending deals: a large import (`deferring()`, DEFER_AT deals or more) writes its deals' rows and marks the deals
pending (credit_rollup_pending) instead of summing them in its transaction; stored.fold_pending adds their sums
once it has committed. The rollups always hold the sums of the rows of every deal that is not pending (so
`leaving` is only for deals that are not, and `summed` leaves the pending ones out), and a reader takes the days
of pending deals from the rows (`pending_days`): the figures are the same before and after the fold."""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from domain import bulk, rawsql

CREDIT_KINDS = {"TEAM": "team_id", "PERSON": "person_id", "CHANNEL": "channel", "CAMPAIGN": "campaign"}
TEAM_KINDS = ("SOURCED", "INFLUENCED")
FIGURES = {"P": "created_at", "B": "won_at"}
_FIRST_ROW = "CASE WHEN position <= 0 THEN 1 ELSE 0 END"
# The stored data-driven rows (MARKOV:<order>@<period>, SHAPLEY@<period>: driven_store.py, one period's deals each)
# roll up like the others; they are not models of record, so keep_only leaves them (driven_store rewrites them).
_DRIVEN = "model_key LIKE '%@%'"


def _kinds() -> list[tuple[str, str, str, str, str]]:
    """(kind, group key, cents, deals, condition) of each rollup kind, as SQL over deal_credit."""
    kinds = [(kind, f"CASE WHEN position < 0 THEN 'UNATTRIBUTED' WHEN {column} IS NULL THEN 'NONE' "
                    f"ELSE CAST({column} AS TEXT) END", "amount_cents", _FIRST_ROW, "")
             for kind, column in CREDIT_KINDS.items()]
    kinds.append(("SOURCED", "CASE WHEN position = 0 AND team_id IS NOT NULL THEN CAST(team_id AS TEXT) ELSE 'NONE' END",
                  "deal_amount_cents", "1", " AND position <= 0"))
    kinds.append(("INFLUENCED", "CAST(team_id AS TEXT)", "deal_amount_cents", "0", " AND influencing"))
    return kinds


def _upsert_sql(sign: int, where: str) -> str:
    """Add (sign 1) or take away (sign -1) the sums of the deal_credit rows matching `where` to their buckets."""
    parts = []
    for figure, column in FIGURES.items():
        dated = "" if figure == "P" else " AND won_at IS NOT NULL"
        for kind, key, cents, deals, condition in _kinds():
            parts.append(
                f"SELECT model_key AS model_key, '{kind}' AS kind, '{figure}' AS figure, "
                f"{rawsql.time_bucket(column, 'DAY')} AS day, {key} AS group_key, {sign} * SUM({cents}) AS cents, "
                f"{sign} * SUM({deals}) AS deals, MAX(horizon) AS horizon "
                f"FROM deal_credit WHERE ({where}){dated}{condition} GROUP BY 1, 4, 5")
    return ("INSERT INTO credit_rollup (model_key, kind, figure, day, group_key, cents, deals, horizon) "
            # in the unique index's order (model_key, kind, day, figure, group_key), as add_sums writes them:
            # concurrent writers lock the rows they share in the same order (no deadlock)
            "SELECT * FROM (" + " UNION ALL ".join(parts) + ") AS delta WHERE true ORDER BY 1, 2, 4, 3, 5 "
            "ON CONFLICT (model_key, kind, day, figure, group_key) DO UPDATE SET "
            "cents = credit_rollup.cents + excluded.cents, deals = credit_rollup.deals + excluded.deals, "
            "horizon = CASE WHEN excluded.horizon > credit_rollup.horizon THEN excluded.horizon "
            "ELSE credit_rollup.horizon END")


async def _apply(sign: int, where: str, params: list) -> None:
    await bulk.db_of().execute_query(_upsert_sql(sign, where), params)


async def _apply_to_deals(sign: int, opportunity_ids: Iterable[int]) -> None:
    db = bulk.db_of()
    for chunk in bulk.chunks(sorted(set(opportunity_ids))):
        condition, params = bulk.ids_condition(db, "opportunity_id", chunk)
        await _apply(sign, condition, params)


Bucket = tuple[str, str, str, str, str]  # (model_key, kind, day, figure, group_key): the unique index's order


def row_sums(rows: Iterable[tuple], columns: Sequence[str],
             into: dict[Bucket, list] | None = None) -> dict[Bucket, list]:
    """What `_upsert_sql(1, ...)` adds for these deal_credit rows (tuples of `columns`, as written), summed in
    Python from the rows in hand instead of read back: {(model_key, kind, day, figure, group_key): [cents, deals,
    horizon]} (a bucket in the order of the table's unique index), added to `into` when given. The same buckets and
    sums as the SQL (a test compares them with a rebuild): the day is the stored time's UTC date (SQLite's text cut
    to 10 characters, PostgreSQL's timestamptz in UTC), a group key its column as text, UNATTRIBUTED for a deal
    without touches (position -1), NONE for no value. Written out: it runs a few times a credit row."""
    out = {} if into is None else into
    get = out.get
    at = {c: i for i, c in enumerate(columns)}
    i_key, i_pos, i_team, i_person, i_channel, i_campaign = (at["model_key"], at["position"], at["team_id"],
                                                             at["person_id"], at["channel"], at["campaign"])
    i_cents, i_deal, i_created, i_won, i_horizon, i_influencing = (at["amount_cents"], at["deal_amount_cents"],
                                                                   at["created_at"], at["won_at"], at["horizon"],
                                                                   at["influencing"])
    days: dict = {}
    texts: dict = {None: "NONE"}
    unattributed = (("TEAM", "UNATTRIBUTED"), ("PERSON", "UNATTRIBUTED"), ("CHANNEL", "UNATTRIBUTED"),
                    ("CAMPAIGN", "UNATTRIBUTED"))
    for row in rows:
        key, position, cents, deal_cents, horizon = row[i_key], row[i_pos], row[i_cents], row[i_deal], row[i_horizon]
        team = row[i_team]
        first = 1 if position <= 0 else 0
        if position < 0:
            groups = unattributed
        else:
            names = []
            for value in (team, row[i_person], row[i_channel], row[i_campaign]):
                name = texts.get(value)
                if name is None:
                    name = texts[value] = str(value)
                names.append(name)
            groups = (("TEAM", names[0]), ("PERSON", names[1]), ("CHANNEL", names[2]), ("CAMPAIGN", names[3]))
        sourced = (str(team) if position == 0 and team is not None else "NONE") if position <= 0 else None
        influenced = str(team) if row[i_influencing] else None
        # each bucket this row adds to, with what it adds: its cents and first-touch count to its groups, the deal's
        # cents and count to the team that sourced it and to one it influenced
        adds = [(kind, group, cents, first) for kind, group in groups]
        if sourced is not None:
            adds.append(("SOURCED", sourced, deal_cents, 1))
        if influenced is not None:
            adds.append(("INFLUENCED", influenced, deal_cents, 0))
        for figure, moment in (("P", row[i_created]), ("B", row[i_won])):
            if moment is None:
                continue
            day = days.get(moment)
            if day is None:
                day = days[moment] = moment[:10] if isinstance(moment, str) else moment.isoformat()[:10]
            for kind, group, amount, deals in adds:
                bucket = (key, kind, day, figure, group)
                found = get(bucket)
                if found is None:
                    out[bucket] = [amount, deals, horizon]
                else:
                    found[0] += amount
                    found[1] += deals
                    if horizon > found[2]:
                        found[2] = horizon
    return out


_ADD_SUMS = ("INSERT INTO credit_rollup (model_key, kind, figure, day, group_key, cents, deals, horizon) {values} "
             "ON CONFLICT (model_key, kind, day, figure, group_key) DO UPDATE SET "
             "cents = credit_rollup.cents + excluded.cents, deals = credit_rollup.deals + excluded.deals, "
             "horizon = CASE WHEN excluded.horizon > credit_rollup.horizon THEN excluded.horizon "
             "ELSE credit_rollup.horizon END")


async def add_sums(sums: dict[Bucket, list]) -> None:
    """row_sums' buckets added to the rollups, in the order of the unique index (as _upsert_sql writes them:
    concurrent writers lock the rows they share in the same order; and on SQLite half the time of a shuffled
    order, measured on 168k buckets)."""
    if not sums:
        return
    # sorted as one text a bucket (its parts joined by NUL, which sorts first: the same order as the tuples'),
    # five times faster than comparing the tuples
    rows = [(m, kind, figure, day, group, *sums[(m, kind, day, figure, group)])
            for m, kind, day, figure, group in sorted(sums, key="\x00".join)]
    db = bulk.db_of()
    if bulk.dialect_of(db) == "sqlite":
        await bulk.sqlite_values(db, _ADD_SUMS.format(values="VALUES {values}"), rows)
        return
    columns = list(zip(*rows))
    await db.execute_query(_ADD_SUMS.format(values=(
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[], "
        "$8::timestamptz[]) WHERE true")), [list(c) for c in columns])


async def leaving(opportunity_ids: Iterable[int]) -> None:
    """Before these deals' stored rows are deleted (in the same transaction): their sums taken out (deals that are
    not pending: a pending deal's sums are not in)."""
    await _apply_to_deals(-1, opportunity_ids)


async def entering(opportunity_ids: Iterable[int]) -> None:
    """After these deals' stored rows are written (in the same transaction): their sums added."""
    await _apply_to_deals(1, opportunity_ids)


def _keys_condition(keys: Sequence[str]) -> tuple[str, list]:
    if bulk.dialect_of(bulk.db_of()) == "sqlite":
        # numbered: the condition is repeated in every part of the statement
        return "model_key IN (" + ", ".join(f"?{i}" for i in range(1, len(keys) + 1)) + ")", list(keys)
    return "model_key = ANY($1::text[])", [list(keys)]


async def clear(keys: Sequence[str] | None = None) -> None:
    """The rollups of these models (all of them without `keys`) deleted: before their rows are rewritten."""
    if keys is None:
        await bulk.db_of().execute_query("DELETE FROM credit_rollup", [])
    elif keys:
        condition, params = _keys_condition(list(keys))
        await bulk.db_of().execute_query(f"DELETE FROM credit_rollup WHERE {condition}", params)


async def keep_only(keys: Sequence[str]) -> None:
    """The rollups of every model but these (and the stored data-driven ones) deleted (their rows were)."""
    condition, params = _keys_condition(list(keys) or [""])
    await bulk.db_of().execute_query(f"DELETE FROM credit_rollup WHERE NOT ({condition} OR {_DRIVEN})", params)


async def summed(keys: Sequence[str]) -> None:
    """These models' rollups written from their rows (after clear(keys) and the rows rewritten), but the rows of
    pending deals (their sums are fold_pending's)."""
    if keys:
        condition, params = _keys_condition(list(keys))
        await _apply(1, f"{condition} AND {_NOT_PENDING}", params)


async def rebuild() -> None:
    """Every rollup recomputed from the stored rows (a pending deal's included: none is pending after it)."""
    await clear()
    await _apply(1, "true", [])
    await bulk.db_of().execute_query(f"DELETE FROM {PENDING}", [])


# --- pending deals ---------------------------------------------------------------------------------

DEFER_AT = 500  # deals refreshed at once in a deferring() block from which their sums wait for fold_pending
PENDING = "credit_rollup_pending"
_NOT_PENDING = f"opportunity_id NOT IN (SELECT opportunity_id FROM {PENDING})"


IN_HAND_ROWS = 500_000  # credit rows a deferring block keeps for the fold (SQLite), about 100 MB at most


@dataclass
class Deferral:
    """What a deferring() block left pending: how many deals (0: nothing to fold); on SQLite also the rows it wrote
    for them (`rows`, while they number at most IN_HAND_ROWS, else None) and the highest deal_credit id once they
    were written: the fold sums the rows in hand of each deal whose stored rows are still those (stored.fold_pending:
    as many, none written since; a deal written twice in the block has more rows in hand than stored, so the
    database sums it) instead of reading them again."""
    deals: int = 0
    rows: list[tuple] | None = field(default_factory=list)
    written_up_to: int = 0

    def keep(self, rows: list[tuple], written_up_to: int) -> None:
        self.written_up_to = max(self.written_up_to, written_up_to)
        if self.rows is not None and len(self.rows) + len(rows) > IN_HAND_ROWS:
            self.rows = None
        if self.rows is not None:
            self.rows.extend(rows)


_deferral: ContextVar[Deferral | None] = ContextVar("rollup_deferral", default=None)


@contextlib.contextmanager
def deferring() -> Iterator[Deferral]:
    """Within the block (an import's transaction), a refresh of DEFER_AT deals or more marks them pending instead
    of summing their rows into the rollups; the caller folds them once it has committed (stored.fold_later)."""
    deferral = Deferral()
    token = _deferral.set(deferral)
    try:
        yield deferral
    finally:
        _deferral.reset(token)


def defers(deals: int) -> bool:
    """Whether a refresh of this many deals leaves their sums pending (inside a deferring() block)."""
    return _deferral.get() is not None and deals >= DEFER_AT


async def pending_among(opportunity_ids: Sequence[int]) -> set[int]:
    """Which of these deals are pending."""
    db = bulk.db_of()
    found: set[int] = set()
    for chunk in bulk.chunks(sorted(set(opportunity_ids))):
        condition, params = bulk.ids_condition(db, "opportunity_id", chunk)
        found |= {int(r[0]) for r in await bulk.select(db, f"SELECT opportunity_id FROM {PENDING} WHERE {condition}",
                                                       params)}
    return found


async def mark_pending(opportunity_ids: Sequence[int], rows: list[tuple] | None = None) -> None:
    """These deals' rows are written but not summed: pending until fold_pending. `rows`: the rows just written for
    them (SQLite), kept for the fold by the deferring() block (Deferral)."""
    ids = sorted(set(opportunity_ids))
    if not ids:
        return
    db = bulk.db_of()
    deferral = _deferral.get()
    if deferral is not None and rows is not None:
        (written_up_to,), = await bulk.select(db, 'SELECT MAX("id") FROM "deal_credit"')
        deferral.keep(rows, int(written_up_to or 0))
    if bulk.dialect_of(db) == "sqlite":
        await bulk.sqlite_values(db, f"INSERT INTO {PENDING} (opportunity_id) VALUES {{values}} "
                                     "ON CONFLICT (opportunity_id) DO NOTHING", [(i,) for i in ids])
    else:
        await db.execute_query(f"INSERT INTO {PENDING} (opportunity_id) SELECT unnest($1::bigint[]) "
                               "ON CONFLICT (opportunity_id) DO NOTHING", [ids])
    if deferral is not None:
        deferral.deals += len(ids)


async def unmark_pending(opportunity_ids: Sequence[int]) -> None:
    """These deals' sums are in the rollups now."""
    await bulk.delete_where(bulk.db_of(), PENDING, "opportunity_id", sorted(set(opportunity_ids)))


async def pending_batch(limit: int) -> list[int]:
    """Up to `limit` pending deals, lowest ids first."""
    rows = await bulk.select(bulk.db_of(), f"SELECT opportunity_id FROM {PENDING} ORDER BY opportunity_id "
                                           f"LIMIT {int(limit)}")
    return [int(r[0]) for r in rows]


async def pending_days(first_day: str, last_day: str) -> set[str]:
    """The UTC days in [first_day, last_day) (YYYY-MM-DD) holding a pending deal's rows: the day it was created
    (its pipeline) and, when won, the day it was won (its bookings). One statement; none pending, no day."""
    created, closed = rawsql.time_bucket("o.created_at", "DAY"), rawsql.time_bucket("o.closed_at", "DAY")
    rows = await rawsql.rows(
        f"SELECT {created} FROM {PENDING} p JOIN opportunity o ON o.id = p.opportunity_id "
        f"UNION SELECT {closed} FROM {PENDING} p JOIN opportunity o ON o.id = p.opportunity_id "
        "WHERE o.status = 'WON' AND o.closed_at IS NOT NULL")
    return {r[0] for r in rows if r[0] is not None and first_day <= r[0] < last_day}


_DISTINCT_KEYS = """
WITH RECURSIVE k(v) AS (SELECT min(model_key) FROM {table}
                        UNION ALL SELECT (SELECT min(model_key) FROM {table} WHERE model_key > k.v) FROM k
                        WHERE k.v IS NOT NULL)
SELECT v FROM k WHERE v IS NOT NULL"""


async def _model_keys(table: str) -> set[str]:
    """The model keys with rows in `table`, one index step a key (a skip scan of its model_key index)."""
    return {r[0] for r in await rawsql.rows(_DISTINCT_KEYS.format(table=table))}


async def backfill() -> list[str]:
    """The rollups of every model that has stored rows and no rollups yet (a database written before the rollups:
    `migrate` runs this), none of a model without rows. Returns the keys summed."""
    with_rows = await _model_keys("deal_credit")
    rolled = await _model_keys("credit_rollup")
    await clear(sorted(rolled - with_rows))
    missing = sorted(with_rows - rolled)
    await summed(missing)
    return missing


# --- reads ---------------------------------------------------------------------------------------

async def stale_days(keys: Sequence[str], kind: str, first_day: str, last_day: str, now: datetime) -> set[str]:
    """The days in [first_day, last_day) (YYYY-MM-DD) whose rollups of any of `keys` hold rows with a horizon
    after `now`: the reader takes those days from the rows."""
    names = {f"k{i}": k for i, k in enumerate(keys)}
    rows = await rawsql.rows(
        f"SELECT DISTINCT day FROM credit_rollup WHERE model_key IN ({', '.join(':' + n for n in names)}) "
        "AND kind = :kind AND day >= :first AND day < :last AND horizon > :now",
        **names, kind=kind, first=first_day, last=last_day, now=now)
    return {r[0] for r in rows}


async def sums(keys: Sequence[str], kinds: Sequence[str], first_day: str, last_day: str, figures: Sequence[str],
               skip_days: Sequence[str] = ()) -> tuple[dict[tuple[str, str, str, str], int], dict[tuple[str, str], int],
                                                       datetime | None]:
    """({(model key, kind, figure, group key): cents} over the days [first_day, last_day) but `skip_days`, zero
    sums left out; {(model key, figure): deals}, counted in the first of `kinds`; the latest horizon summed), for
    several models at once."""
    if not keys or not kinds or not figures:
        return {}, {}, None
    names = {f"k{i}": k for i, k in enumerate(keys)}
    kind_list = ", ".join(f"'{k}'" for k in kinds if k in CREDIT_KINDS or k in TEAM_KINDS)
    figure_list = ", ".join(f"'{f}'" for f in figures if f in FIGURES)
    skip = ""
    if skip_days:
        skip = " AND day NOT IN (" + ", ".join(f"'{d}'" for d in skip_days if _is_day(d)) + ")"
    rows = await rawsql.rows(
        f"SELECT model_key, kind, figure, group_key, SUM(cents), SUM(deals), MAX(horizon) FROM credit_rollup "
        f"WHERE model_key IN ({', '.join(':' + n for n in names)}) AND kind IN ({kind_list}) "
        f"AND figure IN ({figure_list}) AND day >= :first AND day < :last{skip} GROUP BY 1, 2, 3, 4",
        **names, first=first_day, last=last_day)
    cents: dict[tuple[str, str, str, str], int] = {}
    deals: dict[tuple[str, str], int] = {}
    latest = None
    for key, kind, figure, group, total, count, horizon in rows:
        horizon = rawsql.as_utc(horizon)
        latest = horizon if latest is None or horizon > latest else latest
        if total:
            cents[(key, kind, figure, group)] = int(total)
        if kind == kinds[0]:
            deals[(key, figure)] = deals.get((key, figure), 0) + int(count or 0)
    return cents, deals, latest


def _is_day(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and (text[:4] + text[5:7] + text[8:]).isdigit()
