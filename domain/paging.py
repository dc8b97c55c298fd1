"""Keyset pages over a query: rows after a key, in key order, one more than asked to know if more follow."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.batch import fits_key

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    first: int = 20
    after: int | None = None


async def fetch_page(queryset: Any, page: Page, key: str = "id") -> tuple[list[Any], bool]:
    if page.after is not None and not fits_key(queryset.model, page.after, key):
        if page.after > 0:
            return [], False  # after every key the column can hold
    elif page.after is not None:
        queryset = queryset.filter(**{f"{key}__gt": page.after})
    rows = await queryset.order_by(key).limit(page.first + 1)
    return rows[: page.first], len(rows) > page.first
