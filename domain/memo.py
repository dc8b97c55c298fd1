"""Work done once per object, however many async callers ask for it at the same time (GraphQL resolves sibling
fields concurrently): the first caller starts it, the others await the same future."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self) -> None:
        self._futures: dict[str, asyncio.Future] = {}

    async def __call__(self, name: str, compute: Callable[[], Awaitable[T]]) -> T:
        found = self._futures.get(name)
        if found is None:
            found = self._futures[name] = asyncio.ensure_future(compute())
        return await found
