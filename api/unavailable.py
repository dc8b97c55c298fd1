"""A database busy past the busy timeout, or down, answers JSON 503 with `Retry-After` and code UNAVAILABLE, on
every route: the request changed nothing and may be sent again."""
from __future__ import annotations

import logging

from starlette.responses import JSONResponse

from api.limits import error_response
from domain.availability import UNAVAILABLE, Unavailable, unavailable_cause

log = logging.getLogger("sharedgoals")


def unavailable_response(cause: Unavailable) -> JSONResponse:
    return error_response(503, cause.message, UNAVAILABLE, headers={"Retry-After": str(cause.retry_after)},
                          retryAfter=cause.retry_after)


def retry_after_of(response_data) -> int | None:
    """The longest `retryAfter` of the UNAVAILABLE errors in a GraphQL answer (or a batch of them), if any."""
    answers = response_data if isinstance(response_data, list) else [response_data]
    found = [int((e.get("extensions") or {}).get("retryAfter") or 1)
             for answer in answers if isinstance(answer, dict) for e in answer.get("errors") or ()
             if (e.get("extensions") or {}).get("code") == UNAVAILABLE]
    return max(found) if found else None


class UnavailableMiddleware:
    """Turns an Unavailable (or a driver's error that amounts to one) raised before the answer started into 503.
    A stream cut by an outage after its first bytes just ends (its status is sent)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            cause = unavailable_cause(exc)
            if cause is None or started:
                raise
            log.warning("database unavailable on %s: %s", scope.get("path"), exc)
            await unavailable_response(cause)(scope, receive, send)
