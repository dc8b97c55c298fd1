"""The ASGI application: GraphQL, health checks, request ids, database lifecycle."""
from __future__ import annotations

import contextlib
import logging
import uuid
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL
from tortoise import connections

from api import db, logsafe, pubsub, revocation
from api.auth import reader_principal_of
from api.exports import export
from api.imports import import_route
from api.limits import BatchLimitErrors, RateLimitMiddleware, RequestBodyMiddleware
from api.settings import Settings, get_settings
from domain import clock
from domain import config as domain_config
from schema.core.context import Context
from schema.core.extensions import authenticate_websocket
from schema.schema import build_schema

log = logging.getLogger("sharedgoals")

STATIC_DIR = Path(__file__).parent / "static"


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


class GraphQLView(BatchLimitErrors, GraphQL):
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


async def dashboard(request: Request) -> FileResponse:
    """The leaders' dashboard: a static page that reads the public GraphQL API with the viewer's token."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def readyz(request: Request):
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:  # the database is down or unreachable: not ready
        log.warning("readiness check failed: %s", exc)
        return JSONResponse({"ready": False, "reason": "database unavailable"}, status_code=503)
    return JSONResponse({"ready": True})


def configure_domain(settings: Settings) -> None:
    domain_config.configure(fiscal_year_start_month=settings.fiscal_year_start_month,
                            timezone=settings.timezone, currency=settings.currency)
    if settings.clock is not None:
        clock.set_now(settings.clock)


def create_app(settings: Settings | None = None, manage_db: bool = True) -> Starlette:
    """The service. With `manage_db` the app opens and closes the database itself (off when a caller did)."""
    settings = settings or get_settings()
    logsafe.install()
    configure_domain(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if manage_db:
            await db.init_db(settings.database_url)
        try:
            # On PostgreSQL, live updates cross the worker processes (LISTEN/NOTIFY): see api/pubsub.py.
            async with pubsub.running(settings.database_url) if manage_db else contextlib.nullcontext(), \
                    revocation.watching():
                yield
        finally:
            if manage_db:
                await db.close_db()

    graphql = GraphQLView(build_schema(production=settings.production, limits=settings.graphql_limits),
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
    # The last added runs first: request ids, then the request body's limits (size, read timeout, JSON nesting:
    # before any token is looked up), then the rate limit.
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)
    app.add_middleware(RequestBodyMiddleware, max_bytes=settings.max_body_bytes,
                       timeout=settings.body_timeout_seconds,
                       larger=(("/import/", settings.max_import_bytes, settings.import_body_timeout_seconds),))
    app.add_middleware(RequestIdMiddleware)
    return app
