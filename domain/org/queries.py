"""Reads of the organisation for lists and loaders (one query per batch)."""
from __future__ import annotations

from collections.abc import Sequence

from domain.batch import by_ids
from domain.org.models import ApiToken, PeriodCloseSignOff, Person, Team
from domain.org.rules import Role
from domain.paging import Page, Paged, fetch_page


async def teams_by_ids(ids: Sequence[int]) -> list[Team | None]:
    return await by_ids(Team, ids)


async def team_table(keys: Sequence[object]) -> list[dict[int, Team]]:
    """Every team by id, for a DataLoader with one key: a request reads the (small) team table once, however its
    resolvers interleave. Two batches of `teams_by_ids` would otherwise depend on which of a request's reads came
    back first (one read connection on SQLite used to make it look fixed)."""
    teams = {t.id: t for t in await Team.all()}
    return [teams for _ in keys]


async def people_by_ids(ids: Sequence[int]) -> list[Person | None]:
    return await by_ids(Person, ids)


async def tokens_by_ids(ids: Sequence[int]) -> list[ApiToken | None]:
    return await by_ids(ApiToken, ids)


async def all_teams() -> list[Team]:
    return await Team.all().order_by("name")


async def people_page(page: Page, team_id: int | None = None, role: Role | None = None,
                      active: bool | None = None) -> Paged:
    qs = Person.all()
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if role is not None:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(active=active)
    return await fetch_page(qs, page)


async def close_sign_offs_by_period_keys(keys: Sequence[str]) -> list[list[PeriodCloseSignOff]]:
    """The close sign-offs of each period (by key), oldest first: one query for a whole request."""
    found: dict[str, list[PeriodCloseSignOff]] = {key: [] for key in keys}
    for row in await PeriodCloseSignOff.filter(period__key__in=list(found)).select_related("period").order_by("at", "id"):
        found[row.period.key].append(row)
    return [found[key] for key in keys]
