"""Reads of the audit log (newest entries last; keyset pages by id)."""
from __future__ import annotations

from domain.audit.models import AuditEntry
from domain.paging import Page, Paged, fetch_page


async def entries_page(page: Page, entity: str | None = None, entity_id: str | None = None,
                       actor_person_id: int | None = None, action: str | None = None) -> Paged:
    texts = {"entity": entity, "entity_id": entity_id, "action": action}
    if any(v is not None and len(v) > AuditEntry._meta.fields_map[k].max_length for k, v in texts.items()):
        return Paged([], False, _none)  # longer than the column: no entry has it (the ORM refuses to compare it)
    qs = AuditEntry.all()
    if entity is not None:
        qs = qs.filter(entity=entity)
    if entity_id is not None:
        qs = qs.filter(entity_id=entity_id)
    if actor_person_id is not None:
        qs = qs.filter(actor_person_id=actor_person_id)
    if action is not None:
        qs = qs.filter(action=action)
    return await fetch_page(qs, page)


async def _none() -> int:
    return 0
