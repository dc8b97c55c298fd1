"""A client that hangs up cancels its request: the work it asked for stops (a GraphQL operation, its DataLoader
batches, a CSV stream) instead of running on for nobody."""
from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger("sharedgoals")


class CancelOnDisconnect:
    """Runs each HTTP request in a task of its own while this middleware alone reads the ASGI `receive` channel,
    handing the body on to the app one message at a time. When the server reports `http.disconnect` before the
    response is complete, the request's task is cancelled. (A server tells of a disconnect only to a reader of
    `receive`; an app computing a report reads nothing, so without this it would never know.)"""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        inbox: asyncio.Queue = asyncio.Queue(maxsize=1)  # the body at the app's pace
        gone = asyncio.Event()
        complete = False

        async def app_receive():
            if gone.is_set() and inbox.empty():
                return {"type": "http.disconnect"}
            return await inbox.get()

        async def app_send(message):
            nonlocal complete
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, app_receive, app_send))

        async def pump():
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    gone.set()
                    if not complete and not task.done():
                        log.info("client hung up: request %s cancelled",
                                 (scope.get("state") or {}).get("request_id"))
                        task.cancel()
                    with contextlib.suppress(asyncio.QueueFull):
                        inbox.put_nowait(message)
                    return
                await inbox.put(message)

        reader = asyncio.ensure_future(pump())
        try:
            await task
        except asyncio.CancelledError:
            if not gone.is_set():  # cancelled from outside, not by a hang-up
                raise
        finally:
            reader.cancel()
            if not task.done():
                task.cancel()
