"""compStatements: the statements a caller may see."""
from __future__ import annotations

import strawberry

from domain.comp.service import visible_statements
from domain.errors import DomainError
from domain.goals import history
from domain.org import service as org_service
from schema.comp.types import CompStatement
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.ids import decode_id
from schema.goals.types import AsOfDay


@strawberry.type
class CompQuery:
    @strawberry.field(description="Pay statements of a period: yours as a member, your team's as a leader, everyone's "
                                  "for finance and admins. Accruals to date while open, locked once closed; "
                                  "recomputed as of the end of a day with asOf. On a closed period the "
                                  "recomputation comes beside the locked statement, which stays the record "
                                  "(lockedTotalPayout, differenceFromLocked, each line's lockedPayout).")
    async def comp_statements(self, info: Info, period: str, person_id: strawberry.ID | None = None,
                              as_of: AsOfDay = None) -> list[CompStatement]:
        try:
            view = await org_service.get_period(period)
            person_pk = decode_id(person_id, "Person", "personId") if person_id else None
            day = history.as_of_day(as_of) if as_of is not None else None
            found = await visible_statements(info.context.viewer, view, person_pk, day)
        except DomainError as e:
            raise client_error(e) from None
        return [CompStatement.of(s) for s in found]
