"""Who is asking: the bearer token of a request, resolved to a principal."""
from __future__ import annotations

from starlette.requests import HTTPConnection

from domain.org.rules import Principal
from domain.org.service import authenticate


def bearer_secret(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


async def principal_of(conn: HTTPConnection) -> Principal | None:
    return await authenticate(bearer_secret(conn))


async def reader_principal_of(conn: HTTPConnection) -> Principal | None:
    """For GraphQL: a full token, or a read-only export token (queries only; see RequireAuthentication)."""
    return await authenticate(bearer_secret(conn), for_export=True)


async def export_principal_of(conn: HTTPConnection) -> Principal | None:
    """For CSV exports: a bearer header, or a read-only export token in `?token=` (for tools that set no headers)."""
    header = bearer_secret(conn)
    if header is not None:
        return await authenticate(header, for_export=True)
    return await authenticate(conn.query_params.get("token"), for_export=True, in_url=True)
