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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._batches: list[Any] = []

    def load(self, key: Any) -> Awaitable[Any]:
        future = super().load(key)
        if self.batch is not None and (not self._batches or self._batches[-1] is not self.batch):
            self._batches.append(self.batch)
        return asyncio.shield(future)

    def cancel(self) -> None:
        """Stops the batches still running: the shields keep them from the callers' cancellation, so an operation
        that ran out of time or lost its client ends them here."""
        for batch in self._batches:
            task = getattr(batch, "_dispatch_task", None)
            if task is not None and not task.done():
                task.cancel()


class Loaders:
    """One DataLoader per batch function per request, created when first asked for."""

    def __init__(self) -> None:
        self._loaders: dict[BatchFn, DataLoader] = {}

    def __call__(self, batch_fn: BatchFn) -> DataLoader:
        loader = self._loaders.get(batch_fn)
        if loader is None:
            loader = self._loaders[batch_fn] = SharedLoader(load_fn=batch_fn)
        return loader

    def cancel(self) -> None:
        for loader in self._loaders.values():
            loader.cancel()


@dataclass
class Context:
    principal: Principal | None
    request_id: str  # made by the server
    client_request_id: str | None = None  # the X-Request-ID the client sent, if any: theirs, not ours
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)
    connection_params: dict | None = None  # graphql-transport-ws connection_init payload
    rate_limit: dict | None = None  # what the operation spent of its token's budget (extensions.rateLimit)
    websocket: bool = False  # the operation came over a websocket (subscriptions need one)

    @property
    def viewer(self) -> Principal:
        assert self.principal is not None, "anonymous operations are refused before execution"
        return self.principal


Info = StrawberryInfo[Context, None]
