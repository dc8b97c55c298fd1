"""compStatements: the statements a caller may see."""
from __future__ import annotations

import strawberry

from domain.comp import queries
from domain.comp.service import visible_people
from domain.errors import DomainError
from domain.org import service as org_service
from schema.comp.types import CompStatement
from schema.core.context import Info
from schema.core.errors import ClientError, client_error
from schema.core.ids import decode_id


@strawberry.type
class CompQuery:
    @strawberry.field(description="Pay statements of a period: yours as a member, your team's as a leader, everyone's "
                                  "for finance and admins. Accruals to date while open, locked once closed.")
    async def comp_statements(self, info: Info, period: str,
                              person_id: strawberry.ID | None = None) -> list[CompStatement]:
        try:
            view = await org_service.get_period(period)
            person_pk = decode_id(person_id, "Person", "personId") if person_id else None
        except DomainError as e:
            raise client_error(e) from None
        allowed = await visible_people(info.context.viewer)
        if person_pk is not None:
            if allowed is not None and person_pk not in allowed:
                raise ClientError("Pay statements of this person are private.", "FORBIDDEN")
            wanted = [person_pk]
        else:
            wanted = allowed
        return [CompStatement.of(s) for s in await queries.statements(view, wanted)]
