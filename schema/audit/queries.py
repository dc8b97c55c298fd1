"""The audit log root field (ADMIN)."""
from __future__ import annotations

import strawberry

from domain.errors import DomainError
from schema.core.pagination import Connection
from schema.audit.types import AuditEntry, audit_page
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.ids import decode_id
from schema.core.permissions import IsAdmin


@strawberry.type
class AuditQuery:
    @strawberry.field(permission_classes=[IsAdmin], description="Every mutation, oldest first (ADMIN).")
    async def audit_log(self, info: Info, first: int = 20, after: str | None = None, entity: str | None = None,
                        entity_id: str | None = None, actor_person_id: strawberry.ID | None = None,
                        action: str | None = None) -> Connection[AuditEntry]:
        try:
            person_pk = decode_id(actor_person_id, "Person", "actorPersonId") if actor_person_id else None
        except DomainError as e:
            raise client_error(e) from None
        return await audit_page(first, after, entity=entity, entity_id=entity_id, actor_person_id=person_pk,
                                action=action)
