"""Writing to the audit log, inside the caller's transaction."""
from __future__ import annotations

from typing import Any

from domain import clock
from domain.audit.models import AuditEntry
from domain.org.rules import Principal


async def record(actor: Principal | None, action: str, entity: str, entity_id: Any,
                 before: dict | None, after: dict | None, connection=None) -> None:
    await AuditEntry.create(
        at=clock.now(),
        actor_token_id=actor.token_id if actor else None,
        actor_person_id=actor.person_id if actor else None,
        actor_name=actor.name if actor else "system",
        action=action, entity=entity, entity_id=str(entity_id),
        before=before, after=after, using_db=connection,
    )
