"""Who is asking: the bearer token of a request, resolved to a principal."""
from __future__ import annotations

import hashlib

from starlette.requests import HTTPConnection

from domain.org.rules import Principal
from domain.org.service import authenticate


def bearer_secret(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_MAX_REMEMBERED = 10_000
_authenticated: dict[str, None] = {}  # digests of bearer secrets that authenticated in this process, oldest first


async def is_genuine(secret: str) -> bool:
    """Whether the bearer secret is a valid token (remembered once it has authenticated in this process): the rate
    limiter gives such a token its own budget, and charges a made-up one to the client's address."""
    return secret_digest(secret) in _authenticated or await _authenticate(secret, for_export=True) is not None


async def _authenticate(secret: str | None, **options) -> Principal | None:
    principal = await authenticate(secret, **options)
    if principal is not None and secret:
        digest = secret_digest(secret)
        if digest not in _authenticated:
            if len(_authenticated) >= _MAX_REMEMBERED:
                del _authenticated[next(iter(_authenticated))]
            _authenticated[digest] = None
    return principal


async def principal_of(conn: HTTPConnection) -> Principal | None:
    return await _authenticate(bearer_secret(conn))


async def reader_principal_of(conn: HTTPConnection) -> Principal | None:
    """For GraphQL: a full token, or a read-only export token (queries only; see RequireAuthentication)."""
    return await _authenticate(bearer_secret(conn), for_export=True)


async def export_principal_of(conn: HTTPConnection) -> Principal | None:
    """For CSV exports: a bearer header, or a read-only export token in `?token=` (for tools that set no headers)."""
    header = bearer_secret(conn)
    if header is not None:
        return await _authenticate(header, for_export=True)
    return await authenticate(conn.query_params.get("token"), for_export=True, in_url=True)
