"""Pay is private: a member sees their own, a leader their team's, finance and admins everyone's."""
from __future__ import annotations

from domain.batch import fits_key
from domain.comp import models as m
from domain.comp.service import visible_people
from schema.core.context import Info
from schema.core.errors import ClientError


async def _visible(info: Info, model, ids: list[int], convert):
    rows = {r.id: r for r in await model.filter(id__in=[i for i in ids if fits_key(model, i)])}
    allowed = await visible_people(info.context.viewer)
    out = []
    for i in ids:
        row = rows.get(i)
        if row is not None and allowed is not None and row.person_id not in allowed:
            raise ClientError("Pay records of this person are private.", "FORBIDDEN")
        out.append(convert(row) if row is not None else None)
    return out


async def plans_visible_to(info: Info, ids: list[int], convert):
    return await _visible(info, m.CompPlan, ids, convert)


async def disputes_visible_to(info: Info, ids: list[int], convert):
    return await _visible(info, m.CompDispute, ids, convert)
