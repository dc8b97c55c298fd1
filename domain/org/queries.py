"""Reads of the organisation for lists and loaders (one query per batch)."""
from __future__ import annotations

from collections.abc import Sequence

from domain.batch import by_ids
from domain.org.models import ApiToken, Person, Team
from domain.org.rules import Role
from domain.paging import Page, Paged, fetch_page


async def teams_by_ids(ids: Sequence[int]) -> list[Team | None]:
    return await by_ids(Team, ids)


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
