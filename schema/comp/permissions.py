"""Pay is private: a member sees their own, a leader their team's, finance and admins everyone's."""
from __future__ import annotations

from domain.comp import models as m
from domain.comp.service import visible_pay_records
from domain.errors import DomainError
from schema.core.context import Info
from schema.core.errors import client_error


async def _visible(info: Info, model, ids: list[int], convert):
    try:
        rows = await visible_pay_records(info.context.viewer, model, ids)
    except DomainError as e:
        raise client_error(e) from None
    return [convert(row) if row is not None else None for row in rows]


async def plans_visible_to(info: Info, ids: list[int], convert):
    return await _visible(info, m.CompPlan, ids, convert)


async def disputes_visible_to(info: Info, ids: list[int], convert):
    return await _visible(info, m.CompDispute, ids, convert)
