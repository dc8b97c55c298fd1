"""Keyset pages over a query: rows after a key, in key order, one more than asked to know if more follow."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from domain.batch import fits_key

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    first: int = 20
    after: int | None = None


@dataclass
class Paged:
    """A page of rows, whether more follow, and how to count every row of the list (one COUNT, made only when a
    client asks for `totalCount`). Unpacks as (rows, has_next)."""

    rows: list[Any]
    has_next: bool
    count: Callable[[], Awaitable[int]]

    def __iter__(self) -> Iterator[Any]:
        return iter((self.rows, self.has_next))


async def no_rows() -> int:
    """The count of a list that has no rows."""
    return 0


async def fetch_page(queryset: Any, page: Page, key: str = "id") -> Paged:
    whole = queryset

    async def count() -> int:
        return await whole.count()
    if page.after is not None and not fits_key(queryset.model, page.after, key):
        if page.after > 0:
            return Paged([], False, count)  # after every key the column can hold
    elif page.after is not None:
        queryset = queryset.filter(**{f"{key}__gt": page.after})
    rows = await queryset.order_by(key).limit(page.first + 1)
    return Paged(rows[: page.first], len(rows) > page.first, count)
