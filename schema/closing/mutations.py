"""periodCloseSignOff: a sales-side or marketing-side leader signs an ended period off (periodClose and
periodReopen are in schema/goals/mutations/periods.py)."""
from __future__ import annotations

import strawberry

from domain import closing
from schema.core.context import Info
from schema.core.mutations import payload
from schema.core.permissions import SideLeaders
from schema.goals.mutations.periods import PeriodPayload
from schema.org.types import Period


class SignsOff(SideLeaders):
    message = ("Only a LEADER of a sales, SDR or marketing team signs a period off; FINANCE and ADMIN close it with "
               "periodClose.")


@strawberry.input(description="Signs the period off for your side; the second side's sign-off closes it.")
class PeriodCloseSignOffInput:
    period: str
    reason: str | None = strawberry.field(default=None, description="Audited; needed with force.")
    force: bool = strawberry.field(default=False, description="If this sign-off closes the period: close although "
                                                              "pay disputes are still open (with a reason).")


@strawberry.type
class ClosingMutation:
    @strawberry.mutation(permission_classes=[SignsOff],
                         description="After a period's end, a sales-side LEADER (sales or SDR team) and a "
                                     "marketing-side LEADER each sign it off; the second closes it, as periodClose "
                                     "does. One side twice is DUPLICATE.")
    async def period_close_sign_off(self, info: Info, input: PeriodCloseSignOffInput) -> PeriodPayload | None:
        return await payload(PeriodPayload, "period", lambda: closing.sign_off_period(
            info.context.viewer, input.period, input.reason, input.force), Period.from_view)
