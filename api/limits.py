"""HTTP abuse limits: request body size, read timeout and JSON nesting, cost units per minute, operations per batch.

Refusals answer in the GraphQL error shape, `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`:
`LIMIT_EXCEEDED` (413 for a body, 400 for a batch), `TIMEOUT` (408 for a body that trickles in), `BAD_REQUEST`
(400 for JSON nested too deep) or `RATE_LIMITED` (429 with `Retry-After`).
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cross_web import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from api.auth import bearer_secret, is_genuine, secret_digest
from domain.jsondepth import MAX_JSON_DEPTH, nests_deeper_than
from schema.core.limits import LIMIT_EXCEEDED, RATE_LIMITED

TIMEOUT = "TIMEOUT"
BAD_REQUEST = "BAD_REQUEST"


def error_response(status: int, message: str, code: str, headers: dict[str, str] | None = None,
                   **extensions) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
                        status_code=status, headers=headers)


class BodyTimeout(Exception):
    """The request body did not arrive within its read timeout."""


class RequestBodyMiddleware:
    """Limits on what a request body may be, checked before anything else works on it (the rate limiter's token
    lookup included):
    - larger than `max_bytes` is refused with 413: at once by its Content-Length, else (a chunked body) by counting
      what arrives;
    - a body that trickles in is cut off `timeout` seconds after the request began, with 408 (code TIMEOUT);
    - a JSON body posted to GraphQL that nests arrays and objects deeper than `max_json_depth` is refused with 400
      (Python's json would fail on it with RecursionError).
    `larger` gives paths (by prefix) their own (size, timeout), e.g. file imports. A body this reads whole (chunked,
    or JSON for GraphQL) is handed on whole."""

    def __init__(self, app, max_bytes: int, timeout: float = 30.0,
                 larger: tuple[tuple[str, int, float], ...] = (), max_json_depth: int = MAX_JSON_DEPTH,
                 json_paths: tuple[str, ...] = ("/graphql",)) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.larger = larger
        self.max_json_depth = max_json_depth
        self.json_paths = json_paths

    def _limits(self, scope) -> tuple[int, float]:
        path = scope.get("path", "")
        return next(((size, timeout) for prefix, size, timeout in self.larger if path.startswith(prefix)),
                    (self.max_bytes, self.timeout))

    def _too_large(self, max_bytes: int) -> JSONResponse:
        return error_response(413, f"The request body is larger than the limit of {max_bytes} bytes.",
                              LIMIT_EXCEEDED, maxBytes=max_bytes)

    def _too_slow(self, timeout: float) -> JSONResponse:
        return error_response(408, f"The request body did not arrive within {timeout:g} s.", TIMEOUT,
                              timeoutSeconds=timeout, headers={"Connection": "close"})

    def _is_json_for_graphql(self, scope, headers: dict) -> bool:
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        return scope.get("method") == "POST" and scope.get("path") in self.json_paths and \
            content_type in (b"application/json", b"application/graphql-response+json", b"")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes, timeout = self._limits(scope)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > max_bytes):
            # The server holds the body to its declared length, so the header is all there is to check.
            return await self._too_large(max_bytes)(scope, receive, send)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        complete = False

        async def timed_receive():
            nonlocal complete
            if complete:  # the body is in: what follows (a disconnect) may come whenever
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise BodyTimeout from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        try:
            if length is not None and not self._is_json_for_graphql(scope, headers):
                return await self._pass_on(scope, timed_receive, send, timeout)
            body = await self._read(timed_receive, max_bytes)
        except BodyTimeout:
            return await self._too_slow(timeout)(scope, receive, send)
        if body is None:  # the client went away
            return
        if body is _TOO_LARGE:
            return await self._too_large(max_bytes)(scope, receive, send)
        if self._is_json_for_graphql(scope, headers) and nests_deeper_than(body, self.max_json_depth):
            return await error_response(
                400, f"The JSON body nests arrays and objects deeper than {self.max_json_depth} levels.",
                BAD_REQUEST, maxDepth=self.max_json_depth)(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _pass_on(self, scope, timed_receive, send, timeout: float) -> None:
        """The app reads the body itself (a file import streams it): still within the read timeout."""
        started = False

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)
        try:
            await self.app(scope, timed_receive, watched_send)
        except BodyTimeout:
            if started:
                raise
            await self._too_slow(timeout)(scope, timed_receive, send)

    @staticmethod
    async def _read(receive, max_bytes: int):
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return None
            body = message.get("body", b"")
            size += len(body)
            if size > max_bytes:
                return _TOO_LARGE
            chunks.append(body)
            if not message.get("more_body", False):
                return b"".join(chunks)


_TOO_LARGE = object()


class RateLimiter:
    """Token buckets of cost units: each key may spend `per_minute` units at once, and earns them back evenly over a
    minute. In-process: with several workers each worker keeps its own buckets."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # units earned back per second
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (units, when)
        self.last_sweep = clock()

    def _level(self, key: str, now: float) -> float:
        if now - self.last_sweep >= 60:
            self._sweep(now)
        units, when = self.buckets.get(key, (self.capacity, now))
        return min(self.capacity, units + (now - when) * self.rate)

    def take(self, key: str, amount: float = 1) -> float | None:
        """Spends `amount` units of `key`'s budget; None when allowed, else the seconds until that many are there
        (nothing is spent then)."""
        now = self.clock()
        units = self._level(key, now)
        if units >= amount:
            self.buckets[key] = (units - amount, now)
            return None
        self.buckets[key] = (units, now)
        return (amount - units) / self.rate

    def remaining(self, key: str) -> float:
        return self._level(key, self.clock())

    def seconds_to_full(self, key: str) -> float:
        return (self.capacity - self.remaining(key)) / self.rate

    def _sweep(self, now: float) -> None:
        # A bucket idle for a minute is full again: the same as no bucket at all.
        self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 60}
        self.last_sweep = now


