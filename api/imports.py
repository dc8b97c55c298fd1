"""`POST /import/{kind}`: the body is a CSV (text/csv) or NDJSON (application/x-ndjson) file; `?skipBad=true`
imports the good rows of a file with bad ones; `?source=NAME` reads a CRM's export (OBJECT is then the vendor's object,
`Lead`, `contacts`...: docs/crm-imports.md);
`?dryRun=true` checks and counts the whole file and writes nothing. Who may import which rows: docs/ownership.md. The body is spooled to a temporary file
(in memory up to a few MB) and read back in batches, so a large file is never held whole."""
from __future__ import annotations

import tempfile

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.auth import principal_of
from api.limits import allowance_of, error_response, over_budget
from domain.access.rules import import_refusal
from domain.access.rules import crm_import_refusal
from domain.errors import DomainError
from domain.imports.crm.service import FIRST_ERRORS, import_vendor_file
from domain.imports.formats import CSV, FORMAT_OF_CONTENT_TYPE, format_of_content_type
from domain.imports.kinds import KINDS
from domain.imports.service import import_file
from schema.core.costs import import_cost

SPOOL_IN_MEMORY = 8 * 1024 * 1024


async def import_route(request: Request) -> JSONResponse:
    principal = await principal_of(request)
    if principal is None:
        return error_response(401, "A valid API token is required: send `Authorization: Bearer <token>`.",
                              "UNAUTHENTICATED")
    kind = request.path_params["kind"]
    if request.query_params.get("source") is not None:
        return await _vendor_import(request, principal, kind, request.query_params["source"])
    if kind not in KINDS:
        return error_response(404, f"'{kind}' is not a kind of import: one of {', '.join(KINDS)}.", "NOT_FOUND")
    if (refusal := import_refusal(principal, kind)) is not None:  # asked again by the import itself
        return error_response(403, refusal[0].upper() + refusal[1:] + ".", "FORBIDDEN")
    fmt = format_of_content_type(request.headers.get("content-type"))
    if fmt is None:
        return error_response(415, "Send the file as text/csv (with a header row) or application/x-ndjson "
                                   f"(one JSON object a line); accepted: {', '.join(FORMAT_OF_CONTENT_TYPE)}.",
                              "INVALID")
    skip_bad = _flag(request, "skipBad")
    dry_run = _flag(request, "dryRun")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as body:
        lines = 0
        async for chunk in request.stream():
            body.write(chunk)
            lines += chunk.count(b"\n")
        allowance = allowance_of(request.scope)  # 1 cost unit per 1,000 rows, spent before anything is written
        if allowance is not None and (receipt := allowance.spend(import_cost(lines + 1))).refused:
            return over_budget(receipt, "This import")
        body.seek(0)
        result = await import_file(kind, body, fmt, skip_bad=skip_bad, actor=principal, dry_run=dry_run)
    return JSONResponse(result.as_json(), status_code=200 if result.imported or (dry_run and _passes(result, skip_bad))
                        else 422)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").strip().lower() in ("true", "1", "yes")


def _passes(result, skip_bad: bool) -> bool:
    """A dry run answers 200 when the import itself would have gone through (422 with the errors otherwise)."""
    return skip_bad or not result.error_count


async def _vendor_import(request: Request, principal, object_name: str, source: str) -> JSONResponse:
    """`POST /import/OBJECT?source=NAME`: a CRM's export as it is, through a mapping shipped with the service or
    in the admin's folder (SHAREDGOALS_MAPPINGS_DIR); a mapping is never uploaded. Answers the counts per kind."""
    if (refusal := crm_import_refusal(principal)) is not None:
        return error_response(403, refusal[0].upper() + refusal[1:] + ".", "FORBIDDEN")
    if format_of_content_type(request.headers.get("content-type")) != CSV:
        return error_response(415, "Send a CRM export as text/csv, as the CRM wrote it.", "INVALID")
    skip_bad, dry_run = _flag(request, "skipBad"), _flag(request, "dryRun")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as body:
        lines = 0
        async for chunk in request.stream():
            body.write(chunk)
            lines += chunk.count(b"\n")
        allowance = allowance_of(request.scope)
        if allowance is not None and (receipt := allowance.spend(import_cost(lines + 1))).refused:
            return over_budget(receipt, "This import")
        body.seek(0)
        try:
            result = await import_vendor_file(source, object_name, body, actor=principal, skip_bad=skip_bad,
                                              dry_run=dry_run)
        except DomainError as e:
            problem = e.problems[0]
            status = 404 if problem.code.value == "NOT_FOUND" else 403 if problem.code.value == "FORBIDDEN" else 400
            return error_response(status, str(e), problem.code.value)
    answer = result.as_json(first_errors=FIRST_ERRORS if dry_run else None)
    ok = not result.file_errors and (result.imported or (dry_run and (skip_bad or not result.error_count)))
    return JSONResponse(answer, status_code=200 if ok else 422)
