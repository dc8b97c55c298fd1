"""Closing and reopening a period: every area freezes its figures in the same transaction."""
from __future__ import annotations

from tortoise.transactions import in_transaction

from domain import clock
from domain.audit.service import record
from domain.comp.service import lock_statements, unlock_statements
from domain import texts
from domain.errors import DomainError, ErrorCode, invalid
from domain.goals.service import freeze_goals, thaw_goals
from domain.org.models import Period
from domain.org.rules import PeriodStatus, Principal
from domain.org.service import ensure_period, parse_key


async def close_period(actor: Principal, key: str) -> Period:
    """Scores, key-result figures and pay statements are frozen as they are now; the model of record with them."""
    parse_key(key, "period")
    async with in_transaction():
        period = await ensure_period(key)
        if period.status is PeriodStatus.CLOSED:
            raise DomainError.one(ErrorCode.PERIOD_CLOSED, f"{period.key} is already closed", "period")
        scored = await freeze_goals(period)
        lines = await lock_statements(period)
        await Period.filter(id=period.id).update(status=PeriodStatus.CLOSED, closed_at=clock.now())
        await record(actor, "periodClose", "Period", period.key, {"status": "OPEN"},
                     {"status": "CLOSED", "objectives_scored": scored, "statement_lines_locked": lines})
        period = await Period.get(id=period.id)
    return period


async def reopen_period(actor: Principal, key: str, reason: str) -> Period:
    """The only way back from a close (admins, with a reason): frozen figures are dropped, live ones return."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reopening a period needs a reason", "reason")
    if (message := texts.too_long(reason, texts.REASON)) is not None:
        raise invalid(message, "reason")
    q = parse_key(key, "period")
    async with in_transaction():
        period = await Period.get_or_none(key=q.key)
        if period is None or period.status is not PeriodStatus.CLOSED:
            raise invalid(f"{q.key} is not closed", "period")
        await thaw_goals(period)
        await unlock_statements(period)
        await Period.filter(id=period.id).update(status=PeriodStatus.OPEN, closed_at=None)
        await record(actor, "periodReopen", "Period", period.key, {"status": "CLOSED"},
                     {"status": "OPEN", "reason": reason})
        period = await Period.get(id=period.id)
    return period
