"""A revoked token's open websockets are closed at once, with code 4401, in every worker process.

`tokenRevoke` publishes the token's id on `domain.events.TOKENS_REVOKED` once its change is committed; on
PostgreSQL the event crosses the worker processes like every live update (api/pubsub.py). Each process keeps its
open GraphQL websockets (their contexts, weakly: a closed connection leaves by itself) and, while the service runs,
closes those that act for the revoked token. A subscribe on a socket whose token has just been revoked is refused
anyway: websocket operations authenticate each time (schema/core/extensions.py)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator

from domain import events

log = logging.getLogger("sharedgoals.revocation")

REVOKED_CLOSE_CODE = 4401

# contexts of this process's open GraphQL websockets, by identity (a context is a dataclass: not hashable)
_open: "weakref.WeakValueDictionary[int, object]" = weakref.WeakValueDictionary()


def track(context) -> None:
    """Follow a websocket's context (its `request` is the socket, its `principal` who it acts for)."""
    _open[id(context)] = context


def open_for(token_id: int) -> list:
    return [c for c in list(_open.values()) if getattr(c.principal, "token_id", None) == token_id]


async def _close(context) -> None:
    with contextlib.suppress(Exception):  # it may be closing already
        await context.request.close(code=REVOKED_CLOSE_CODE, reason="token revoked")
    _open.pop(id(context), None)


async def _close_revoked() -> None:
    async for token_id in events.subscribe(events.TOKENS_REVOKED):
        contexts = open_for(token_id)
        for context in contexts:
            context.principal = None  # nothing more runs for it, even before the close is through
        if contexts:
            log.info("closing %d websocket(s) of revoked token #%s", len(contexts), token_id)
            await asyncio.gather(*(_close(c) for c in contexts))


@contextlib.asynccontextmanager
async def watching() -> AsyncIterator[None]:
    """Close revoked tokens' websockets while the block runs (the service's lifespan)."""
    task = asyncio.create_task(_close_revoked(), name="close-revoked-websockets")
    await asyncio.sleep(0)  # subscribed before the service takes requests
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
