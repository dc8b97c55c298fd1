"""A period's credit from the per-day rollups (rollups.py) where they hold, from the stored rows (stored.py) where
they do not: the whole UTC days of the period from the rollups, the hours before its first and after its last
UTC midnight (a zone other than UTC), every day with a horizon after `now` and every day of a deal whose sums are
pending (rollups.py, "Pending deals") from the rows; the deals of the
rolled-up days without fresh rows (no rows under the model, or rows that do not hold yet) found by counting and
returned for the caller to compute live, as stored.credit_totals does."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from domain import rawsql
from domain.attribution import rollups, stored

UTC = timezone.utc
DAY = timedelta(days=1)
RowsRead = Callable[[str, datetime, datetime], Awaitable[tuple[dict, set[int]]]]


@dataclass
class Read:
    """One model's part of a period: rollup sums {(kind, figure, group key): cents}, the row-read parts (each a
    stored.* result's totals) and the deals to compute live."""
    sums: dict[tuple[str, str, str], int] = field(default_factory=dict)
    parts: list[dict] = field(default_factory=list)
    live: set[int] = field(default_factory=set)


def _day_bounds(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The first UTC midnight at or after `start`, the last at or before `end`."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        first += DAY
    return first, end.replace(hour=0, minute=0, second=0, microsecond=0)


def _merged(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[list[datetime]] = []
    for a, b in sorted(r for r in ranges if r[0] < r[1]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


async def _deal_count(start: datetime, end: datetime, figure: str) -> int:
    return await stored.period_deal_count(start, end, pipeline=figure == "P", bookings=figure == "B")


async def read(keys: Sequence[str], kinds: Sequence[str], start: datetime, end: datetime, now: datetime,
               pipeline: bool, bookings: bool, by_rows: RowsRead) -> dict[str, Read]:
    """Each model's Read of [start, end) (module docstring). `by_rows(key, a, b)` reads [a, b) from the rows."""
    reads = {key: Read() for key in keys}
    first, last = _day_bounds(start, end)
    if first >= last:  # less than a whole UTC day: the rows alone
        for key in keys:
            totals, live = await by_rows(key, start, end)
            reads[key].parts.append(totals)
            reads[key].live |= live
        return reads
    d0, d1 = first.date().isoformat(), last.date().isoformat()
    figures = [f for f, on in (("P", pipeline), ("B", bookings)) if on]
    cents, deals, latest = await rollups.sums(keys, kinds, d0, d1, figures)
    stale_set = await rollups.pending_days(d0, d1)  # days of deals whose sums are not in yet
    if latest is not None and latest > now:  # some day holds rows ahead of the clock: summed without those days
        stale_set |= await rollups.stale_days(keys, kinds[0], d0, d1, now)
    stale = sorted(stale_set)
    if stale:
        cents, deals, _ = await rollups.sums(keys, kinds, d0, d1, figures, stale)
    for (key, kind, figure, group), total in cents.items():
        reads[key].sums[(kind, figure, group)] = total
    stale_ranges = [(datetime.fromisoformat(d).replace(tzinfo=UTC), datetime.fromisoformat(d).replace(tzinfo=UTC)
                     + DAY) for d in stale]
    for a, b in _merged([(start, first), (last, end)] + stale_ranges):
        for key in keys:
            totals, live = await by_rows(key, a, b)
            reads[key].parts.append(totals)
            reads[key].live |= live
    for figure in figures:
        count = await _deal_count(first, last, figure) - sum([await _deal_count(a, b, figure)
                                                               for a, b in _merged(stale_ranges)])
        for key in keys:
            if deals.get((key, figure), 0) != count:  # some deal of the rolled-up days has no fresh rows
                reads[key].live |= await stored.deals_without_fresh_rows(
                    first, last, key, now, -1, figure == "P", figure == "B", count=0)
    return reads


def _add(into: dict, key, values: Sequence[int]) -> None:
    line = into.setdefault(key, [0] * len(values))
    for k, v in enumerate(values):
        line[k] += int(v or 0)


async def credit_totals_of(choices: Sequence, start: datetime, end: datetime, group_by: str, now: datetime, *,
                           pipeline: bool = True, bookings: bool = True,
                           keys: Sequence[str] | None = None) -> dict[str, tuple[dict[str, list[int]], set[int]]]:
    """{model key: stored.credit_totals' result} for several stored models at once, from the rollups; `keys`:
    the stored keys of the choices when not their own (a period's stored data-driven rows, driven_store.py)."""
    by_key = dict(zip(keys, choices)) if keys is not None else {stored.key_of(c): c for c in choices}

    async def by_rows(key: str, a: datetime, b: datetime):
        return await stored.credit_totals(a, b, by_key[key], group_by, now, pipeline=pipeline, bookings=bookings,
                                          key=key)
    reads = await read(list(by_key), (group_by,), start, end, now, pipeline, bookings, by_rows)
    out = {}
    for key, r in reads.items():
        totals: dict[str, list[int]] = {}
        for (_, figure, group), cents in r.sums.items():
            _add(totals, group, (cents, 0) if figure == "P" else (0, cents))
        for part in r.parts:
            for group, values in part.items():
                _add(totals, group, values)
        out[key] = (totals, r.live)
    return out


async def credit_totals(start: datetime, end: datetime, choice, group_by: str, now: datetime, *,
                        pipeline: bool = True, bookings: bool = True,
                        key: str | None = None) -> tuple[dict[str, list[int]], set[int]]:
    """stored.credit_totals' figures (the same result) from the rollups (`key`: as stored.credit_totals')."""
    key = key if key is not None else stored.key_of(choice)
    return (await credit_totals_of([choice], start, end, group_by, now, pipeline=pipeline, bookings=bookings,
                                   keys=[key]))[key]


_TEAM_FIGURE = {("SOURCED", "P"): 0, ("SOURCED", "B"): 1, ("INFLUENCED", "P"): 2, ("INFLUENCED", "B"): 3}


async def team_pipeline(start: datetime, end: datetime, now: datetime, *,
                        bookings: bool = True) -> tuple[dict[int, list[int]], set[int]]:
    """stored.team_pipeline's figures (the same result) from the rollups."""
    key = stored.key_of(stored.DEFAULT_MODEL)

    async def by_rows(_: str, a: datetime, b: datetime):
        return await stored.team_pipeline(a, b, now, bookings=bookings)
    r = (await read([key], rollups.TEAM_KINDS, start, end, now, True, bookings, by_rows))[key]
    teams: dict[int, list[int]] = {}
    for (kind, figure, group), cents in r.sums.items():
        if group != "NONE":
            values = [0, 0, 0, 0]
            values[_TEAM_FIGURE[(kind, figure)]] = cents
            _add(teams, int(group), values)
    for part in r.parts:
        for team_id, values in part.items():
            _add(teams, team_id, values)
    return teams, r.live


async def won_influencing_teams(start: datetime, end: datetime, now: datetime) -> tuple[dict[int, set[int]], set[int]]:
    """({deal id: its influencing teams} of the deals won in [start, end) with fresh stored rows under the default
    model (each such deal is there, with no team when none influenced it), the ids of the won deals without fresh
    rows (the caller computes those live)): the wins' first and influencing rows only."""
    key = stored.key_of(stored.DEFAULT_MODEL)
    rows = await rawsql.rows(
        "SELECT opportunity_id, team_id, influencing FROM deal_credit WHERE model_key = :key AND won_at >= :start "
        "AND won_at < :end AND horizon <= :now AND (position <= 0 OR influencing)",
        key=key, start=start, end=end, now=now)
    teams: dict[int, set[int]] = {}
    for opportunity_id, team_id, influencing in rows:
        found = teams.setdefault(int(opportunity_id), set())
        if influencing:
            found.add(int(team_id))
    live = await stored.deals_without_fresh_rows(start, end, key, now, len(teams), False, True)
    return teams, live
