"""The per-request context: who asks, the request id, and DataLoaders made on first use."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from domain.org.rules import Principal

BatchFn = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


class SharedLoader(DataLoader):
    """A DataLoader whose cached futures outlive a cancelled caller.

    When a field fails, graphql-core cancels its sibling fields; a cancelled field that was waiting on `load(key)`
    would cancel the future every other field asking for `key` shares, and they would all end in CancelledError
    (an HTTP 500; found by fuzzing). Each caller waits on a shield of the shared future instead."""

    def load(self, key: Any) -> Awaitable[Any]:
        return asyncio.shield(super().load(key))


class Loaders:
    """One DataLoader per batch function per request, created when first asked for."""

    def __init__(self) -> None:
        self._loaders: dict[BatchFn, DataLoader] = {}

    def __call__(self, batch_fn: BatchFn) -> DataLoader:
        loader = self._loaders.get(batch_fn)
        if loader is None:
            loader = self._loaders[batch_fn] = SharedLoader(load_fn=batch_fn)
        return loader


@dataclass
class Context:
    principal: Principal | None
    request_id: str  # made by the server
    client_request_id: str | None = None  # the X-Request-ID the client sent, if any: theirs, not ours
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)
    connection_params: dict | None = None  # graphql-transport-ws connection_init payload
    websocket: bool = False  # the operation came over a websocket (subscriptions need one)

    @property
    def viewer(self) -> Principal:
        assert self.principal is not None, "anonymous operations are refused before execution"
        return self.principal


Info = StrawberryInfo[Context, None]
