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
