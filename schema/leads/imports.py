"""Imports through GraphQL: `leadImport`, `touchpointImport` and `opportunityImport`, up to 1,000 records a call,
idempotent by external id. The same domain function serves `sharedgoals import` and `POST /import/{kind}` for big
files."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from domain.attribution.models import TouchKind as TouchKindValue
from domain.errors import ErrorCode
from domain.imports.formats import Record
from domain.imports.kinds import KINDS
from domain.imports.service import ImportResult, import_records
from schema.attribution.types import OpportunityStatus
from schema.core.context import Info
from schema.core.errors import UserError, UserErrorCode
from domain.access.rules import import_refusal
from schema.core.permissions import refused_unless

MAX_RECORDS = 1000
def _importers(kind: str):
    return refused_unless(lambda principal: import_refusal(principal, kind), f"MayImport{kind.title().replace('-', '')}")
SKIP_BAD = "Import the good records and report the bad ones (by default one bad record imports nothing)."

TouchKind = strawberry.enum(TouchKindValue, name="TouchKind", description="Who made a touch: marketing or sales.")


@strawberry.input(description="One lead, keyed by its id in the source system.")
class LeadRecordInput:
    external_id: str
    company: str
    created_at: datetime
    contact_name: str | None = None
    email: str | None = None
    industry: str | None = None
    employees: int | None = None
    region: str | None = None
    title: str | None = None
    source: str | None = None


@strawberry.input
class LeadImportInput:
    records: list[LeadRecordInput] = strawberry.field(description=f"At most {MAX_RECORDS}.")
    skip_bad: bool | None = strawberry.field(default=False, description=SKIP_BAD)


@strawberry.input(description="One marketing or sales touch on a lead, keyed by its id in the source system.")
class TouchpointRecordInput:
    external_id: str
    lead_external_id: str
    at: datetime
    kind: TouchKind
    channel: str
    team: str = strawberry.field(description="The name of the team that made the touch.")
    campaign: str | None = None
    person_email: str | None = None
    duration_minutes: int | None = None


@strawberry.input
class TouchpointImportInput:
    records: list[TouchpointRecordInput] = strawberry.field(description=f"At most {MAX_RECORDS}.")
    skip_bad: bool | None = strawberry.field(default=False, description=SKIP_BAD)


@strawberry.input(description="One deal from the CRM, keyed by its id there.")
class OpportunityRecordInput:
    external_id: str
    lead_external_id: str
    name: str
    amount: Decimal = strawberry.field(description="0 or more, with at most two decimal places.")
    created_at: datetime
    status: OpportunityStatus
    closed_at: datetime | None = strawberry.field(
        default=None, description="When it was won or lost: required for WON and LOST (not before createdAt), "
                                  "none for OPEN.")
    owner_email: str | None = None


@strawberry.input
class OpportunityImportInput:
    records: list[OpportunityRecordInput] = strawberry.field(description=f"At most {MAX_RECORDS}.")
    skip_bad: bool | None = strawberry.field(default=False, description=SKIP_BAD)


@strawberry.type(description="A record that was refused: `line` is its 1-based position in `records`.")
class ImportLineError:
    line: int
    reason: str


@strawberry.type
class ImportPayloadFields:
    created: int
    updated: int
    unchanged: int
    imported: bool = strawberry.field(description="False when nothing was written.")
    errors: list[ImportLineError]
    user_errors: list[UserError]


@strawberry.type
class LeadImportPayload(ImportPayloadFields):
    pass


@strawberry.type
class TouchpointImportPayload(ImportPayloadFields):
    pass


@strawberry.type
class OpportunityImportPayload(ImportPayloadFields):
    pass


def _records(kind: str, inputs: Sequence) -> list[Record]:
    keys = KINDS[kind].keys
    records = []
    for line, item in enumerate(inputs, start=1):
        values = (getattr(item, k, None) for k in keys)
        records.append(Record(line, tuple(v.value if isinstance(v, Enum) else v for v in values)))
    return records


async def _import(payload_cls, kind: str, records: Sequence, skip_bad: bool, info: Info):
    if len(records) > MAX_RECORDS:
        return payload_cls(created=0, updated=0, unchanged=0, imported=False, errors=[], user_errors=[UserError(
            field=["input", "records"], message=f"at most {MAX_RECORDS} records a call; "
                                                f"send larger files to POST /import/{kind}",
            code=UserErrorCode.INVALID)])
    result: ImportResult = await import_records(kind, _records(kind, records), skip_bad=skip_bad,
                                                 actor=info.context.viewer)
    user_errors = []
    if not result.imported:
        user_errors.append(UserError(
            field=["input", "records"], code=UserErrorCode(ErrorCode.INVALID.value),
            message=f"{result.error_count} of {len(records)} records were refused, so nothing was imported "
                    "(see errors; skipBad imports the good ones)"))
    return payload_cls(created=result.created, updated=result.updated, unchanged=result.unchanged,
                       imported=result.imported, errors=[ImportLineError(line=e.line, reason=e.reason)
                                                         for e in result.errors],
                       user_errors=user_errors)


@strawberry.type
class ImportMutation:
    @strawberry.mutation(permission_classes=[_importers("leads")], description=(
        "Import leads (leaders and admins), idempotent by externalId: an identical record changes nothing, a changed "
        "one updates the lead (audited). One bad record imports nothing unless skipBad."))
    async def lead_import(self, info: Info, input: LeadImportInput) -> LeadImportPayload | None:
        return await _import(LeadImportPayload, "leads", input.records, bool(input.skip_bad), info)

    @strawberry.mutation(permission_classes=[_importers("touchpoints")], description=(
        "Import touchpoints (a leader: of the touches of the team they lead; admins), idempotent by externalId: an "
        "identical record changes nothing; a touch is a fact, so a changed one is refused. One bad record imports nothing unless skipBad."))
    async def touchpoint_import(self, info: Info, input: TouchpointImportInput) -> TouchpointImportPayload | None:
        return await _import(TouchpointImportPayload, "touchpoints", input.records, bool(input.skip_bad), info)

    @strawberry.mutation(permission_classes=[_importers("opportunities")], description=(
        "Import opportunities (admins, finance, a sales leader: of the deals their team's people own), idempotent by externalId: an identical record changes nothing, a "
        "changed one updates the opportunity (audited) and its credit. One bad record imports nothing unless "
        "skipBad."))
    async def opportunity_import(self, info: Info, input: OpportunityImportInput) -> OpportunityImportPayload | None:
        return await _import(OpportunityImportPayload, "opportunities", input.records, bool(input.skip_bad), info)
