"""The audit log as GraphQL: one entry per change, with who, when, before and after."""
from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from domain.audit import models as m
from domain.audit import queries
from schema.core.pagination import Connection, connection, page_request


@strawberry.type(description="One recorded change: who, when, what it was before and after.")
class AuditEntry:
    at: datetime
    actor_name: str
    action: str
    entity: str
    entity_id: str
    before: JSON | None
    after: JSON | None

    @classmethod
    def from_model(cls, e: m.AuditEntry) -> "AuditEntry":
        return cls(at=e.at, actor_name=e.actor_name, action=e.action, entity=e.entity, entity_id=e.entity_id,
                   before=e.before, after=e.after)


async def audit_page(first: int, after: str | None, **filters) -> Connection[AuditEntry]:
    page = page_request(first, after)
    paged = await queries.entries_page(page, **filters)
    return connection(paged.rows, paged.has_next, page, AuditEntry.from_model, count=paged.count)
