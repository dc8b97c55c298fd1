"""Schema extensions every request passes through: authentication and error masking."""
from __future__ import annotations

import logging

from graphql import ExecutionResult, GraphQLError, Node, StringValueNode
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.relay.types import GlobalIDValueError
from strawberry.types.graphql import OperationType

from domain.availability import UNAVAILABLE, unavailable_cause
from domain.org.service import authenticate

log = logging.getLogger("sharedgoals.graphql")

UNAUTHENTICATED = "UNAUTHENTICATED"


def _bearer(header: object) -> str | None:
    scheme, _, secret = str(header or "").partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


async def authenticate_websocket(context) -> None:
    """Who a websocket acts for, now: the token of its connection_init payload ({"Authorization": "Bearer ..."}),
    else of its handshake's Authorization header (which may be a read-only export token); None once revoked."""
    params = getattr(context, "connection_params", None)
    secret = _bearer(params.get("Authorization") or params.get("authorization")) if isinstance(params, dict) else None
    if secret is not None:
        context.principal = await authenticate(secret)
        return
    request = getattr(context, "request", None)
    header = _bearer(request.headers.get("authorization")) if request is not None else None
    context.principal = await authenticate(header, for_export=True) if header else None


class RequireAuthentication(SchemaExtension):
    """Without a valid token no operation runs: one error with code UNAUTHENTICATED. Over a websocket the token
    comes in the connection_init payload as {"Authorization": "Bearer <token>"}."""

    async def on_execute(self):
        context = self.execution_context.context
        if getattr(context, "websocket", False):
            await authenticate_websocket(context)  # each time: a token revoked since the last one stops here
        principal = getattr(context, "principal", None)
        if principal is not None and principal.read_only and \
                self.execution_context.operation_type is not OperationType.QUERY:
            self.execution_context.result = ExecutionResult(data=None, errors=[GraphQLError(
                "A read-only export token reads; it cannot change anything.", extensions={"code": "FORBIDDEN"})])
        if principal is None:
            self.execution_context.result = ExecutionResult(data=None, errors=[GraphQLError(
                "A valid API token is required: send `Authorization: Bearer <token>`.",
                extensions={"code": UNAUTHENTICATED})])
        yield


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class RefuseNulCharacters(SchemaExtension):
    """Text with a NUL character (\\u0000) is refused before anything runs, with code INVALID: PostgreSQL cannot
    store or even compare it, so it would fail deep inside a query (found by fuzzing)."""

    async def on_execute(self):
        context = self.execution_context
        if context.result is None and (_has_nul(context.variables) or any(
                isinstance(node, StringValueNode) and "\x00" in node.value
                for node in _walk(context.graphql_document))):
            context.result = ExecutionResult(data=None, errors=[GraphQLError(
                "Text cannot contain the NUL character (\\u0000).", extensions={"code": "INVALID"})])
        yield


def _walk(node):
    """Every AST node under `node`."""
    if isinstance(node, Node):
        yield node
        for key in node.keys:
            yield from _walk(getattr(node, key, None))
    elif isinstance(node, (list, tuple)):
        for child in node:
            yield from _walk(child)


def code_unavailable(error: GraphQLError) -> bool:
    """A database busy past the busy timeout, or down: code UNAVAILABLE with the seconds to wait (the view answers
    503 with Retry-After). True when `error` is one."""
    if (error.extensions or {}).get("code") == UNAVAILABLE:
        return True
    if error.original_error is None or (error.extensions or {}).get("code"):
        return False
    cause = unavailable_cause(error.original_error)
    if cause is None:
        return False
    error.message = cause.message
    error.extensions = {**(error.extensions or {}), "code": UNAVAILABLE, "retryAfter": cause.retry_after}
    return True


INTERNAL = "INTERNAL"
INVALID = "INVALID"
BAD_REQUEST = "BAD_REQUEST"


class RefuseSubscriptionsOverHttp(SchemaExtension):
    """A subscription runs over a websocket (graphql-transport-ws); sent in an HTTP POST it would end at its first
    event with "Cannot return null" and an unexpected error in the log. It is refused with code BAD_REQUEST."""

    async def on_execute(self):
        context = self.execution_context
        if context.result is None and context.operation_type is OperationType.SUBSCRIPTION and \
                not getattr(context.context, "websocket", True):
            context.result = ExecutionResult(data=None, errors=[GraphQLError(
                "A subscription is served over a websocket (graphql-transport-ws at /graphql), not over HTTP.",
                extensions={"code": BAD_REQUEST})])
        yield


def is_unexpected(error: GraphQLError) -> bool:
    """An error the client did not cause: a bug or an outage, to be logged and (in production) masked."""
    code = (error.extensions or {}).get("code")
    if code:
        return code == INTERNAL
    original = error.original_error
    if original is not None and unavailable_cause(original) is not None:
        return False
    if original is None or isinstance(original, (GraphQLError, GlobalIDValueError)):
        return False  # parse, validation and input errors are the client's
    if error.path is None and isinstance(original, ValueError):
        return False  # a literal in the query that a scalar refused, e.g. "abc" for a Decimal (found by fuzzing)
    return True


def ensure_code(error: GraphQLError) -> None:
    """Every execution error carries `extensions.code`: INTERNAL for what the client did not cause, INVALID for a
    value the schema refused while executing (e.g. `node(id: "")`: "Value cannot represent a GlobalID")."""
    if error.path is None or (error.extensions or {}).get("code"):
        return
    error.extensions = {**(error.extensions or {}), "code": INTERNAL if is_unexpected(error) else INVALID}


class MaskUnexpectedErrors(MaskErrors):
    """In production, unexpected errors reach the client as a bare message with the request id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", None)
        return GraphQLError(
            message=f"Unexpected error (request id {request_id}).", nodes=error.nodes, source=error.source,
            positions=error.positions, path=error.path, original_error=None,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )
