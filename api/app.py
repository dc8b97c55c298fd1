"""The ASGI application: GraphQL, health checks, request ids, database lifecycle."""
from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL

from api import db, logsafe, pubsub, revocation
from api.auth import reader_principal_of
from api.exports import export
from api.hangup import CancelOnDisconnect
from api.imports import import_route
from api.limits import BatchLimitErrors, RateLimitMiddleware, RequestBodyMiddleware
from api.unavailable import UnavailableMiddleware, retry_after_of
from domain.availability import OUTAGE_RETRY_AFTER
from api.settings import Settings, get_settings
from domain import clock
from domain import config as domain_config
from domain.attribution import stored
from schema.core.context import Context
from schema.core.extensions import authenticate_websocket
from schema.schema import build_schema

log = logging.getLogger("sharedgoals")

STATIC_DIR = Path(__file__).parent / "static"
GRAPHIQL_PAGE = Path(__file__).parent / "graphiql.html"  # outside /static: production serves no GraphiQL at all


class RequestIdMiddleware:
    """Gives every request an id of the server's own making, echoed in X-Request-ID: a client cannot choose the id
    an incident is filed under (nor make two requests share one). A sane X-Request-ID the client sent is kept beside
    it, marked as the client's: echoed in X-Client-Request-ID and logged with the server's id."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1").strip()
        client_id = sent if sent and len(sent) <= 64 and sent.isprintable() else None
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"], state["client_request_id"] = request_id, client_id

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", request_id.encode()))
                if client_id is not None:
                    headers.append((b"x-client-request-id", client_id.encode("latin-1")))
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestClockMiddleware:
    """Pins the service clock's instant for each HTTP request (domain/clock.py), so "current", "previous" and
    "next" name one period throughout it, however long it streams."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with clock.pinned_for_request():
            await self.app(scope, receive, send)


class GraphQLView(BatchLimitErrors, GraphQL):
    async def render_graphql_ide(self, request):
        """GraphiQL from the service's own copies of its scripts (api/static/vendor), not strawberry's CDN page,
        so it works on networks without internet. Only asked for when GraphiQL is on (not in production)."""
        return FileResponse(GRAPHIQL_PAGE, media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})

    async def get_context(self, request, response) -> Context:
        websocket = request.scope["type"] == "websocket"
        context = Context(principal=await reader_principal_of(request), request_id=request.state.request_id,
                          client_request_id=request.state.client_request_id,
                          request=request, response=response, websocket=websocket)
        if websocket:
            revocation.track(context)  # closed at once if its token is revoked
        return context

    async def on_ws_connect(self, context: Context):
        # Who the socket acts for is known from connection_init on, so a revocation finds it before it subscribes
        await authenticate_websocket(context)
        return await super().on_ws_connect(context)

    def create_response(self, response_data, sub_response):
        # An operation that met a database busy past the busy timeout, or down, is answered 503 (nothing was
        # written; it may be sent again), with its errors coded UNAVAILABLE as usual.
        if (seconds := retry_after_of(response_data)) is not None:
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = str(seconds)
        return super().create_response(response_data, sub_response)


async def dashboard(request: Request) -> FileResponse:
    """The leaders' dashboard: a static page that reads the public GraphQL API with the viewer's token."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def readyz(request: Request):
    """200 while the database serves reads promptly and accepts writes (a writer busy with an import is fine:
    writes wait for it); 503 with Retry-After when a read is slow or fails, or writes are refused."""
    report = await db.health()
    if report["ready"]:
        return JSONResponse(report)
    reason = ("database unavailable" if report["reads"] == "failed" else
              "database reads are not answered promptly" if report["reads"] == "slow" else
              "database does not accept writes")
    return JSONResponse({**report, "reason": reason, "code": "UNAVAILABLE"}, status_code=503,
                        headers={"Retry-After": str(OUTAGE_RETRY_AFTER)})


def configure_domain(settings: Settings) -> None:
    domain_config.configure(fiscal_year_start_month=settings.fiscal_year_start_month,
                            timezone=settings.timezone, currency=settings.currency,
                            busy_timeout=settings.busy_timeout, mappings_dir=settings.mappings_dir)
    if settings.clock is not None:
        clock.set_now(settings.clock)


def cors_options(origins: tuple[str, ...]) -> dict:
    """Cross-origin browser calls from the listed origins only. Tokens go in the Authorization header, never in
    cookies, so credentials stay off (which also keeps `*` safe). The answer's Retry-After and X-Request-ID are
    readable by the page."""
    return {"allow_origins": list(origins), "allow_methods": ["GET", "POST", "OPTIONS"],
            "allow_headers": ["Authorization", "Content-Type", "X-Request-ID"], "allow_credentials": False,
            "expose_headers": ["Retry-After", "X-Request-ID"], "max_age": 600}


def create_app(settings: Settings | None = None, manage_db: bool = True,
               rate_clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The service. With `manage_db` the app opens and closes the database itself (off when a caller did);
    `rate_clock` is the clock the cost budget is earned back by (tests hold it still)."""
    settings = settings or get_settings()
    logsafe.install()
    configure_domain(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if manage_db:
            await db.init_db(settings.database_url, settings.busy_timeout)
            await stored.fold_leftovers()  # deals an import left pending when its process ended first
        try:
            # On PostgreSQL, live updates cross the worker processes (LISTEN/NOTIFY): see api/pubsub.py.
            async with pubsub.running(settings.database_url) if manage_db else contextlib.nullcontext(), \
                    revocation.watching():
                yield
        finally:
            await stored.settle()
            if manage_db:
                await db.close_db()

    graphql = GraphQLView(build_schema(production=settings.production, limits=settings.graphql_limits,
                                       operation_timeout=settings.operation_timeout_seconds),
                          graphql_ide=None if settings.production else "graphiql")
    app = Starlette(
        routes=[
            Route("/", dashboard, methods=["GET", "HEAD"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/import/{kind}", import_route, methods=["POST"]),
            Route("/export/{report}.csv", export, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    # The last added runs first: CORS, request ids, the hang-up watch, a database busy or down as 503, the request
    # body's limits (size, read timeout, JSON nesting: before any token is looked up), the rate limit, then the
    # request's pinned clock (period names read against it). CORS is outermost so that a preflight is answered before
    # any limit spends a request on it, and the refusals of the inner layers (401, 408, 413, 429, 503) carry the CORS
    # headers too: a browser page can then read their reason and Retry-After.
    app.add_middleware(RequestClockMiddleware)
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute, clock=rate_clock)
    app.add_middleware(RequestBodyMiddleware, max_bytes=settings.max_body_bytes,
                       timeout=settings.body_timeout_seconds,
                       larger=(("/import/", settings.max_import_bytes, settings.import_body_timeout_seconds),))
    app.add_middleware(UnavailableMiddleware)
    app.add_middleware(CancelOnDisconnect)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(CORSMiddleware, **cors_options(settings.cors_origins))
    return app
