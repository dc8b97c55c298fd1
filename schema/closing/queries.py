"""periodClosePreview: what closing a period would freeze, and what is still open."""
from __future__ import annotations

import strawberry

from domain import closing
from domain.errors import DomainError
from schema.closing.types import PeriodClosePreview
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.permissions import ClosesPeriods


@strawberry.type
class ClosingQuery:
    @strawberry.field(permission_classes=[ClosesPeriods],
                      description="What closing the period would freeze (scores, key results, statements, the model "
                                  "of record) and what is still open (disputes, stale MANUAL key results, pending "
                                  "proposals). LEADER, FINANCE, ADMIN; statement totals follow the pay privacy rule.")
    async def period_close_preview(self, info: Info, period: str) -> PeriodClosePreview:
        try:
            return PeriodClosePreview.of(await closing.close_preview(info.context.viewer, period))
        except DomainError as e:
            raise client_error(e) from None
