"""Relay connections with keyset pagination: page size 1–100, opaque cursors."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay.utils import from_base64, to_base64

from domain.errors import ErrorCode
from domain.paging import MAX_PAGE, Page
from schema.core.errors import ClientError
from schema.core.ids import MAX_PK

T = TypeVar("T")
_PREFIX = "cursor"


def page_request(first: int, after: str | None) -> Page:
    """Checks `first` and decodes `after` into the keyset position it names."""
    if not 1 <= first <= MAX_PAGE:
        raise ClientError(f"first must be between 1 and {MAX_PAGE}", ErrorCode.INVALID.value)
    after_key = None
    if after is not None:
        try:
            prefix, value = from_base64(after)
            if prefix != _PREFIX:
                raise ValueError
            after_key = int(value)
            if not -MAX_PK - 1 <= after_key <= MAX_PK:
                raise ValueError  # beyond a 64-bit key: no cursor of ours, and the query would overflow
        except (ValueError, TypeError):
            raise ClientError("after is not a cursor this API gave out", ErrorCode.INVALID.value) from None
    return Page(first=first, after=after_key)


@strawberry.type(name="Connection", description="A page of a list, with its cursors and the size of the whole list.")
class Connection(relay.Connection[relay.NodeType]):
    _count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="How many items the whole list has, across its pages (counted only when asked).")
    async def total_count(self) -> int:
        return await self._count()


def counted(items: Sequence[Any]) -> Callable[[], Awaitable[int]]:
    """The count of a list already in hand."""
    async def count() -> int:
        return len(items)
    return count


def connection(rows: Sequence[Any], has_next: bool, page: Page, to_node: Callable[[Any], T],
               key: Callable[[Any], int] = lambda row: row.id, *,
               count: Callable[[], Awaitable[int]]) -> Connection[T]:
    """A connection of a page; `count` counts the whole list (domain.paging.Paged.count, or `counted(items)`)."""
    edges = [relay.Edge(cursor=to_base64(_PREFIX, key(row)), node=to_node(row)) for row in rows]
    return Connection(
        _count=count,
        page_info=relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=page.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
    )

