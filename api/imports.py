"""`POST /import/{kind}`: the body is a CSV (text/csv) or NDJSON (application/x-ndjson) file; `?skipBad=true`
imports the good rows of a file with bad ones. Who may import which rows: docs/ownership.md. The body is spooled to a temporary file
(in memory up to a few MB) and read back in batches, so a large file is never held whole."""
from __future__ import annotations

import tempfile

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.auth import principal_of
from api.limits import error_response
from domain.access.rules import import_refusal
from domain.imports.formats import FORMAT_OF_CONTENT_TYPE, format_of_content_type
from domain.imports.kinds import KINDS
from domain.imports.service import import_file

SPOOL_IN_MEMORY = 8 * 1024 * 1024


async def import_route(request: Request) -> JSONResponse:
    principal = await principal_of(request)
    if principal is None:
        return error_response(401, "A valid API token is required: send `Authorization: Bearer <token>`.",
                              "UNAUTHENTICATED")
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return error_response(404, f"'{kind}' is not a kind of import: one of {', '.join(KINDS)}.", "NOT_FOUND")
    if (refusal := import_refusal(principal, kind)) is not None:  # asked again by the import itself
        return error_response(403, refusal[0].upper() + refusal[1:] + ".", "FORBIDDEN")
    fmt = format_of_content_type(request.headers.get("content-type"))
    if fmt is None:
        return error_response(415, "Send the file as text/csv (with a header row) or application/x-ndjson "
                                   f"(one JSON object a line); accepted: {', '.join(FORMAT_OF_CONTENT_TYPE)}.",
                              "INVALID")
    skip_bad = request.query_params.get("skipBad", "false").strip().lower() in ("true", "1", "yes")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as body:
        async for chunk in request.stream():
            body.write(chunk)
        body.seek(0)
        result = await import_file(kind, body, fmt, skip_bad=skip_bad, actor=principal)
    return JSONResponse(result.as_json(), status_code=200 if result.imported else 422)