@dataclass(frozen=True)
class Receipt:
    """What an operation spent and what is left: GraphQL answers it as `extensions.rateLimit`."""
    cost: int
    limit: int
    remaining: int
    reset_at: datetime          # when the budget is full again
    retry_after: int | None     # refused: seconds until the cost fits

    @property
    def refused(self) -> bool:
        return self.retry_after is not None

    def as_json(self) -> dict:
        return {"cost": self.cost, "limit": self.limit, "remaining": self.remaining,
                "resetAt": self.reset_at.isoformat(timespec="seconds")}


class Allowance:
    """One request's handle on its key's budget (in the ASGI scope's state as `cost_allowance`). Every request pays
    1 unit as it comes in (so a burst of requests cannot all pass on the last unit); GraphQL then spends each
    operation's estimated cost and the REST routes their twin's, the unit paid counting towards the first."""

    def __init__(self, limiter: RateLimiter, key: str, prepaid: int = 0) -> None:
        self.limiter = limiter
        self.key = key
        self.prepaid = prepaid

    def spend(self, cost: int) -> Receipt:
        cost = max(1, int(cost))
        credit = min(self.prepaid, cost)
        wait = self.limiter.take(self.key, cost - credit) if cost > credit else None
        if wait is None:
            self.prepaid -= credit
        return self.receipt(cost, None if wait is None else max(1, math.ceil(wait)))

    def receipt(self, cost: int, retry_after: int | None = None) -> Receipt:
        seconds = self.limiter.seconds_to_full(self.key)
        return Receipt(cost, int(self.limiter.capacity), int(self.limiter.remaining(self.key)),
                       datetime.now(timezone.utc) + timedelta(seconds=math.ceil(seconds)), retry_after)


def allowance_of(scope) -> Allowance | None:
    """The request's allowance, or None when the budget is off."""
    return (scope.get("state") or {}).get("cost_allowance")


def over_budget(receipt: Receipt, what: str = "This request") -> JSONResponse:
    return error_response(
        429, f"{what} costs {receipt.cost}, more than the {receipt.remaining} left of this token's budget of "
             f"{receipt.limit} a minute. Retry after {receipt.retry_after} s.",
        RATE_LIMITED, headers={"Retry-After": str(receipt.retry_after)}, retryAfter=receipt.retry_after,
        cost=receipt.cost, remaining=receipt.remaining, resetAt=receipt.as_json()["resetAt"])


async def rate_limit_key(scope) -> str:
    """A valid bearer token (by its SHA-256, never kept in the clear) has its own budget; any other request, with no
    token or a made-up one, spends its client address's, so invented tokens cannot buy a fresh budget each."""
    secret = bearer_secret(HTTPConnection(scope))
    if secret and await is_genuine(secret):
        return "token:" + secret_digest(secret)
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown")


class RateLimitMiddleware:
    """Answers 429 with Retry-After once a token (or an anonymous address) has spent its cost units of the minute;
    else hands the request an Allowance to spend what it costs. A websocket spends one unit to connect and one for each message it sends (a subscription, a ping); over the
    budget its handshake is refused, or an open socket is closed with code 4429."""

    def __init__(self, app, per_minute: int, exempt_paths: tuple[str, ...] = ("/healthz", "/readyz"),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.per_minute = per_minute
        self.exempt_paths = exempt_paths
        self.limiter = RateLimiter(per_minute, clock) if per_minute > 0 else None

    async def __call__(self, scope, receive, send):
        if self.limiter is None or scope.get("path") in self.exempt_paths:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await self._websocket(scope, receive, send)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        key = await rate_limit_key(scope)
        wait = self.limiter.take(key, 1)
        if wait is None:
            # What the request costs is known further in (GraphQL once the operation is parsed, a REST route by its
            # twin): they spend the rest of it through the allowance.
            scope.setdefault("state", {})["cost_allowance"] = Allowance(self.limiter, key, prepaid=1)
            return await self.app(scope, receive, send)
        seconds = max(1, math.ceil(wait))
        response = error_response(
            429, f"This token's budget of {self.per_minute} cost units a minute is spent. Retry after {seconds} s.",
            RATE_LIMITED, headers={"Retry-After": str(seconds)}, retryAfter=seconds)
        await response(scope, receive, send)

    async def _websocket(self, scope, receive, send):
        key = await rate_limit_key(scope)
        limiter = self.limiter
        if limiter.take(key) is not None:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # before accept: the handshake is refused (403)
            return
        closed = False

        async def limited_receive():
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive" and not closed and limiter.take(key) is not None:
                closed = True
                await send({"type": "websocket.close", "code": 4429, "reason": "rate limited"})
                return {"type": "websocket.disconnect", "code": 4429}
            return message

        await self.app(scope, limited_receive, send)


class BatchLimitErrors:
    """Mixin for the GraphQL view: strawberry refuses a batch above `batching_config.max_operations` with a
    plain-text 400; this answers the same refusal in the GraphQL error shape with LIMIT_EXCEEDED."""

    async def run(self, request, *args, **kwargs):
        try:
            return await super().run(request, *args, **kwargs)
        except HTTPException as exc:
            if exc.reason != "Too many operations":
                raise
            limit = self.schema.config.batching_config["max_operations"]
            return error_response(400, f"A batch may hold at most {limit} operations.", LIMIT_EXCEEDED,
                                  maxOperations=limit)
