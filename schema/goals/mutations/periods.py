"""Mutations of a period's state: close it (scores and pay statements frozen) and reopen it. Leaders' sign-offs are
schema/closing/mutations.py."""
from __future__ import annotations

import strawberry

from domain import closing
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import payload
from schema.core.permissions import ClosesPeriods, IsAdmin
from schema.org.types import Period


@strawberry.input(description="Before the period's end only an ADMIN closes it, with a reason; after it FINANCE or "
                              "an ADMIN (leaders sign it off with periodCloseSignOff).")
class PeriodCloseInput:
    period: str
    reason: str | None = strawberry.field(default=None, description="Why (audited); needed before the end and "
                                                                     "with force.")
    force: bool = strawberry.field(default=False, description="Close although pay disputes are still open "
                                                              "(with a reason).")


@strawberry.input
class PeriodReopenInput:
    period: str
    reason: str


@strawberry.type
class PeriodPayload:
    period: Period | None
    user_errors: list[UserError]


@strawberry.type
class PeriodMutation:
    @strawberry.mutation(permission_classes=[ClosesPeriods],
                         description="Close a period: scores and pay statements are frozen for everyone. Before its "
                                     "end ADMIN only, with a reason; after it FINANCE or ADMIN; leaders sign off "
                                     "with periodCloseSignOff instead.")
    async def period_close(self, info: Info, input: PeriodCloseInput) -> PeriodPayload | None:
        return await payload(PeriodPayload, "period", lambda: closing.close_period(
            info.context.viewer, input.period, input.reason, input.force), Period.from_view)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Reopen a closed period (ADMIN, with a reason).")
    async def period_reopen(self, info: Info, input: PeriodReopenInput) -> PeriodPayload | None:
        return await payload(PeriodPayload, "period", lambda: closing.reopen_period(
            info.context.viewer, input.period, input.reason), Period.from_view)
